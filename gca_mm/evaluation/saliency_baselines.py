"""Baselines every saliency model must beat: a centre-bias Gaussian and the
mean training attention map.

They are scored by :class:`SaliencyMetric` on samples from the config's test
pipeline (attention map and fixations at the original image size), i.e. the
same code and the same images as the model in ``tools/test.py``.
"""
import copy

import numpy as np
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

from gca_mm.datasets.transforms.gca_functional import resize_map
from gca_mm.gaze.heatmap import to_unit_map

from .metrics.saliency_metric import SaliencyMetric, _to_numpy

# Centre-bias sigmas (fractions of each image side) tried on the train maps.
DEFAULT_CENTER_SIGMAS = tuple(np.round(np.arange(0.05, 0.501, 0.025), 3))


def center_bias_map(shape, sigma_frac=0.25):
    """Gaussian centred on an ``(h, w)`` image with sigmas
    ``sigma_frac * (w, h)``, float32 with maximum 1: the centre-bias
    baseline of the saliency model and of the inter-reader ceiling (every
    metric it is scored by ignores the map's scale)."""
    h, w = shape
    if not sigma_frac > 0:
        raise ValueError(f'sigma_frac must be > 0, got {sigma_frac}')
    gy = np.exp(-0.5 * ((np.arange(h) - (h - 1) / 2) / (sigma_frac * h))**2)
    gx = np.exp(-0.5 * ((np.arange(w) - (w - 1) / 2) / (sigma_frac * w))**2)
    return to_unit_map(np.outer(gy, gx))


def mean_gaze_map(maps, shape=None):
    """Average attention map: each map normalised to sum 1, resized to
    ``shape`` (default: the first map's), averaged, scaled to a maximum of 1.

    Args:
        maps (Iterable[np.ndarray]): non-negative HxW maps with mass.
        shape (tuple, optional): ``(h, w)`` of the result.

    Returns:
        np.ndarray: float32 map of ``shape`` in [0, 1].
    """
    total, count = None, 0
    for i, gaze_map in enumerate(maps):
        gaze_map = np.asarray(gaze_map, np.float64)
        if gaze_map.ndim != 2 or not np.isfinite(gaze_map).all() or \
                gaze_map.min() < 0 or not gaze_map.sum() > 0:
            raise ValueError(f'map {i} must be a finite non-negative HxW map '
                             f'with mass, got shape {gaze_map.shape}')
        if shape is None:
            shape = gaze_map.shape
        if gaze_map.shape != tuple(shape):
            gaze_map = resize_map(gaze_map, (shape[1], shape[0]))
        gaze_map = gaze_map / gaze_map.sum()
        total = gaze_map if total is None else total + gaze_map
        count += 1
    if not count:
        raise ValueError('mean_gaze_map needs at least one map')
    return to_unit_map(total / count)


def gaze_samples(dataset_cfg):
    """Build ``dataset_cfg`` and return its packed samples as metric inputs
    (dicts with ``gt_saliency``, ``gt_fixations``, ``ori_shape``,
    ``img_path``, as ``SaliencyMetric.process`` receives them)."""
    dataset = DATASETS.build(copy.deepcopy(dataset_cfg))
    samples = []
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples'].to_dict()
        if 'gt_saliency' not in sample:
            raise KeyError(
                f'{sample.get("img_path", f"sample {i}")} has no gt_saliency:'
                ' the pipeline must load the attention map (LoadGazeMap, '
                'GazeMapToTarget) and pack it with PackInputs(algorithm_keys='
                "('gt_saliency', 'gt_fixations'))")
        sample['gt_saliency'] = _to_numpy(sample['gt_saliency'])
        samples.append(sample)
    return samples


def score_baseline(samples, make_map):
    """Mean scores of a baseline over ``samples`` with
    :class:`SaliencyMetric`.

    Args:
        samples (list[dict]): from :func:`gaze_samples`.
        make_map (Callable): ``(h, w) -> HxW`` predicted map for an image
            whose ``gt_saliency`` has that shape.

    Returns:
        dict: ``cc``, ``kld``, ``sim``, ``nss``, ``auc_judd`` means (the
        last two over samples with fixations on their image).
    """
    metric = SaliencyMetric(prefix='')
    for sample in samples:
        shape = _to_numpy(sample['gt_saliency']).shape[-2:]
        metric.process(None, [dict(sample, pred_saliency_ori=make_map(shape))])
    return metric.compute_metrics(metric.results)


def fit_center_sigma(samples, sigmas=DEFAULT_CENTER_SIGMAS, key='cc'):
    """The centre-bias sigma (fraction of each side) that maximises the mean
    ``key`` score on ``samples``; returns ``(best_sigma, {sigma: score})``."""
    if not len(sigmas):
        raise ValueError('need at least one centre-bias sigma to try')
    search = {
        float(s): score_baseline(
            samples, lambda hw, s=s: center_bias_map(hw, s))[key]
        for s in sigmas
    }
    return max(search, key=search.get), search


def gaze_dataset_cfg(cfg, loader, split=None):
    """The dataset config of ``cfg[loader]`` (a ``KneeXrayDataset``) with
    the config's test pipeline (no augmentation), only images with an
    attention map, and ``split`` (if given) overriding its split."""
    dataset_cfg = copy.deepcopy(cfg[loader]['dataset'])
    if 'pipeline' not in dataset_cfg or 'dataset' in dataset_cfg:
        raise ValueError(f'{loader}.dataset must be a KneeXrayDataset config '
                         '(dataset wrappers are not supported here)')
    dataset_cfg['pipeline'] = copy.deepcopy(
        cfg.test_dataloader.dataset.pipeline)
    dataset_cfg['require_gaze_map'] = True
    if split is not None:
        dataset_cfg['split'] = split
    return dataset_cfg


def evaluate_saliency_baselines(cfg, split=None,
                                sigmas=DEFAULT_CENTER_SIGMAS):
    """Fit both baselines on the train split of a saliency config and score
    them on its held-out split.

    The train images with gaze come from ``cfg.train_dataloader.dataset``
    (read with the test pipeline, no augmentation); the held-out ones from
    ``cfg.test_dataloader.dataset``, with ``split`` overriding its split.

    Returns:
        dict: ``center_bias`` (scores and the chosen ``sigma``),
        ``mean_map`` (scores), ``center_sigma_search`` (train CC per
        sigma), ``num_train`` and ``num_test`` images.
    """
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    train = gaze_samples(gaze_dataset_cfg(cfg, 'train_dataloader'))
    test = gaze_samples(
        gaze_dataset_cfg(cfg, 'test_dataloader', split))
    sigma, search = fit_center_sigma(train, sigmas)
    mean_map = mean_gaze_map(s['gt_saliency'] for s in train)
    return dict(
        center_bias=dict(
            score_baseline(test, lambda hw: center_bias_map(hw, sigma)),
            sigma=sigma),
        mean_map=score_baseline(
            test, lambda hw: resize_map(mean_map, (hw[1], hw[0]))),
        center_sigma_search=search,
        num_train=len(train),
        num_test=len(test))


__all__ = [
    'DEFAULT_CENTER_SIGMAS', 'center_bias_map', 'mean_gaze_map',
    'gaze_dataset_cfg', 'gaze_samples', 'score_baseline', 'fit_center_sigma',
    'evaluate_saliency_baselines'
]
