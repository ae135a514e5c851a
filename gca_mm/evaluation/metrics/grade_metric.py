"""Ordinal error of a KL-grade classifier."""
from typing import Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS


@METRICS.register_module()
class GradeMAE(BaseMetric):
    """Mean absolute error between predicted and true grade (in grades).

    Accuracy treats KL1-for-KL2 like KL0-for-KL4; the MAE of the grade tells
    them apart. The prediction is the arg-max class (``pred_label``). Use it
    next to mmpretrain's ``Accuracy`` and ``SingleLabelMetric``.
    """
    default_prefix = 'grade'

    def process(self, data_batch, data_samples: Sequence[dict]):
        for sample in data_samples:
            if 'pred_label' not in sample or 'gt_label' not in sample:
                raise KeyError(
                    'GradeMAE needs pred_label and gt_label in each data '
                    f'sample; got keys {sorted(sample)}')
            self.results.append((int(sample['pred_label'].reshape(-1)[0]),
                                 int(sample['gt_label'].reshape(-1)[0])))

    def compute_metrics(self, results):
        pred, gt = torch.tensor(results, dtype=torch.float64).T
        return dict(mae=float((pred - gt).abs().mean()))
