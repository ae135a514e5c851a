from .grade_metric import GradeMAE
from .saliency_metric import SaliencyMetric, rescale_fixations, score_saliency

__all__ = ['GradeMAE', 'SaliencyMetric', 'rescale_fixations', 'score_saliency']
