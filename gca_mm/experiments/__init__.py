"""The project's experiments, built on the plugin but not part of it: the
GCA-vs-stock benchmark and the demo (resumable stages, pre-train -> probe
cells, reports), and the analysis of views (attention kept, findings
surviving the crop, pipeline throughput, figures). ``tools/`` drives them;
nothing here is registered and ``import gca_mm`` does not import it.

Configs are found by :func:`config_dir`, never through the checkout's
path."""
from .config_dir import config_dir, tools_dir
from .feature_probe import (build_probe_model, extract_features,
                            feature_probe)
from .finding_survival import (SURVIVAL_FRACTION, SurvivalCounter,
                               fraction_inside, image_findings,
                               lesion_rate_table, load_findings_table)
from .pipeline_views import (PipelineViews, View, build_view_dataset,
                             compared_views, find_image, load_view_configs,
                             training_pipeline)
from .stages import Stage, run_script, run_stages
from .throughput import build_pipeline, pipeline_throughput, speed_ratio
from .view_figure import draw_views, figure_size, save_figure, visualize_views
from .view_stats import (attention_summary, distribution, format_report,
                         machine_info, plot_attention_histogram,
                         view_statistics)

__all__ = [
    'config_dir', 'tools_dir', 'build_probe_model', 'extract_features',
    'feature_probe', 'SURVIVAL_FRACTION', 'SurvivalCounter',
    'fraction_inside', 'image_findings', 'lesion_rate_table',
    'load_findings_table', 'PipelineViews', 'View', 'build_view_dataset',
    'compared_views', 'find_image', 'load_view_configs', 'training_pipeline',
    'Stage', 'run_script', 'run_stages', 'build_pipeline',
    'pipeline_throughput', 'speed_ratio', 'draw_views', 'figure_size',
    'save_figure', 'visualize_views', 'attention_summary', 'distribution',
    'format_report', 'machine_info', 'plot_attention_histogram',
    'view_statistics'
]
