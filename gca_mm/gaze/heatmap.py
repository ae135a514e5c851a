"""Attention heat maps from fixations, and their files.

A map is the sum of one Gaussian per fixation. It is rendered by splatting
each fixation's weight bilinearly onto a float grid (sub-pixel positions
keep their centre) and blurring the grid with ``cv2.GaussianBlur``, once per
distinct sigma. The blur uses ``BORDER_CONSTANT`` (zeros outside): the part
of a Gaussian that falls outside the image is lost, so a fixation near the
border is a truncated Gaussian whose peak stays where the fixation is
(mirrored borders would fold mass back and pull it inwards). The density is
normalised to sum 1 over the image afterwards.

Map files mirror the image tree: image ``train/2/knee_00012.png`` ->
``<out>/train/2/knee_00012<suffix>``; ``.png`` is 16-bit (0..65535 for the
0..1 map), ``.npy`` float32.
"""
import io
import os.path as osp

import cv2
import mmcv
import numpy as np
from mmengine.fileio import get
from mmengine.utils import track_iter_progress

from gca_mm.utils import atomic_imwrite, atomic_save_npy, gaze_map_path

from .bounds import lookup_size, outside_mask

# 1 degree of visual angle for a 224 px knee crop: a ~15 cm knee shown about
# 25 cm high at 60 cm spans ~22 degrees, i.e. ~10 px per degree.
DEFAULT_SIGMA_PX = 10.0
MAP_SUFFIXES = ('.png', '.npy')
# sigmas within about 0.5 % of each other share one blur (at their
# geometric mean)
_SIGMA_LOG_STEP = np.log1p(0.005)


def _per_row(value, n, name):
    arr = np.broadcast_to(np.asarray(value, dtype=np.float64), (n, )).copy()
    if not (np.isfinite(arr).all() and (arr > 0).all()):
        raise ValueError(f'{name} must be finite and > 0, got '
                         f'{arr[~(np.isfinite(arr) & (arr > 0))][:3]}')
    return arr


def render_density(x, y, shape, sigma_x, sigma_y=None, weights=None):
    """Normalised sum of Gaussians centred on ``(x, y)``.

    Args:
        x, y (array): fixation coordinates in pixels (integers are pixel
            centres); each must lie on the image.
        shape (tuple): ``(h, w)`` of the map.
        sigma_x (float | array): Gaussian sigma in px along x, scalar or per
            fixation.
        sigma_y (float | array, optional): along y; default ``sigma_x``.
        weights (array, optional): non-negative weight per fixation.

    Returns:
        np.ndarray: float64 ``h x w`` map summing to 1.
    """
    h, w = shape
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y, dtype=np.float64))
    n = len(x)
    if n == 0 or y.shape != x.shape:
        raise ValueError(f'need one or more fixations with as many x as y, '
                         f'got {x.shape} and {y.shape}')
    out = outside_mask(x, y, (h, w))
    if out.any():
        raise ValueError(f'{int(out.sum())} fixation(s) outside the {h}x{w} '
                         f'map, e.g. ({x[out][0]:g}, {y[out][0]:g}); apply an '
                         'outside policy first')
    sx = _per_row(sigma_x, n, 'sigma_x')
    sy = _per_row(sigma_x if sigma_y is None else sigma_y, n, 'sigma_y')
    weights = np.ones(n) if weights is None else np.asarray(
        weights, dtype=np.float64)
    if weights.shape != (n, ) or not (np.isfinite(weights).all() and
                                      (weights >= 0).all()):
        raise ValueError(f'weights must be {n} finite values >= 0')
    if weights.sum() <= 0:
        raise ValueError('weights sum to 0: nothing to render')

    # bilinear splat; the outer half pixel of the image splats on its border
    xc, yc = np.clip(x, 0, w - 1), np.clip(y, 0, h - 1)
    x0 = np.minimum(np.floor(xc).astype(np.int64), max(w - 2, 0))
    y0 = np.minimum(np.floor(yc).astype(np.int64), max(h - 2, 0))
    fx, fy = xc - x0, yc - y0
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)

    density = np.zeros((h, w), dtype=np.float64)
    keys = np.round(np.log(np.stack([sx, sy], axis=1)) / _SIGMA_LOG_STEP)
    for key in np.unique(keys, axis=0):
        rows = (keys == key).all(axis=1)
        grid = np.zeros((h, w), dtype=np.float64)
        wr, fxr, fyr = weights[rows], fx[rows], fy[rows]
        corners = ((y0, x0, (1 - fxr) * (1 - fyr)),
                   (y0, x1, fxr * (1 - fyr)),
                   (y1, x0, (1 - fxr) * fyr),
                   (y1, x1, fxr * fyr))
        for yy, xx, ww in corners:
            np.add.at(grid, (yy[rows], xx[rows]), wr * ww)
        density += cv2.GaussianBlur(
            grid, (0, 0),
            sigmaX=float(np.exp(np.log(sx[rows]).mean())),
            sigmaY=float(np.exp(np.log(sy[rows]).mean())),
            borderType=cv2.BORDER_CONSTANT)
    total = density.sum()
    if not total > 0:
        raise ValueError('the rendered map has no mass inside the image')
    return density / total


