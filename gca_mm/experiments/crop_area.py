"""The crop-area control: a stock crop whose mean area equals GCA's.

GCA's crops keep the attended region, so they are larger on average than
the stock ``RandomResizedCrop`` of the same ``crop_ratio_range``. The
``stock-matched`` arm of the benchmark raises the stock crop's lower area
bound until its mean crop area equals the one GCA's crops have on the same
data (``view_statistics(...)['crop_area']['gca']['mean']``), so a gain of
GCA over it cannot be a gain from bigger crops alone.

The stock crop's mean area is not the middle of its range: mmpretrain's
``RandomResizedCrop`` also draws an aspect ratio and redraws (then falls
back to a centre crop) when the box does not fit the image, so the mean is
measured by drawing mmpretrain's own crop parameters, not computed.
"""
import os.path as osp

import numpy as np
from mmengine.config import Config
from mmpretrain.datasets.transforms import RandomResizedCrop

from ..utils import loader_datasets, transform_type, walk_pipeline
from .control_maps import image_paths, image_shape
from .view_stats import view_statistics


def mean_crop_area(crop_ratio_range,
                   image_shape=(224, 224),
                   aspect_ratio_range=(3. / 4., 4. / 3.),
                   num_crops=4000,
                   seed=0):
    """Mean area (a fraction of the image) of mmpretrain's
    ``RandomResizedCrop`` boxes on an image of ``image_shape`` ``(h, w)``,
    over ``num_crops`` draws of its own ``rand_crop_params`` under ``seed``
    (the global numpy generator is restored afterwards)."""
    h, w = image_shape
    crop = RandomResizedCrop(scale=8, crop_ratio_range=tuple(crop_ratio_range),
                             aspect_ratio_range=tuple(aspect_ratio_range))
    img = np.empty((h, w, 1), np.uint8)
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        areas = [th * tw for _, _, th, tw in
                 (crop.rand_crop_params(img) for _ in range(num_crops))]
    finally:
        np.random.set_state(state)
    return float(np.mean(areas)) / (h * w)


def matched_crop_range(target_area,
                       image_shape=(224, 224),
                       aspect_ratio_range=(3. / 4., 4. / 3.),
                       upper=1.0,
                       num_crops=4000,
                       seed=0,
                       tol=1e-3):
    """The ``crop_ratio_range`` ``(low, upper)`` whose mean crop area
    (:func:`mean_crop_area`, same draws for every ``low``) equals
    ``target_area``, found by bisection on ``low``.

    Raises:
        ValueError: if ``target_area`` is not reachable with this ``upper``
            (below the mean of the narrowest-lowest range or above
            ``upper``'s own mean).
    """
    if not 0 < target_area <= 1:
        raise ValueError(f'target_area must be in (0, 1], got {target_area}')

    def area(low):
        return mean_crop_area((low, upper), image_shape, aspect_ratio_range,
                              num_crops, seed)

    lo, hi = 1e-3, upper
    if not area(lo) <= target_area <= area(hi):
        raise ValueError(
            f'a mean crop area of {target_area:.3f} is out of reach of '
            f'crop_ratio_range (low, {upper}): from {area(lo):.3f} to '
            f'{area(hi):.3f} on a {image_shape[0]}x{image_shape[1]} image')
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if area(mid) < target_area:
            lo = mid
        else:
            hi = mid
    low = round((lo + hi) / 2, 3)
    return (low, upper)




def stock_crop_ranges(cfg):
    """``(crop_ratio_range, aspect_ratio_range)`` of the first
    ``RandomResizedCrop`` of a config's training pipeline (mmpretrain's
    defaults where it does not set them)."""
    cfg = Config.fromfile(cfg) if isinstance(cfg, str) else cfg
    for field, dataset in loader_datasets(cfg, ('train_dataloader', )):
        for _, t in walk_pipeline(dataset.get('pipeline', []), field):
            if transform_type(t) == 'RandomResizedCrop':
                return (tuple(t.get('crop_ratio_range', (0.08, 1.0))),
                        tuple(t.get('aspect_ratio_range',
                                    (3. / 4., 4. / 3.))))
    raise ValueError(f'{getattr(cfg, "filename", cfg)}: no RandomResizedCrop '
                     'in train_dataloader.dataset.pipeline')


def matched_crop_area(stock, gca, data_root=None, gaze_map_root=None,
                      num_images=200, seed=0):
    """Measure the mean crop areas of a stock and a GCA config's training
    views on the same images and maps
    (:func:`~gca_mm.experiments.view_statistics`), and the stock crop range
    that matches GCA's (:func:`matched_crop_range`, same upper bound and
    aspect ratios as the stock crop, on the size of the first image).

    Returns:
        dict: ``stock_area``, ``gca_area``, ``crop_ratio_range``,
        ``matched_area``, ``image_shape``, ``stock_crop_ratio_range``,
        ``images``.
    """
    report = view_statistics(stock, gca, data_root, gaze_map_root,
                             num_images=num_images, seed=seed, findings=None)
    crop_range, aspect = stock_crop_ranges(stock)
    root = report['settings']['data_root']
    shape = tuple(image_shape(osp.join(root, image_paths(root)[0])))
    gca_area = report['crop_area']['gca']['mean']
    matched = matched_crop_range(gca_area, shape, aspect, crop_range[1],
                                 seed=seed)
    return dict(stock_area=report['crop_area']['stock']['mean'],
                gca_area=gca_area, crop_ratio_range=list(matched),
                matched_area=mean_crop_area(matched, shape, aspect,
                                            seed=seed),
                image_shape=list(shape),
                stock_crop_ratio_range=list(crop_range),
                images=report['settings']['images'])


__all__ = ['mean_crop_area', 'matched_crop_range', 'stock_crop_ranges',
           'matched_crop_area']
