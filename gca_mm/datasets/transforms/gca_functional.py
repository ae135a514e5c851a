"""Deterministic operators of gaze-conditioned augmentation.

Each geometric operator takes the image (uint8 HxW or HxWxC) and its
attention map (float32 HxW, aligned pixel for pixel) and returns both,
still aligned; a map of None (no map to keep aligned) is returned as None. The map is a density: resampling keeps its values per pixel,
so its sum changes with the pixel count; only fractions of its mass are
meaningful downstream. :func:`crop_resize` also takes a map of lower
resolution than the image (``scale_factor``); its output map has the view's
size.
"""
import math

import cv2
import mmcv
import numpy as np
from mmcv.image.geometric import cv2_interp_codes



def shrink_side(shape, max_side):
    """``(h, w)`` after shrinking ``shape`` (H, W) so that its shorter side is at
    most ``max_side`` (``None``: unchanged); never enlarges."""
    h, w = shape
    if max_side is None or min(h, w) <= max_side:
        return h, w
    scale = max_side / min(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def resize_map(gaze_map, size):
    """Resize an attention map to ``size`` (w, h) by bilinear steps that
    shrink each axis by less than 1.9x (like an image pyramid; a single
    bilinear step shrinking by 2x or more would skip source pixels).
    Non-negative in, non-negative out, and no positive pixel drops out:
    each step keeps every source pixel within one pixel of a sample."""
    out_w, out_h = (int(s) for s in size)
    h, w = gaze_map.shape[:2]
    while (w, h) != (out_w, out_h):
        w, h = max(out_w, -(-10 * w // 19)), max(out_h, -(-10 * h // 19))
        gaze_map = cv2.resize(gaze_map, (w, h),
                              interpolation=cv2.INTER_LINEAR)
    return gaze_map


def resample_box(gaze_map, bbox, scale_factor, size):
    """The map over ``bbox`` (x1, y1, x2, y2 in the pixels of an image the
    map covers at ``scale_factor`` ``(w_scale, h_scale)``, map pixels per
    image pixel), resampled to ``size`` (w, h).

    Each output pixel samples the map bilinearly at its centre (exact
    sub-pixel alignment with the image crop) when the box shrinks by at
    most 2x; a box that shrinks more is cropped on whole map pixels and
    resized with :func:`resize_map` (alignment within one map pixel)."""
    out_w, out_h = (int(s) for s in size)
    x1, y1, x2, y2 = bbox
    fw, fh = scale_factor
    sx, sy = (x2 - x1) * fw / out_w, (y2 - y1) * fh / out_h
    if max(sx, sy) <= 2:
        matrix = np.array([[sx, 0, x1 * fw + 0.5 * sx - 0.5],
                           [0, sy, y1 * fh + 0.5 * sy - 0.5]])
        return cv2.warpAffine(gaze_map, matrix, (out_w, out_h),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)
    mh, mw = gaze_map.shape
    mx1, my1 = min(int(x1 * fw), mw - 1), min(int(y1 * fh), mh - 1)
    mx2 = max(min(math.ceil(x2 * fw), mw), mx1 + 1)
    my2 = max(min(math.ceil(y2 * fh), mh), my1 + 1)
    return resize_map(gaze_map[my1:my2, mx1:mx2], (out_w, out_h))


def crop_resize(img, gaze_map, bbox, size, interpolation='bilinear',
                backend='cv2', scale_factor=None):
    """Crop ``bbox`` (x1, y1, x2, y2, inclusive-exclusive, image pixels)
    from the image and the map and resize both to ``size`` (w, h).

    The image uses ``interpolation`` and ``backend`` (mmcv names). A map of
    the image's size (``scale_factor`` None) is cropped and resized with
    :func:`resize_map`; a map of another resolution (``scale_factor``
    ``(w_scale, h_scale)``, map pixels per image pixel) is resampled over
    the box with :func:`resample_box`."""
    x1, y1, x2, y2 = bbox
    h, w = img.shape[:2]
    if not (0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h):
        raise ValueError(f'bbox {tuple(bbox)} is empty or outside the image '
                         f'of shape {img.shape}')
    size = tuple(int(s) for s in size)
    img = mmcv.imresize(img[y1:y2, x1:x2], size,
                        interpolation=interpolation, backend=backend)
    if gaze_map is None:
        return img, None
    if scale_factor is None:
        gaze_map = resize_map(gaze_map[y1:y2, x1:x2], size)
    else:
        gaze_map = resample_box(gaze_map, bbox, scale_factor, size)
    return img, np.ascontiguousarray(gaze_map)


def hflip(img, gaze_map):
    """Mirror the image and the map left-right."""
    return cv2.flip(img, 1), None if gaze_map is None else cv2.flip(
        gaze_map, 1)


def rotate(img, gaze_map, angle, interpolation='bilinear'):
    """Rotate the image and the map by ``angle`` degrees (positive is
    clockwise, as in ``mmcv.imrotate``) about the image centre, keeping the
    size; uncovered pixels become 0 in both."""
    h, w = img.shape[:2]
    # mmcv.imrotate's matrix, built once for both
    matrix = cv2.getRotationMatrix2D(((w - 1) * 0.5, (h - 1) * 0.5), -angle,
                                     1.0)
    img = cv2.warpAffine(img, matrix, (w, h),
                         flags=cv2_interp_codes[interpolation],
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if gaze_map is None:
        return img, None
    gaze_map = cv2.warpAffine(gaze_map, matrix, (w, h),
                              flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return img, gaze_map


def erase(img, bbox, fill=0):
    """Return a copy of the image with ``bbox`` set to ``fill``."""
    x1, y1, x2, y2 = bbox
    img = img.copy()
    img[y1:y2, x1:x2] = fill
    return img


def blur_map(gaze_map, sigma_px):
    """Gaussian blur of a map with standard deviation ``sigma_px``.

    Computed at 1/k resolution, k = floor(sigma_px / 2) (a full-resolution
    blur with such wide kernels costs ~15x more), then resized back; the
    low-resolution sigma is reduced by the spread that area averaging and
    bilinear resizing add (k^2 / 4 in variance). For maps whose features are
    at least ~sigma_px / 2 wide, like gaze heat maps, the result is within
    ~1% of the peak of a full-resolution blur; isolated single pixels are
    smoothed less exactly.
    """
    h, w = gaze_map.shape
    k = max(1, int(sigma_px // 2))
    if k == 1:
        return cv2.GaussianBlur(gaze_map, (0, 0), sigmaX=sigma_px)
    small = cv2.resize(gaze_map, (-(-w // k), -(-h // k)),
                       interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(
        small, (0, 0), sigmaX=math.sqrt((sigma_px / k)**2 - 0.25))
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def dim(img, gaze_map, sigma=0.04, floor=0.1, eps=0.01):
    """Fade the image where attention is low.

    ``img * clip(b / (b.max() + eps) + floor, 0, 1)`` with ``b`` the map,
    scaled to a peak of 1 (the method's 0-1 maps), blurred by a Gaussian of
    standard deviation ``sigma`` times the image's shorter side (the method's
    199 x 199 kernel at ~800 px has sigma ~30 px, i.e. ~0.04); see
    :func:`blur_map`. Rounds to the nearest integer.
    """
    if img.dtype != np.uint8:
        raise ValueError(f'dim expects a uint8 image, got {img.dtype}')
    peak = float(gaze_map.max())
    if not peak > 0:
        raise ValueError('dim needs an attention map with a positive value, '
                         f'got a map with maximum {peak}')
    blurred = blur_map(gaze_map, sigma * min(img.shape[:2]))
    blurred *= np.float32(1 / peak)
    weight = blurred / np.float32(blurred.max() + eps) + np.float32(floor)
    np.clip(weight, 0, 1, out=weight)
    if img.ndim == 3:
        weight = cv2.merge([weight] * img.shape[2])
    return cv2.multiply(img, weight, dtype=cv2.CV_8U)