def fixation_sigmas(table, sigma_px=None, sigma_deg=None, ppd=None):
    """Per-fixation ``(sigma_x, sigma_y)`` in px.

    Exactly one of ``sigma_px`` (pixels) and ``sigma_deg`` (degrees of visual
    angle) must be given. With ``sigma_deg`` the pixels per degree come from
    ``ppd`` (scalar or per row) or else from the table's ``ppd_x`` /
    ``ppd_y`` columns: ``sigma = sigma_deg * ppd``.
    """
    n = len(table)
    if (sigma_px is None) == (sigma_deg is None):
        raise ValueError('give exactly one of sigma_px and sigma_deg')
    if sigma_px is not None:
        s = _per_row(sigma_px, n, 'sigma_px')
        return s, s
    if ppd is not None:
        ppd_x = ppd_y = _per_row(ppd, n, 'ppd')
    else:
        ppd_x, ppd_y = table.ppd_x, table.ppd_y
        unknown = ~(np.isfinite(ppd_x) & np.isfinite(ppd_y))
        if unknown.any():
            raise ValueError(
                f'sigma_deg needs pixels per degree, unknown for '
                f'{int(unknown.sum())} fixation(s) (e.g. image '
                f'{table.image[unknown][0]!r}); pass ppd= or use sigma_px')
    return (_per_row(sigma_deg * ppd_x, n, 'sigma_deg * ppd_x'),
            _per_row(sigma_deg * ppd_y, n, 'sigma_deg * ppd_y'))


def fixation_weights(table, duration_weighting=False):
    """Ones, or the fixation durations when ``duration_weighting``."""
    if not duration_weighting:
        return np.ones(len(table))
    unknown = np.isnan(table.duration_ms)
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise ValueError(
            f'duration weighting needs durations, unknown for '
            f'{int(unknown.sum())} fixation(s) (e.g. image '
            f'{table.image[i]!r}, reader {table.reader[i]!r})')
    return table.duration_ms


def render_fixation_map(table,
                        shape,
                        sigma_px=None,
                        sigma_deg=None,
                        ppd=None,
                        duration_weighting=False):
    """Attention density of one image, averaged over its readers.

    Each reader's fixations are rendered and normalised to sum 1 before the
    readers are averaged, so a reader with many fixations does not dominate.

    Args:
        table (FixationTable): the fixations of one image.
        shape (tuple): ``(h, w)`` of the image.
        sigma_px, sigma_deg, ppd: see ``fixation_sigmas``.
        duration_weighting (bool): weight each fixation by its duration.

    Returns:
        np.ndarray: float64 ``h x w`` map summing to 1.
    """
    if len(table) == 0:
        raise ValueError('no fixations to render')
    if len(table.images()) > 1:
        raise ValueError(f'render_fixation_map takes the fixations of one '
                         f'image, got {len(table.images())} images')
    sx, sy = fixation_sigmas(table, sigma_px, sigma_deg, ppd)
    weights = fixation_weights(table, duration_weighting)
    maps = []
    for reader in table.readers():
        rows = table.reader == reader
        maps.append(
            render_density(table.x[rows], table.y[rows], shape, sx[rows],
                           sy[rows], weights[rows]))
    return np.mean(maps, axis=0)


