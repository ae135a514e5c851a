from .grade_metric import GradeMAE
from .saliency_functional import auc_judd, cc, kld, nss, sim
from .saliency_metric import (SaliencyMetric, fixation_mask,
                              rescale_fixations, score_saliency)

__all__ = [
    'GradeMAE', 'cc', 'kld', 'nss', 'sim', 'auc_judd', 'SaliencyMetric',
    'fixation_mask', 'rescale_fixations', 'score_saliency'
]
