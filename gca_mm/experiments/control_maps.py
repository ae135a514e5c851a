"""Attention maps for the benchmark's GCA controls, one per image, in the
map tree GCA reads (``gaze_map_root``, :func:`gca_mm.utils.gaze_map_path`).

The same ``GazeConditionedAugment`` run on other maps answers two of a
sceptic's questions about a GCA gain:

- ``centre`` (arm ``gca-centre``): a centre-bias Gaussian
  (:func:`~gca_mm.evaluation.center_bias_map`), the same for every image.
  Would any centred prior do as well as gaze?
- ``mean`` (arm ``gca-mean``): the mean ground-truth gaze map of the train
  split (:func:`~gca_mm.evaluation.mean_gaze_map`), the same for every
  image: where readers look on average, without the image.
- ``oracle`` (arm ``gca-oracle``): a map made from the image's own finding
  boxes in ``findings.csv`` (:func:`finding_box_map`). Perfect knowledge
  of where the findings are, which no user has: an upper bound for what
  the predicted maps could give.

Which boxes the oracle uses: the image's lesions (every row whose ``kind``
is not ``compartment``), weighted by their severity; an image without a
lesion (KL0, and any image whose rows are landmarks only) gets its two
joint-compartment landmark boxes, weighted equally: where a reader looks
to grade it (KL0 is graded from the joint space too).
"""
import os
import os.path as osp

import mmcv
import numpy as np
from mmengine.fileio import get
from mmengine.utils import ProgressBar

from ..datasets import KneeXrayDataset
from ..evaluation import center_bias_map, mean_gaze_map
from ..evaluation.finding_attention import LANDMARK_KIND
from ..gaze import load_findings
from ..gaze.heatmap import load_heatmap, save_heatmap, to_unit_map
from ..utils import gaze_map_path

KINDS = ('centre', 'mean', 'oracle')
SPLITS = ('train', 'val', 'test')


def finding_box_map(boxes, shape, weights=None, sigma_frac=0.5):
    """A map of an ``(h, w)`` image with one Gaussian per box, centred on
    the box with sigmas ``sigma_frac`` times its half-width and
    half-height (so 0.5: the box edge at two sigmas), each scaled by its
    weight; float32, maximum 1.

    Args:
        boxes (Sequence[tuple]): ``(x1, y1, x2, y2)`` in image pixels.
        shape (tuple): ``(h, w)`` of the image.
        weights (Sequence[float], optional): one non-negative weight per
            box, not all 0. Defaults to 1 each.
        sigma_frac (float): > 0.
    """
    h, w = shape
    if not boxes:
        raise ValueError('finding_box_map needs at least one box')
    weights = [1.0] * len(boxes) if weights is None else list(weights)
    if len(weights) != len(boxes) or min(weights) < 0 or not max(weights) > 0:
        raise ValueError(f'weights must be {len(boxes)} non-negative numbers, '
                         f'not all 0, got {weights}')
    if not sigma_frac > 0:
        raise ValueError(f'sigma_frac must be > 0, got {sigma_frac}')
    ys, xs = np.arange(h) + 0.5, np.arange(w) + 0.5  # pixel centres
    total = np.zeros((h, w), np.float64)
    for (x1, y1, x2, y2), weight in zip(boxes, weights):
        if not (x2 > x1 and y2 > y1):
            raise ValueError(f'box {(x1, y1, x2, y2)} must have x2 > x1 and '
                             'y2 > y1')
        sx = max(sigma_frac * (x2 - x1) / 2, 0.5)
        sy = max(sigma_frac * (y2 - y1) / 2, 0.5)
        gy = np.exp(-0.5 * ((ys - (y1 + y2) / 2) / sy)**2)
        gx = np.exp(-0.5 * ((xs - (x1 + x2) / 2) / sx)**2)
        total += weight * np.outer(gy, gx)
    return to_unit_map(total)


def oracle_boxes(entry):
    """``(boxes, weights)`` the oracle map of an image is made from (see
    the module docstring), from its ``gca_mm.gaze.ImageFindings``."""
    lesions = [f for f in entry.findings if f.kind != LANDMARK_KIND]
    weighted = [f for f in lesions if f.severity > 0]
    if weighted:
        return [f.box for f in weighted], [f.severity for f in weighted]
    landmarks = [f for f in entry.findings if f.kind == LANDMARK_KIND]
    chosen = lesions or landmarks
    if not chosen:
        raise ValueError(f'{entry.image}: no finding or landmark row in the '
                         'findings table, so no oracle map')
    return [f.box for f in chosen], [1.0] * len(chosen)


