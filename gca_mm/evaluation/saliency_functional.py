"""Saliency metrics on numpy arrays, as defined by the MIT saliency benchmark
(and pysaliency). ``pred`` / ``gt`` are HxW maps on any scale; ``fixations``
is a boolean HxW mask (or anything ``np.asarray(..) > 0`` turns into one),
made from fixation coordinates by :func:`fixation_mask`, the one
rasteriser of fixations used by the saliency metric and the inter-reader
ceiling alike."""
import numpy as np

EPS = 2.2204e-16  # MATLAB eps, as in the benchmark code


def _as_map(x, name):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f'{name} must be a 2-D map, got shape {x.shape}')
    if not np.isfinite(x).all():
        raise ValueError(f'{name} contains NaN or infinite values')
    return x


def _check_same_shape(a, b, names):
    if a.shape != b.shape:
        raise ValueError(f'{names[0]} {a.shape} and {names[1]} {b.shape} '
                         'must have the same shape')


def _zscore(x):
    std = x.std()
    return (x - x.mean()) / std if std > 0 else np.zeros_like(x)


def _fixation_mask(fixations, shape):
    mask = np.asarray(fixations) > 0
    if mask.shape != shape:
        raise ValueError(f'fixation mask {mask.shape} must match the map '
                         f'{shape}')
    if not mask.any():
        raise ValueError('fixation mask has no fixated pixel')
    return mask


def fixation_mask(fixations, shape):
    """Boolean HxW mask of the pixels hit by ``(N, 2)`` ``(x, y)``
    coordinates: integers are pixel centres, so a fixation marks the pixel
    ``floor(x + 0.5), floor(y + 0.5)``; fixations outside the image are left
    out."""
    fixations = np.asarray(fixations, np.float64)
    if fixations.ndim != 2 or fixations.shape[1] != 2:
        raise ValueError('fixations must be an (N, 2) array of (x, y), got '
                         f'shape {fixations.shape}')
    if not np.isfinite(fixations).all():
        raise ValueError('fixations contain NaN or infinite coordinates')
    cols, rows = np.floor(fixations + 0.5).astype(np.int64).T
    inside = (cols >= 0) & (cols < shape[1]) & (rows >= 0) & (rows < shape[0])
    mask = np.zeros(shape, bool)
    mask[rows[inside], cols[inside]] = True
    return mask


def cc(pred, gt):
    """Pearson correlation coefficient of the two z-scored maps."""
    pred, gt = _as_map(pred, 'pred'), _as_map(gt, 'gt')
    _check_same_shape(pred, gt, ('pred', 'gt'))
    return float((_zscore(pred) * _zscore(gt)).mean())


def kld(pred, gt):
    """KL divergence of the predicted from the ground-truth distribution
    (both normalised to sum 1); 0 for identical maps, lower is better."""
    pred, gt = _as_map(pred, 'pred'), _as_map(gt, 'gt')
    _check_same_shape(pred, gt, ('pred', 'gt'))
    p = pred / max(pred.sum(), EPS)
    g = gt / max(gt.sum(), EPS)
    return float((g * np.log(EPS + g / (p + EPS))).sum())


def nss(pred, fixations):
    """Normalised scanpath saliency: mean z-scored prediction at fixations."""
    pred = _as_map(pred, 'pred')
    mask = _fixation_mask(fixations, pred.shape)
    return float(_zscore(pred)[mask].mean())


def sim(pred, gt):
    """Histogram intersection of the two maps, each min-max normalised and
    then normalised to sum 1; 1 for identical maps."""
    pred, gt = _as_map(pred, 'pred'), _as_map(gt, 'gt')
    _check_same_shape(pred, gt, ('pred', 'gt'))

    def _dist(x):
        rng = x.max() - x.min()
        x = (x - x.min()) / rng if rng > 0 else np.ones_like(x)
        return x / x.sum()

    return float(np.minimum(_dist(pred), _dist(gt)).sum())


def auc_judd(pred, fixations):
    """AUC-Judd: thresholds at the predicted values of fixated pixels; true
    positive rate over fixations, false positive rate over the other
    pixels; trapezoidal area under the resulting ROC curve."""
    pred = _as_map(pred, 'pred')
    mask = _fixation_mask(fixations, pred.shape)
    s = pred.ravel()
    fix = mask.ravel()
    thresholds = np.sort(s[fix])[::-1]
    n_fix, n_pix = fix.sum(), s.size
    above = np.searchsorted(np.sort(s), thresholds, side='left')
    count_above = n_pix - above  # pixels with value >= threshold
    tp = np.arange(1, n_fix + 1) / n_fix
    fp = (count_above - np.arange(1, n_fix + 1)) / max(n_pix - n_fix, 1)
    tp = np.concatenate([[0.0], tp, [1.0]])
    fp = np.concatenate([[0.0], np.clip(fp, 0, 1), [1.0]])
    return float(np.trapz(tp, fp))


__all__ = ['fixation_mask', 'cc', 'kld', 'nss', 'sim', 'auc_judd']
