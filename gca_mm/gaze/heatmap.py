"""Attention heat maps from fixations, and their files.

A map is the sum of one Gaussian per fixation, optionally weighted by its
duration and cut to the part of the image that was on screen, normalised to
sum 1. ``render_density(method='pdf')`` evaluates each Gaussian at the pixel
centres (REFLACX's reference definition, exact). The default,
``method='blur'``, is the fast approximation: it is rendered by splatting
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
RENDER_METHODS = ('blur', 'pdf')
NORMALIZATIONS = ('max', 'sum')
# sigmas within about 0.5 % of each other share one blur (at their
# geometric mean)
_SIGMA_LOG_STEP = np.log1p(0.005)


def _per_row(value, n, name):
    arr = np.broadcast_to(np.asarray(value, dtype=np.float64), (n, )).copy()
    if not (np.isfinite(arr).all() and (arr > 0).all()):
        raise ValueError(f'{name} must be finite and > 0, got '
                         f'{arr[~(np.isfinite(arr) & (arr > 0))][:3]}')
    return arr


def _shown_rects(shown, n, shape):
    """Per-fixation ``(xmin, ymin, xmax, ymax)`` rounded to whole pixels
    (as REFLACX's reference does) and cut to the image: the pixels
    ``xmin <= col < xmax``, ``ymin <= row < ymax`` were on screen."""
    h, w = shape
    shown = np.asarray(shown, dtype=np.float64)
    if shown.shape != (n, 4) or not np.isfinite(shown).all():
        raise ValueError(f'shown must be {n} finite rows (xmin, ymin, xmax, '
                         f'ymax), got shape {shown.shape}'
                         + ('' if shown.shape != (n, 4) else
                            ' with unknown (NaN) values'))
    r = np.clip(np.round(shown), 0, [w, h, w, h])
    empty = (r[:, 2] <= r[:, 0]) | (r[:, 3] <= r[:, 1])
    if empty.all():
        raise ValueError(f'no shown rectangle overlaps the {h}x{w} image, '
                         f'e.g. {shown[0].tolist()}')
    return r.astype(np.int64)


def _gaussian_1d(coords, mu, sigma):
    """``n x len(coords)`` normal pdfs, one row per (mu, sigma)."""
    z = (coords[None, :] - mu[:, None]) / sigma[:, None]
    return np.exp(-0.5 * z * z) / (np.sqrt(2 * np.pi) * sigma[:, None])


def _pdf_density(x, y, shape, sx, sy, weights, rects, chunk=256):
    """Sum of Gaussian pdfs evaluated at the pixel centres, each zero
    outside its rectangle; separable, so a product of two 1-D factors."""
    h, w = shape
    cols, rows = np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64)
    density = np.zeros((h, w), dtype=np.float64)
    for start in range(0, len(x), chunk):
        sl = slice(start, start + chunk)
        gx = _gaussian_1d(cols, x[sl], sx[sl])
        gy = _gaussian_1d(rows, y[sl], sy[sl]) * weights[sl, None]
        if rects is not None:
            r = rects[sl]
            gx *= (cols >= r[:, 0:1]) & (cols < r[:, 2:3])
            gy *= (rows >= r[:, 1:2]) & (rows < r[:, 3:4])
        density += gy.T @ gx
    return density


def _blur_density(x, y, shape, sx, sy, weights, rects):
    """Bilinear splat + one ``cv2.GaussianBlur`` per (sigma, rectangle)
    group, zero outside the group's rectangle."""
    h, w = shape
    # bilinear splat; the outer half pixel of the image splats on its border
    xc, yc = np.clip(x, 0, w - 1), np.clip(y, 0, h - 1)
    x0 = np.minimum(np.floor(xc).astype(np.int64), max(w - 2, 0))
    y0 = np.minimum(np.floor(yc).astype(np.int64), max(h - 2, 0))
    fx, fy = xc - x0, yc - y0
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)

    density = np.zeros((h, w), dtype=np.float64)
    keys = np.round(np.log(np.stack([sx, sy], axis=1)) / _SIGMA_LOG_STEP)
    if rects is not None:
        keys = np.concatenate([keys, rects], axis=1)
    for key in np.unique(keys, axis=0):
        sel = (keys == key).all(axis=1)
        grid = np.zeros((h, w), dtype=np.float64)
        wr, fxr, fyr = weights[sel], fx[sel], fy[sel]
        corners = ((y0, x0, (1 - fxr) * (1 - fyr)),
                   (y0, x1, fxr * (1 - fyr)),
                   (y1, x0, (1 - fxr) * fyr),
                   (y1, x1, fxr * fyr))
        for yy, xx, ww in corners:
            np.add.at(grid, (yy[sel], xx[sel]), wr * ww)
        blurred = cv2.GaussianBlur(
            grid, (0, 0),
            sigmaX=float(np.exp(np.log(sx[sel]).mean())),
            sigmaY=float(np.exp(np.log(sy[sel]).mean())),
            borderType=cv2.BORDER_CONSTANT)
        if rects is not None:
            xmin, ymin, xmax, ymax = (int(v) for v in key[2:])
            density[ymin:ymax, xmin:xmax] += blurred[ymin:ymax, xmin:xmax]
        else:
            density += blurred
    return density


