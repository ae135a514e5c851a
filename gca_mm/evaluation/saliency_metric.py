"""Saliency metric of predicted attention maps against gaze ground truth.

:func:`score_saliency` scores one map from any source (the model, a
centre-bias or mean-map baseline); :class:`SaliencyMetric` applies it to the
model's predictions during validation and testing.
"""
from collections import defaultdict

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpretrain.registry import METRICS

from .saliency_functional import auc_judd, cc, fixation_mask, kld, nss, sim

MAP_METRICS = ('cc', 'kld', 'sim')
FIXATION_METRICS = ('nss', 'auc_judd')


def _to_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def rescale_fixations(fixations, src_shape, dst_shape):
    """Move ``(N, 2)`` ``(x, y)`` pixel coordinates (integers are pixel
    centres) from an image of ``src_shape`` (H, W) to one of ``dst_shape``
    showing the same field of view."""
    fixations = np.asarray(fixations, np.float64).reshape(-1, 2)
    scale = np.array([dst_shape[1] / src_shape[1],
                      dst_shape[0] / src_shape[0]])
    return (fixations + 0.5) * scale - 0.5


def score_saliency(pred, gt_map, fixations=None):
    """Score one predicted map.

    Args:
        pred: HxW predicted map (numpy or torch, any scale).
        gt_map: HxW ground-truth attention map.
        fixations: ``(N, 2)`` ``(x, y)`` in the maps' pixel frame, or None.

    Returns:
        dict: ``cc``, ``kld``, ``sim`` and, with fixations, ``nss`` and
        ``auc_judd``. Raises ``ValueError`` on mismatched shapes, NaNs or
        fixations that all fall outside the map.
    """
    pred, gt_map = _to_numpy(pred), _to_numpy(gt_map)
    scores = dict(cc=cc(pred, gt_map), kld=kld(pred, gt_map),
                  sim=sim(pred, gt_map))
    if fixations is not None:
        mask = fixation_mask(_to_numpy(fixations), gt_map.shape)
        scores.update(nss=nss(pred, mask), auc_judd=auc_judd(pred, mask))
    return scores


@METRICS.register_module()
class SaliencyMetric(BaseMetric):
    """CC, KLD and SIM against ``gt_saliency``; NSS and AUC-Judd against
    ``gt_fixations`` where a sample has fixations on its image; each averaged
    over the samples it was computed on.

    The prediction is ``pred_saliency_ori`` (original image size) or
    ``pred_saliency`` (network input size), whichever has the shape of
    ``gt_saliency``. Fixations are in original image pixels; when
    ``ori_shape`` is known and differs from the map they are rescaled to the
    map (valid for pipelines that only resize).

    Args:
        collect_device (str): 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to 'saliency'.
    """
    default_prefix = 'saliency'

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            self.results.append(self._score_sample(sample))

    @staticmethod
    def _score_sample(sample):
        name = sample.get('img_path', 'a data sample')
        gt_map = sample.get('gt_saliency')
        if gt_map is None:
            raise KeyError(f'{name} has no gt_saliency to evaluate against; '
                           "pack it with PackInputs(algorithm_keys="
                           "('gt_saliency', 'gt_fixations'))")
        gt_map = _to_numpy(gt_map).astype(np.float64)
        gt_map = gt_map.reshape(gt_map.shape[-2:])
        candidates = [
            _to_numpy(sample.get(key))
            for key in ('pred_saliency_ori', 'pred_saliency')
            if sample.get(key) is not None
        ]
        pred = next((p for p in candidates if p.shape == gt_map.shape), None)
        if pred is None:
            raise ValueError(
                f'no prediction of {name} has the shape {gt_map.shape} of its '
                f'gt_saliency (got {[p.shape for p in candidates]}); keep the '
                'target at the input size or set ori_shape')
        fixations = sample.get('gt_fixations')
        if fixations is not None:
            fixations = _to_numpy(fixations).reshape(-1, 2)
            ori_shape = sample.get('ori_shape')
            if ori_shape is not None:
                fixations = rescale_fixations(fixations, ori_shape[:2],
                                              gt_map.shape)
            if not fixation_mask(fixations, gt_map.shape).any():
                fixations = None
        return score_saliency(pred, gt_map, fixations)

    def compute_metrics(self, results):
        values = defaultdict(list)
        for scores in results:
            for key, value in scores.items():
                values[key].append(value)
        skipped = len(results) - len(values['nss'])
        if skipped == len(results):
            MMLogger.get_current_instance().warning(
                'SaliencyMetric: no sample has fixations on its image '
                '(gt_fixations); NSS and AUC-Judd are skipped')
        elif skipped:
            MMLogger.get_current_instance().warning(
                f'SaliencyMetric: {skipped} of {len(results)} samples have no '
                'fixation on their image; NSS and AUC-Judd are averaged over '
                'the others')
        return {
            key: float(np.mean(values[key]))
            for key in MAP_METRICS + FIXATION_METRICS if values[key]
        }
