"""Measuring views (attention kept, findings surviving the crop, pipeline
throughput) and what a frozen backbone's features say about the grade."""
from .feature_probe import (build_probe_model, extract_features,
                            feature_probe)
from .finding_survival import (SURVIVAL_FRACTION, SurvivalCounter,
                               fraction_inside, image_findings,
                               lesion_rate_table, load_findings_table)
from .pipeline_views import (PipelineViews, View, build_view_dataset,
                             compared_views, find_image, load_view_configs,
                             training_pipeline)
from .throughput import build_pipeline, pipeline_throughput
from .view_stats import (attention_summary, distribution, format_report,
                         machine_info, plot_attention_histogram,
                         view_statistics)

__all__ = [
    'build_probe_model', 'extract_features', 'feature_probe',
    'SURVIVAL_FRACTION', 'SurvivalCounter', 'fraction_inside',
    'image_findings', 'lesion_rate_table', 'load_findings_table',
    'PipelineViews', 'View', 'build_view_dataset', 'compared_views',
    'find_image', 'load_view_configs', 'training_pipeline', 'build_pipeline',
    'pipeline_throughput', 'attention_summary', 'distribution',
    'format_report', 'machine_info', 'plot_attention_histogram',
    'view_statistics'
]