def to_unit_map(density):
    """Scale a non-negative map so that its maximum is 1 (float32)."""
    density = np.asarray(density, dtype=np.float64)
    peak = density.max()
    if not (np.isfinite(density).all() and density.min() >= 0 and peak > 0):
        raise ValueError('expected a finite non-negative map with a positive '
                         'maximum')
    return (density / peak).astype(np.float32)


def heatmap_path(out_dir, image, suffix='.png'):
    """Path of the map of ``image`` (a path relative to the image root):
    :func:`gca_mm.utils.gaze_map_path`, for the suffixes written here."""
    if suffix not in MAP_SUFFIXES:
        raise ValueError(f'map suffix must be one of {MAP_SUFFIXES}, got '
                         f'{suffix!r}')
    return gaze_map_path(image, out_dir, suffix)


def save_heatmap(path, heatmap):
    """Write a map atomically: ``.npy`` as float32, ``.png`` as 16-bit
    (the map must lie in [0, 1], e.g. from ``to_unit_map``)."""
    heatmap = np.asarray(heatmap, dtype=np.float32)
    if heatmap.ndim != 2 or not np.isfinite(heatmap).all():
        raise ValueError(f'{path}: a heat map must be a finite 2-D array, '
                         f'got shape {heatmap.shape}')
    suffix = osp.splitext(path)[1]
    if suffix == '.npy':
        atomic_save_npy(path, heatmap)
    elif suffix == '.png':
        if heatmap.min() < 0 or heatmap.max() > 1:
            raise ValueError(f'{path}: a 16-bit PNG map holds values in '
                             f'[0, 1], got [{heatmap.min()}, {heatmap.max()}]')
        atomic_imwrite(path, np.round(heatmap * 65535).astype(np.uint16))
    else:
        raise ValueError(f'{path}: map suffix must be one of {MAP_SUFFIXES}')


def load_heatmap(path):
    """Read a map written by ``save_heatmap`` (or an 8-bit grey PNG) as a
    float32 ``h x w`` array; PNG values are scaled to [0, 1]."""
    suffix = osp.splitext(path)[1]
    if suffix == '.npy':
        heatmap = np.load(io.BytesIO(get(path)), allow_pickle=False)
    elif suffix == '.png':
        heatmap = mmcv.imfrombytes(get(path), flag='unchanged')
        if heatmap is None:
            raise ValueError(f'{path}: not a readable PNG')
        if heatmap.dtype not in (np.uint8, np.uint16):
            raise ValueError(f'{path}: expected an 8- or 16-bit PNG, got '
                             f'{heatmap.dtype}')
        heatmap = heatmap / float(np.iinfo(heatmap.dtype).max)
    else:
        raise ValueError(f'{path}: map suffix must be one of {MAP_SUFFIXES}')
    if heatmap.ndim != 2:
        raise ValueError(f'{path}: a heat map must be single-channel 2-D, '
                         f'got shape {heatmap.shape}')
    return heatmap.astype(np.float32)


def write_heatmaps(table,
                   image_sizes,
                   out_dir,
                   sigma_px=None,
                   sigma_deg=None,
                   ppd=None,
                   duration_weighting=False,
                   suffix='.png',
                   show_progress=True):
    """Render the reader-averaged 0..1 map of every image in ``table`` and
    write it to ``heatmap_path(out_dir, image, suffix)``.

    Args:
        table (FixationTable): fixations of any number of images.
        image_sizes: mapping ``image -> (h, w)`` (dict or ``ImageSizes``).
        out_dir (str): root of the map tree.
        sigma_px, sigma_deg, ppd, duration_weighting: see
            ``render_fixation_map``.
        suffix (str): ``'.png'`` (16-bit) or ``'.npy'`` (float32).
        show_progress (bool): show an mmengine progress bar.

    Returns:
        list[str]: the written paths, in image order.
    """
    groups = list(table.group_by_image())
    if show_progress and groups:
        groups = track_iter_progress(groups)
    paths = []
    for image, sub in groups:
        density = render_fixation_map(sub, lookup_size(image_sizes,
                                                       image), sigma_px,
                                      sigma_deg, ppd, duration_weighting)
        path = heatmap_path(out_dir, image, suffix)
        save_heatmap(path, to_unit_map(density))
        paths.append(path)
    return paths
