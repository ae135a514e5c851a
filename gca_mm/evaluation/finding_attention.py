"""How much of an attention map falls on an image's findings.

For a map (at any scale) and the lesion boxes of its image (``x1, y1, x2,
y2`` in the pixels of the image, ``findings.csv``):

- **mass in boxes**: the share of the map's mass (the map normalised to sum
  1) inside the union of the boxes; **area share**: the share of the image
  the union covers; **mass ratio** = mass / area share, 1.0 for a uniform
  map (no better than chance), above 1 when attention concentrates on the
  findings;
- **above-median share**: for each box, the share of its area where the map
  is strictly above the map's median; averaged over the boxes (0.5 for a
  map unrelated to the boxes, 0 for a constant map);
  :func:`above_quantile_share` is the same above any quantile (e.g. 0.9,
  stricter: the median threshold saturates for maps that cover the whole
  joint).

The map's pixels are rectangles of the image frame (a ``h x w`` map of a
``H x W`` image: ``W / w`` by ``H / h`` image pixels each); a box covers a
map pixel by the fraction of the pixel's area it overlaps, so boxes need not
fall on map pixel edges and the map is never resampled. A pixel's coverage
by the union of boxes is its largest coverage by one box (exact when the
boxes, scaled to the map, have whole-pixel edges, as the demo's do at the
image size).

Which rows are findings: every row of ``findings.csv`` whose ``kind`` is not
``'compartment'`` (JSN, osteophytes, sclerosis: the lesions). The
``compartment`` rows are landmarks of both joint compartments, present on
every image (KL0 too) with severity 0; in the demo data lesion rows are
exactly the rows with severity > 0. Images without a lesion (KL0) have no
finding-attention score. The same rule as
``gca_mm.gaze.ImageFindings.lesions`` and
``gca_mm.experiments.finding_survival``.
"""
import numpy as np

from gca_mm.gaze import load_findings

LANDMARK_KIND = 'compartment'
MEASURES = ('mass_in_boxes', 'area_share', 'mass_ratio',
            'above_median_share')


def load_lesion_boxes(findings):
    """Lesion boxes by image from a findings table.

    Args:
        findings (str | Iterable[dict]): ``findings.csv`` (format in
            ``docs/data_formats.md``) or its rows. Parsed by
            ``gca_mm.gaze.load_findings``: a missing column, a bad number,
            kind or box is a ``ValueError`` naming the file, line and
            column.

    Returns:
        dict[str, list[tuple]]: image path (relative to the data root, as in
        the table) -> its lesion boxes ``(x1, y1, x2, y2)``; ``[]`` for an
        image with landmarks only.
    """
    return {
        image: [tuple(float(v) for v in f.box) for f in entry.findings
                if f.kind != LANDMARK_KIND]
        for image, entry in load_findings(findings).items()
    }


def _check_map(saliency_map):
    saliency_map = np.asarray(saliency_map, dtype=np.float64)
    if saliency_map.ndim != 2 or 0 in saliency_map.shape:
        raise ValueError('expected an HxW attention map, got shape '
                         f'{saliency_map.shape}')
    if not np.isfinite(saliency_map).all() or saliency_map.min() < 0:
        raise ValueError('the attention map must be finite and non-negative')
    if not saliency_map.sum() > 0:
        raise ValueError('the attention map has no mass (all zero)')
    return saliency_map


def _check_shape(image_shape, map_shape):
    if image_shape is None:
        return tuple(map_shape)
    image_shape = tuple(image_shape)[:2]
    if len(image_shape) != 2 or not all(
            np.isfinite(s) and s > 0 for s in image_shape):
        raise ValueError('image_shape must be (height, width) > 0, got '
                         f'{image_shape}')
    return image_shape


def _axis_coverage(lo, hi, n):
    """Overlap of [lo, hi) with each map pixel [j, j + 1) of an axis."""
    j = np.arange(n, dtype=np.float64)
    return np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0, 1)


