"""Parameter sampling for gaze-conditioned augmentation.

Pure functions: they read an attention map's summed-area table and return
plain parameters, drawing random numbers only from the ``rng`` passed in (a
``numpy.random.Generator``, a ``RandomState`` or the ``numpy.random`` module;
only ``rng.uniform`` is used). Rejection sampling is batched: all candidates
are drawn at once, their masses computed with numpy from the summed-area
table (the first :data:`FIRST_BATCH` candidates, then, if none of them
qualifies, the rest), and the FIRST qualifying candidate is taken, which is
exactly what a sequential rejection loop over the same draws returns.

Boxes are ``(x1, y1, x2, y2)`` in pixels, inclusive-exclusive. Attention is
always a fraction of the map's total mass, so thresholds do not depend on the
map's scale or resolution. The map may have a lower resolution than the
image the boxes are drawn on (``LoadGazeMap(max_side=...)``): with
``scale_factor`` (map pixels per image pixel, ``(w_scale, h_scale)`` as
mmcv's ``Resize`` records it) a box in image pixels is measured exactly on
the map, taken as constant over each of its pixels.
"""
import math

import cv2
import numpy as np


def check_interval(name, value, low, high, low_open=False, high_open=False):
    """Raise ``ValueError`` unless ``low <= value <= high`` (ends optionally
    open) for a number ``value``."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) \
        and not isinstance(value, bool) and math.isfinite(value) \
        and (low < value if low_open else low <= value) \
        and (value < high if high_open else value <= high)
    if not ok:
        raise ValueError(f'{name} must be a number in '
                         f'{"(" if low_open else "["}{low}, {high}'
                         f'{")" if high_open else "]"}, got {value!r}')


def check_range(name, value, low, high, low_open=False, high_open=False):
    """Raise ``ValueError`` unless ``value`` is a pair ``(min, max)`` with
    ``min <= max``, both inside the given interval."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise ValueError(f'{name} must be a pair (min, max), got {value!r}')
    for v in value:
        check_interval(f'each end of {name}', v, low, high, low_open,
                       high_open)
    if value[0] > value[1]:
        raise ValueError(f'{name} must be ordered (min, max), got {value!r}')


def check_count(name, value):
    """Raise ``ValueError`` unless ``value`` is a positive int."""
    if not (isinstance(value, (int, np.integer)) and not isinstance(
            value, bool) and value >= 1):
        raise ValueError(f'{name} must be a positive int, got {value!r}')


def summed_area_table(gaze_map):
    """Summed-area table of an HxW map: float64 array of shape (H+1, W+1)
    with ``sat[y, x] = gaze_map[:y, :x].sum()``."""
    if gaze_map.ndim != 2:
        raise ValueError('the attention map must be a 2-D (H, W) array, got '
                         f'shape {gaze_map.shape}')
    if gaze_map.dtype not in (np.float32, np.float64):
        gaze_map = gaze_map.astype(np.float32)
    return cv2.integral(gaze_map, sdepth=cv2.CV_64F)


def sat_at(sat, x, y):
    """The summed-area table at fractional map coordinates ``x``, ``y``
    (arrays of one shape): the mass of the map left of ``x`` and above
    ``y``, the map taken as constant over each of its pixels. Bilinear
    interpolation of the table is exact for such a map."""
    mh, mw = sat.shape[0] - 1, sat.shape[1] - 1
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    x0 = np.clip(np.floor(x), 0, mw - 1).astype(np.intp)
    y0 = np.clip(np.floor(y), 0, mh - 1).astype(np.intp)
    tx, ty = x - x0, y - y0
    s00, s01 = sat[y0, x0], sat[y0, x0 + 1]
    s10, s11 = sat[y0 + 1, x0], sat[y0 + 1, x0 + 1]
    return (s00 + tx * (s01 - s00) + ty * (s10 - s00) +
            tx * ty * (s11 - s01 - s10 + s00))


def box_mass(sat, boxes, scale_factor=None):
    """Mass inside box(es) ``(..., 4)`` of the map behind ``sat``, in O(1)
    per box. Boxes are in the map's pixels, or, with ``scale_factor``
    ``(w_scale, h_scale)``, in the pixels of an image the map covers at
    that scale (see the module doc)."""
    boxes = np.asarray(boxes)
    x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
    if scale_factor is None:
        return sat[y2, x2] - sat[y1, x2] - sat[y2, x1] + sat[y1, x1]
    fw, fh = scale_factor
    x1, x2, y1, y2 = x1 * fw, x2 * fw, y1 * fh, y2 * fh
    return (sat_at(sat, x2, y2) - sat_at(sat, x2, y1) - sat_at(sat, x1, y2)
            + sat_at(sat, x1, y1))