def render_density(x,
                   y,
                   shape,
                   sigma_x,
                   sigma_y=None,
                   weights=None,
                   method='blur',
                   shown=None):
    """Normalised sum of Gaussians centred on ``(x, y)``.

    Two renderers of the same definition:

    - ``'blur'`` (default, fast): splat each fixation's weight bilinearly
      onto the grid and blur it (module docstring). Fixations must lie on
      the image.
    - ``'pdf'``: evaluate each Gaussian's density at the pixel centres
      (integer coordinates), exactly as REFLACX's reference heat maps do.
      Fixations off the image are allowed: the part of their Gaussian that
      falls on it counts.

    Args:
        x, y (array): fixation coordinates in pixels (integers are pixel
            centres).
        shape (tuple): ``(h, w)`` of the map.
        sigma_x (float | array): Gaussian sigma in px along x, scalar or per
            fixation.
        sigma_y (float | array, optional): along y; default ``sigma_x``.
        weights (array, optional): non-negative weight per fixation.
        method (str): ``'blur'`` or ``'pdf'``.
        shown (array, optional): ``n x 4`` ``(xmin, ymin, xmax, ymax)``
            per fixation, the part of the image on screen. Each Gaussian is
            zero outside its rectangle (rounded to whole pixels, cut to the
            image).

    Returns:
        np.ndarray: float64 ``h x w`` map summing to 1.
    """
    if method not in RENDER_METHODS:
        raise ValueError(f'method must be one of {RENDER_METHODS}, got '
                         f'{method!r}')
    h, w = shape
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y, dtype=np.float64))
    n = len(x)
    if n == 0 or y.shape != x.shape:
        raise ValueError(f'need one or more fixations with as many x as y, '
                         f'got {x.shape} and {y.shape}')
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError('fixation coordinates must be finite')
    out = outside_mask(x, y, (h, w))
    if method == 'blur' and out.any():
        raise ValueError(f'{int(out.sum())} fixation(s) outside the {h}x{w} '
                         f'map, e.g. ({x[out][0]:g}, {y[out][0]:g}); apply an '
                         "outside policy first or render with method='pdf'")
    sx = _per_row(sigma_x, n, 'sigma_x')
    sy = _per_row(sigma_x if sigma_y is None else sigma_y, n, 'sigma_y')
    weights = np.ones(n) if weights is None else np.asarray(
        weights, dtype=np.float64)
    if weights.shape != (n, ) or not (np.isfinite(weights).all() and
                                      (weights >= 0).all()):
        raise ValueError(f'weights must be {n} finite values >= 0')
    if weights.sum() <= 0:
        raise ValueError('weights sum to 0: nothing to render')
    rects = None if shown is None else _shown_rects(shown, n, (h, w))
    render = _pdf_density if method == 'pdf' else _blur_density
    density = render(x, y, (h, w), sx, sy, weights, rects)
    total = density.sum()
    if not total > 0:
        raise ValueError('the rendered map has no mass inside the image'
                         + ('' if rects is None else
                            ' (and the shown rectangles)'))
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


