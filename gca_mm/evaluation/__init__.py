from .saliency_functional import auc_judd, cc, fixation_mask, kld, nss, sim
from .metrics import (GradeMAE, SaliencyMetric, rescale_fixations,
                      score_saliency)
from .saliency_baselines import (center_bias_map, evaluate_saliency_baselines,
                                 fit_center_sigma, mean_gaze_map,
                                 score_baseline)
from .consistency import ConsistencyReport, inter_reader_consistency
from .finding_attention import (above_median_share, above_quantile_share,
                                finding_attention,
                                load_lesion_boxes, mass_in_boxes,
                                summarize_finding_attention)

__all__ = [
    'GradeMAE', 'cc', 'kld', 'nss', 'sim', 'auc_judd', 'SaliencyMetric',
    'fixation_mask', 'rescale_fixations', 'score_saliency',
    'center_bias_map', 'mean_gaze_map', 'score_baseline', 'fit_center_sigma',
    'evaluate_saliency_baselines', 'ConsistencyReport',
    'inter_reader_consistency', 'above_median_share', 'above_quantile_share',
    'finding_attention', 'load_lesion_boxes', 'mass_in_boxes',
    'summarize_finding_attention'
]