def total_mass(sat):
    """The map's total mass; ``ValueError`` unless positive and finite."""
    total = sat[-1, -1]
    if not (np.isfinite(total) and total > 0):
        raise ValueError('the attention map has no positive finite mass '
                         f'(total {total}); attention fractions are undefined')
    return total


def box_attention(sat, boxes, scale_factor=None):
    """Fraction of the map's total mass inside box(es) ``(..., 4)`` (see
    :func:`box_mass`)."""
    return box_mass(sat, boxes, scale_factor) / total_mass(sat)


def map_scale_factor(map_shape, shape):
    """``(w_scale, h_scale)``: pixels of a map of ``map_shape`` (H, W) per
    pixel of the image of ``shape`` (H, W[, C]) it covers."""
    return (map_shape[1] / shape[1], map_shape[0] / shape[0])


def _sat_shape(sat, shape, scale_factor=None):
    """The image's ``(h, w)``, after checking that ``sat`` is the table of
    a map covering it (at ``scale_factor``, default 1)."""
    h, w = shape[:2]
    fw, fh = scale_factor or (1.0, 1.0)
    expected = (round(h * fh) + 1, round(w * fw) + 1)
    if sat.shape != expected:
        raise ValueError(f'summed-area table of shape {sat.shape} does not '
                         f'belong to an image of shape {tuple(shape[:2])} '
                         f'at map scale {(fw, fh)}; expected {expected}')
    return h, w


def _aspects(u, ratio):
    """Log-uniform aspect ratios from uniform draws ``u``."""
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    return np.exp(log_lo + (log_hi - log_lo) * u)


def _box_sides(u, shape, area, ratio):
    """Turn a ``(4, n)`` uniform block (area, log-ratio, x, y) into float
    sides ``(sqrt(area * ratio), sqrt(area / ratio))`` with ``area`` a
    fraction of the image's, ``ratio`` log-uniform, and the x, y fractions
    used by :func:`_offsets`."""
    h, w = shape[:2]
    target = (area[0] + (area[1] - area[0]) * u[0]) * (h * w)
    aspect = _aspects(u[1], ratio)
    return (np.rint(np.sqrt(target * aspect)),
            np.rint(np.sqrt(target / aspect)), u[2], u[3])


def _offsets(frac, size, limit):
    """Uniform integer offsets in ``[0, limit - size]`` (0 where the box does
    not fit)."""
    return np.floor(frac * np.maximum(limit - size + 1, 1))


def crop_candidates(shape, scale=(0.25, 1.0), ratio=(3 / 4, 4 / 3),
                    num=200, rng=np.random):
    """Draw ``num`` crop boxes as mmpretrain's ``RandomResizedCrop`` does:
    area uniform in ``scale`` times the image area, aspect ratio (w / h)
    log-uniform in ``ratio``, position uniform.

    Draws one ``rng.uniform(0, 1, (4, num))`` block (rows: area, log-ratio,
    x, y).

    Returns:
        tuple: ``boxes`` int64 ``(num, 4)``, clipped to the image, and
        ``valid`` bool ``(num,)``: the box had the drawn size and fitted.
    """
    check_range('scale', scale, 0, 1, low_open=True)
    check_range('ratio', ratio, 0, math.inf, low_open=True, high_open=True)
    check_count('num', num)
    return _crop_boxes(rng.uniform(0.0, 1.0, (4, num)), shape, scale, ratio)


def _crop_boxes(u, shape, scale, ratio):
    """Crop boxes and their validity from a ``(4, num)`` uniform block, see
    :func:`crop_candidates`."""
    h, w = shape[:2]
    cw, ch, fx, fy = _box_sides(u, shape, scale, ratio)
    valid = (cw > 0) & (cw <= w) & (ch > 0) & (ch <= h)
    boxes = np.empty((len(cw), 4), np.int64)
    boxes[:, 0] = x1 = _offsets(fx, cw, w)
    boxes[:, 1] = y1 = _offsets(fy, ch, h)
    boxes[:, 2] = np.minimum(x1 + cw, w)
    boxes[:, 3] = np.minimum(y1 + ch, h)
    return boxes, valid