def fixation_shown(table, use_shown=False):
    """The table's shown rectangles, or None when ``use_shown`` is False."""
    if not use_shown:
        return None
    unknown = ~np.isfinite(table.shown).all(axis=1)
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise ValueError(
            f'the shown rectangle is unknown for {int(unknown.sum())} '
            f'fixation(s) (e.g. image {table.image[i]!r}, reader '
            f'{table.reader[i]!r}); only REFLACX records it, render without '
            'it (use_shown=False, --no-shown-rect)')
    return table.shown


def render_fixation_map(table,
                        shape,
                        sigma_px=None,
                        sigma_deg=None,
                        ppd=None,
                        duration_weighting=False,
                        method='blur',
                        use_shown=False):
    """Attention density of one image, averaged over its readers.

    Each reader's fixations are rendered and normalised to sum 1 before the
    readers are averaged, so a reader with many fixations does not dominate.
    (One reader's map is the REFLACX reference map of that reading when
    ``sigma_deg=1, duration_weighting=True, method='pdf',
    use_shown=True``.)

    Args:
        table (FixationTable): the fixations of one image.
        shape (tuple): ``(h, w)`` of the image.
        sigma_px, sigma_deg, ppd: see ``fixation_sigmas``.
        duration_weighting (bool): weight each fixation by its duration.
        method (str): ``'blur'`` or ``'pdf'``, see ``render_density``.
        use_shown (bool): zero each Gaussian outside the part of the image
            that was on screen (the table's ``shown`` column).

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
    shown = fixation_shown(table, use_shown)
    maps = []
    for reader in table.readers():
        rows = table.reader == reader
        maps.append(
            render_density(
                table.x[rows],
                table.y[rows],
                shape,
                sx[rows],
                sy[rows],
                weights[rows],
                method=method,
                shown=None if shown is None else shown[rows]))
    return np.mean(maps, axis=0)


def normalize_map(density, normalize='max'):
    """``'max'``: scale to maximum 1 (``to_unit_map``); ``'sum'``: to sum 1
    (float32)."""
    if normalize not in NORMALIZATIONS:
        raise ValueError(f'normalize must be one of {NORMALIZATIONS}, got '
                         f'{normalize!r}')
    unit = to_unit_map(density)
    if normalize == 'max':
        return unit
    return (unit / unit.astype(np.float64).sum()).astype(np.float32)


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
                   show_progress=True,
                   method='blur',
                   use_shown=False,
                   normalize='max'):
    """Render the reader-averaged map of every image in ``table`` and
    write it to ``heatmap_path(out_dir, image, suffix)``.

    Args:
        table (FixationTable): fixations of any number of images.
        image_sizes: mapping ``image -> (h, w)`` (dict or ``ImageSizes``).
        out_dir (str): root of the map tree.
        sigma_px, sigma_deg, ppd, duration_weighting, method, use_shown:
            see ``render_fixation_map``.
        suffix (str): ``'.png'`` (16-bit) or ``'.npy'`` (float32).
        show_progress (bool): show an mmengine progress bar.
        normalize (str): ``'max'`` (maximum 1, the default; the consumers
            only use the map's shape) or ``'sum'`` (sum 1, the REFLACX
            reference's scale; ``.npy`` only, a 16-bit PNG would round it
            away).

    Returns:
        list[str]: the written paths, in image order.
    """
    if normalize not in NORMALIZATIONS:
        raise ValueError(f'normalize must be one of {NORMALIZATIONS}, got '
                         f'{normalize!r}')
    if normalize == 'sum' and suffix != '.npy':
        raise ValueError("normalize='sum' needs suffix='.npy' (a 16-bit PNG "
                         'holds 0..1 maps scaled to their maximum)')
    groups = list(table.group_by_image())
    if show_progress and groups:
        groups = track_iter_progress(groups)
    paths = []
    for image, sub in groups:
        density = render_fixation_map(
            sub,
            lookup_size(image_sizes, image),
            sigma_px,
            sigma_deg,
            ppd,
            duration_weighting,
            method=method,
            use_shown=use_shown)
        path = heatmap_path(out_dir, image, suffix)
        save_heatmap(path, normalize_map(density, normalize))
        paths.append(path)
    return paths