def image_paths(data_root, splits=SPLITS):
    """Image paths relative to ``data_root``, of every split folder that
    exists, in ``KneeXrayDataset``'s order."""
    found = [s for s in splits if osp.isdir(osp.join(data_root, s))]
    if not found:
        raise FileNotFoundError(f'none of the split folders {splits} in '
                                f'{data_root}')
    dataset = KneeXrayDataset(data_root, split=tuple(found),
                              with_label=False, serialize_data=False)
    return [osp.relpath(dataset.get_data_info(i)['img_path'], data_root)
            for i in range(len(dataset))]


def image_shape(path):
    """``(h, w)`` of an image file."""
    img = mmcv.imfrombytes(get(path), flag='unchanged')
    if img is None:
        raise ValueError(f'{path}: not a readable image')
    return img.shape[:2]


def train_gaze_mean(gaze_maps_root, shape):
    """:func:`~gca_mm.evaluation.mean_gaze_map` of the ground-truth maps
    of the train split below ``gaze_maps_root``, at ``shape``."""
    train = osp.join(gaze_maps_root, 'train')
    paths = sorted(
        osp.join(d, f) for d, _, files in os.walk(train)
        for f in files if f.endswith(('.png', '.npy')))
    if not paths:
        raise FileNotFoundError(f'no train gaze maps (.png / .npy) below '
                                f'{train}; the mean map needs them')
    return mean_gaze_map((load_heatmap(p) for p in paths), shape)


def write_control_maps(kind, data_root, out_dir, gaze_maps_root=None,
                       findings=None, sigma_frac=0.25, suffix='.png',
                       show_progress=False):
    """Write the ``kind`` map of every image below ``data_root``'s split
    folders into ``out_dir`` (the map tree mirrors the image tree; maps
    already there are kept, so an interrupted call is finished by a rerun;
    each map is written atomically).

    Args:
        kind (str): one of :data:`KINDS`.
        data_root (str): the image root (split folders ``train`` / ``val``
            / ``test``).
        out_dir (str): root of the map tree to write.
        gaze_maps_root (str, optional): ground-truth gaze maps (``mean``);
            default ``<data_root>/gaze/maps``.
        findings (str, optional): findings table (``oracle``); default
            ``<data_root>/findings.csv``.
        sigma_frac (float): the centre Gaussian's sigma as a fraction of
            each side (``centre``). Defaults to 0.25.
        suffix (str): '.png' (16-bit) or '.npy'.

    Returns:
        dict: ``written`` and ``skipped`` counts, ``kind``, ``out_dir``.
    """
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {KINDS}, got {kind!r}')
    images = image_paths(data_root)
    table = None
    if kind == 'oracle':
        findings = findings or osp.join(data_root, 'findings.csv')
        if not osp.isfile(findings):
            raise FileNotFoundError(f'the oracle maps need a findings table; '
                                    f'{findings} does not exist')
        table = load_findings(findings)
    shared = {}  # centre / mean: one map per image shape
    written = skipped = 0
    bar = ProgressBar(len(images)) if show_progress else None
    for rel in images:
        out = gaze_map_path(rel, out_dir, suffix)
        if osp.isfile(out):
            skipped += 1
        else:
            shape = image_shape(osp.join(data_root, rel))
            if kind == 'oracle':
                key = rel.replace(osp.sep, '/')
                if key not in table:
                    raise ValueError(f'{findings}: no row for image {key!r}, '
                                     'so no oracle map')
                boxes, weights = oracle_boxes(table[key])
                heat = finding_box_map(boxes, shape, weights)
            else:
                if shape not in shared:
                    shared[shape] = (
                        center_bias_map(shape, sigma_frac)
                        if kind == 'centre' else
                        train_gaze_mean(gaze_maps_root or osp.join(
                            data_root, 'gaze', 'maps'), shape))
                heat = shared[shape]
            save_heatmap(out, heat)
            written += 1
        if bar is not None:
            bar.update()
    return dict(kind=kind, out_dir=out_dir, written=written, skipped=skipped)


__all__ = ['KINDS', 'finding_box_map', 'oracle_boxes', 'write_control_maps']