def box_coverage(boxes, map_shape, image_shape=None):
    """Fraction of every map pixel that each box covers.

    Args:
        boxes (Sequence): ``(x1, y1, x2, y2)`` in image pixels, one or more.
        map_shape (tuple): ``(h, w)`` of the map.
        image_shape (tuple, optional): ``(H, W)`` of the image the boxes are
            in; default: the map's (the map is at the image size).

    Returns:
        np.ndarray: ``(len(boxes), h, w)`` coverages in [0, 1].

    Raises:
        ValueError: no boxes, a box that is not 4 finite numbers with
        ``x1 < x2`` and ``y1 < y2``, or one outside the image.
    """
    h, w = map_shape
    img_h, img_w = _check_shape(image_shape, map_shape)
    boxes = list(boxes)
    if not boxes:
        raise ValueError('no finding boxes: the finding-attention measures '
                         'need at least one box (images without lesions '
                         'have no score)')
    sx, sy = w / img_w, h / img_h
    out = np.empty((len(boxes), h, w))
    for i, box in enumerate(boxes):
        try:
            x1, y1, x2, y2 = (float(v) for v in box)
        except (TypeError, ValueError):
            raise ValueError(f'box {i} must be (x1, y1, x2, y2), got '
                             f'{box!r}') from None
        if not (np.isfinite([x1, y1, x2, y2]).all() and x1 < x2
                and y1 < y2):
            raise ValueError(f'box {i} {box!r} needs finite x1 < x2 and '
                             'y1 < y2')
        if x2 <= 0 or y2 <= 0 or x1 >= img_w or y1 >= img_h:
            raise ValueError(f'box {i} {box!r} lies outside the {img_h}x'
                             f'{img_w} image (pixel coordinates x1, y1, x2, '
                             'y2 of the image the map belongs to)')
        out[i] = np.outer(_axis_coverage(y1 * sy, y2 * sy, h),
                          _axis_coverage(x1 * sx, x2 * sx, w))
    return out


def mass_in_boxes(saliency_map, boxes, image_shape=None):
    """Share of the map's mass inside the union of ``boxes``, the union's
    share of the image area, and their ratio (1.0: no better than a
    uniform map).

    Args:
        saliency_map (np.ndarray): finite non-negative ``h x w`` map with
            mass, any scale (normalised to sum 1 here).
        boxes (Sequence): ``(x1, y1, x2, y2)`` in image pixels.
        image_shape (tuple, optional): ``(H, W)`` of the image; default:
            the map's.

    Returns:
        dict: ``mass_in_boxes``, ``area_share``, ``mass_ratio``.
    """
    saliency_map = _check_map(saliency_map)
    union = box_coverage(boxes, saliency_map.shape, image_shape).max(0)
    mass = float((saliency_map * union).sum() / saliency_map.sum())
    area = float(union.mean())
    return dict(mass_in_boxes=mass, area_share=area, mass_ratio=mass / area)


def above_quantile_share(saliency_map, boxes, quantile=0.5,
                         image_shape=None):
    """Mean over ``boxes`` of the share of the box's area where the map is
    strictly above its ``quantile`` (over the whole map; 0.5: the median).

    Same arguments as :func:`mass_in_boxes`; returns a float in [0, 1].
    """
    if not 0 <= quantile < 1:
        raise ValueError(f'quantile must be in [0, 1), got {quantile}')
    saliency_map = _check_map(saliency_map)
    cover = box_coverage(boxes, saliency_map.shape, image_shape)
    above = saliency_map > np.quantile(saliency_map, quantile)
    shares = (cover * above).sum((1, 2)) / cover.sum((1, 2))
    return float(shares.mean())


def above_median_share(saliency_map, boxes, image_shape=None):
    """Mean over ``boxes`` of the share of the box's area where the map is
    strictly above its median (over the whole map).

    Same arguments as :func:`mass_in_boxes`; returns a float in [0, 1].
    """
    return above_quantile_share(saliency_map, boxes, 0.5, image_shape)


def finding_attention(saliency_map, boxes, image_shape=None):
    """Both measures of one map: a dict with :data:`MEASURES` and
    ``num_boxes``."""
    return dict(
        mass_in_boxes(saliency_map, boxes, image_shape),
        above_median_share=above_median_share(saliency_map, boxes,
                                              image_shape),
        num_boxes=len(boxes))


def summarize_finding_attention(per_image):
    """Means over images of the per-image :func:`finding_attention` dicts:
    :data:`MEASURES` (``mass_ratio`` is the mean of the per-image ratios),
    ``num_images`` and ``num_boxes``."""
    per_image = list(per_image)
    if not per_image:
        raise ValueError('no images with findings to summarize')
    summary = {
        key: float(np.mean([r[key] for r in per_image]))
        for key in MEASURES
    }
    summary.update(num_images=len(per_image),
                   num_boxes=int(sum(r['num_boxes'] for r in per_image)))
    return summary


__all__ = [
    'MEASURES', 'load_lesion_boxes', 'box_coverage', 'mass_in_boxes',
    'above_quantile_share', 'above_median_share', 'finding_attention',
    'summarize_finding_attention'
]