def sample_attention_crop(sat, shape, scale=(0.25, 1.0), ratio=(3 / 4, 4 / 3),
                          min_attention=0.9, max_tries=200, fallback='best',
                          rng=np.random, scale_factor=None):
    """Sample a crop that keeps at least ``min_attention`` of the map's mass.

    The defaults follow the attention-preserving crop of the method: a zoom
    z ~ U[1, 2] makes crops covering 25-100% of the area (here the area
    fraction itself is uniform, as in ``RandomResizedCrop``), accepted when
    they keep >= 90% of the mass, up to 200 tries.

    Args:
        sat (ndarray): ``summed_area_table`` of the image's attention map.
        shape (tuple): the image's shape (H, W[, C]).
        scale (tuple): range of the crop area as a fraction of the image's.
        ratio (tuple): range of the crop aspect ratio (width / height).
        min_attention (float): required kept fraction of mass, in (0, 1].
        max_tries (int): number of candidates.
        fallback (str): when no candidate qualifies, ``'best'`` returns the
            candidate keeping the most attention, ``'full'`` the whole image.
            'best' also returns the whole image if no candidate fitted.
        rng: source of random numbers (see module doc).
        scale_factor (tuple, optional): ``(w_scale, h_scale)`` of the map
            behind ``sat`` relative to the image (see module doc); None:
            the map has the image's size.

    Returns:
        dict: ``bbox`` (x1, y1, x2, y2), ``attention`` (kept fraction),
        ``tries`` (candidates examined: index of the accepted one + 1, or
        ``max_tries``), ``qualified`` (a sampled candidate met the threshold).
    """
    _sat_shape(sat, shape, scale_factor)
    check_interval('min_attention', min_attention, 0, 1, low_open=True)
    check_count('max_tries', max_tries)
    if fallback not in ('best', 'full'):
        raise ValueError(f"fallback must be 'best' or 'full', got "
                         f'{fallback!r}')
    check_range('scale', scale, 0, 1, low_open=True)
    check_range('ratio', ratio, 0, math.inf, low_open=True, high_open=True)
    return attention_crop(sat, shape, scale, ratio, min_attention, max_tries,
                          fallback, rng, scale_factor)


#: candidates examined first by the batched rejection sampling; the rest
#: only when none of these qualifies (numpy's cost per operation, not per
#: candidate, dominates: most crops qualify within a few tries)
FIRST_BATCH = 16


def _batches(num):
    """Slices of ``range(num)``: the first :data:`FIRST_BATCH`, the rest."""
    if num <= FIRST_BATCH:
        return (slice(0, num), )
    return slice(0, FIRST_BATCH), slice(FIRST_BATCH, num)


def attention_crop(sat, shape, scale, ratio, min_attention, max_tries,
                   fallback, rng, scale_factor=None):
    """:func:`sample_attention_crop` without checking its arguments, for
    callers that checked them once (``GazeConditionedAugment``)."""
    h, w = shape[:2]
    # the draws of crop_candidates(shape, scale, ratio, max_tries, rng),
    # all of them whatever is examined: the random stream does not depend
    # on the map
    u = rng.uniform(0.0, 1.0, (4, max_tries))
    total = total_mass(sat)
    seen = []
    for part in _batches(max_tries):
        boxes, valid = _crop_boxes(u[:, part], shape, scale, ratio)
        attention = box_mass(sat, boxes, scale_factor) / total
        attention[~valid] = -1.0
        i = int(np.argmax(attention >= min_attention))
        if attention[i] >= min_attention:
            return dict(bbox=tuple(boxes[i].tolist()),
                        attention=float(attention[i]),
                        tries=part.start + i + 1, qualified=True)
        seen.append((boxes, valid, attention))
    if fallback == 'best' and any(v.any() for _, v, _ in seen):
        boxes, _, attention = (np.concatenate(x) for x in zip(*seen))
        i = int(np.argmax(attention))
        return dict(bbox=tuple(boxes[i].tolist()),
                    attention=float(attention[i]), tries=max_tries,
                    qualified=False)
    return dict(bbox=(0, 0, w, h), attention=1.0, tries=max_tries,
                qualified=False)


def erase_candidates(shape, area=(0.02, 0.2), ratio=(0.3, 3.3), min_side=0.1,
                     num=100, rng=np.random):
    """Draw ``num`` erasing rectangles for a view of ``shape``: area uniform
    in ``area`` times the view's, aspect ratio (h/w, as in mmpretrain's
    ``RandomErasing``) log-uniform in ``ratio``, each side at least
    ``min_side`` times the view's shorter side (the method's 48 px at its
    ~224-800 px images; 0.1 = 22 px at 224) and at most the view's side.

    Draws one ``rng.uniform(0, 1, (4, num))`` block (rows: area, log-ratio,
    x, y).

    Returns:
        ndarray: int64 ``(num, 4)`` boxes inside the view.
    """
    h, w = shape[:2]
    check_range('area', area, 0, 1, low_open=True)
    check_range('ratio', ratio, 0, math.inf, low_open=True, high_open=True)
    check_interval('min_side', min_side, 0, 1)
    check_count('num', num)
    return _erase_boxes(rng.uniform(0.0, 1.0, (4, num)), shape, area, ratio,
                        min_side)


def _erase_boxes(u, shape, area, ratio, min_side):
    """Erasing rectangles from a ``(4, num)`` uniform block (see
    :func:`erase_candidates`)."""
    h, w = shape[:2]
    side = max(1, int(round(min_side * min(h, w))))
    eh, ew, fx, fy = _box_sides(u, shape, area, ratio)
    eh = np.clip(eh, min(side, h), h)
    ew = np.clip(ew, min(side, w), w)
    boxes = np.empty((len(eh), 4), np.int64)
    boxes[:, 0] = x1 = _offsets(fx, ew, w)
    boxes[:, 1] = y1 = _offsets(fy, eh, h)
    boxes[:, 2] = x1 + ew
    boxes[:, 3] = y1 + eh
    return boxes


def select_erase(sat, boxes, max_attention=0.05):
    """First box covering at most ``max_attention`` of the map's mass.

    When none qualifies nothing is erased (``bbox`` None): unlike the
    method's reference, which then erases the last rectangle anyway, this
    guarantees the bound. A map without mass (e.g. rotated out of the view)
    has no attention to lose: every box covers 0.

    Returns:
        dict: ``bbox`` (x1, y1, x2, y2) or None, ``attention`` (covered
        fraction, 0.0 when nothing is erased), ``tries``.
    """
    check_interval('max_attention', max_attention, 0, 1)
    return _select_erase(sat, boxes, max_attention)


def _select_erase(sat, boxes, max_attention):
    """:func:`select_erase` without checking ``max_attention``."""
    total = sat[-1, -1]
    if not np.isfinite(total) or total < 0:
        raise ValueError(f'the attention map has an invalid total mass '
                         f'{total}')
    if not total > 0:
        return dict(bbox=tuple(int(v) for v in boxes[0]), attention=0.0,
                    tries=1)
    attention = box_mass(sat, boxes) / total
    ok = attention <= max_attention
    i = int(np.argmax(ok))
    if not ok[i]:
        return dict(bbox=None, attention=0.0, tries=len(boxes))
    return dict(bbox=tuple(boxes[i].tolist()),
                attention=max(float(attention[i]), 0.0), tries=i + 1)


def attention_erase(sat, draws, shape, area, ratio, min_side,
                    max_attention):
    """The rectangle :func:`select_erase` picks among the candidates of the
    uniform block ``draws`` (``(4, num)``, see :func:`erase_candidates`),
    built and measured batch by batch (:data:`FIRST_BATCH` first);
    arguments unchecked, for callers that checked them once."""
    for part in _batches(draws.shape[1]):
        boxes = _erase_boxes(draws[:, part], shape, area, ratio, min_side)
        out = _select_erase(sat, boxes, max_attention)
        if out['bbox'] is not None:
            out['tries'] += part.start
            return out
    return dict(bbox=None, attention=0.0, tries=draws.shape[1])


def sample_attention_erase(sat, shape, area=(0.02, 0.2), ratio=(0.3, 3.3),
                           min_side=0.1, max_attention=0.05, max_tries=100,
                           rng=np.random):
    """Sample a rectangle to erase that covers at most ``max_attention`` of
    the view's total mass; see :func:`erase_candidates` and
    :func:`select_erase`. The method's bound (400 on a 0-1 map at its
    resolution) is expressed here as a fraction of the mass."""
    _sat_shape(sat, shape)
    check_count('max_tries', max_tries)
    check_range('area', area, 0, 1, low_open=True)
    check_range('ratio', ratio, 0, math.inf, low_open=True, high_open=True)
    check_interval('min_side', min_side, 0, 1)
    check_interval('max_attention', max_attention, 0, 1)
    return attention_erase(sat, rng.uniform(0.0, 1.0, (4, max_tries)),
                           shape, area, ratio, min_side, max_attention)
