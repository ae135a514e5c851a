"""Image sizes and the policy for fixations that fall outside their image."""
import os.path as osp

import numpy as np
import pydicom
from PIL import Image

from .table import FixationTable, reading_order

OUTSIDE_POLICIES = ('clip', 'drop', 'error', 'keep')
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.dcm')


class ImageSizes:
    """Read-only mapping ``image id -> (height, width)`` read from the image
    headers under ``root`` (PNG/JPEG/... via Pillow, DICOM via pydicom; the
    pixel data are not decoded). An id without one of ``extensions`` is
    looked up with each of them in turn."""

    def __init__(self, root, extensions=IMAGE_EXTENSIONS):
        if not osp.isdir(root):
            raise FileNotFoundError(f'image root {root!r} is not a directory')
        self.root = root
        self.extensions = tuple(extensions)
        self._cache = {}

    def path_of(self, image):
        candidates = [osp.join(self.root, image)]
        if osp.splitext(image)[1].lower() not in self.extensions:
            candidates += [candidates[0] + ext for ext in self.extensions]
        for path in candidates:
            if osp.isfile(path):
                return path
        raise FileNotFoundError(
            f'no image file for {image!r} under {self.root!r} (tried '
            f'{", ".join(repr(c) for c in candidates)})')

    def __getitem__(self, image):
        if image not in self._cache:
            path = self.path_of(image)
            if path.lower().endswith('.dcm'):
                ds = pydicom.dcmread(path, stop_before_pixels=True)
                size = (int(ds.Rows), int(ds.Columns))
            else:
                try:
                    with Image.open(path) as im:
                        size = (im.height, im.width)
                except OSError as e:
                    raise OSError(f'cannot read the image header of {path}: '
                                  f'{e}') from e
            self._cache[image] = size
        return self._cache[image]

    def __repr__(self):
        return (f'{self.__class__.__name__}(root={self.root!r}, '
                f'extensions={self.extensions})')


def lookup_size(image_sizes, image):
    """``(h, w)`` of ``image`` from a mapping, with a clear error."""
    try:
        h, w = image_sizes[image]
    except KeyError:
        raise KeyError(f'no image size given for image {image!r}') from None
    if h <= 0 or w <= 0:
        raise ValueError(f'image {image!r} has an invalid size {(h, w)}')
    return int(h), int(w)


def outside_mask(x, y, shape):
    """True where a fixation does not lie on an ``h x w`` image (integer
    coordinates are pixel centres); ``h``, ``w`` may be per-row arrays."""
    h, w = shape
    return ~((x >= -0.5) & (x < w - 0.5) & (y >= -0.5) & (y < h - 0.5))


def apply_outside_policy(table, image_sizes, outside='error', source=None):
    """Handle fixations outside their image.

    Args:
        table (FixationTable): fixations to check.
        image_sizes: mapping ``image -> (h, w)`` (a dict or ``ImageSizes``).
        outside (str): ``'clip'`` moves them to the nearest pixel centre on
            the image (counted in ``n_clipped``), ``'drop'`` leaves them out
            (``n_dropped``; the ``order`` of the rest is renumbered),
            ``'error'`` raises ``ValueError``, ``'keep'`` keeps them where
            they are: only the exact renderer
            (``render_density(method='pdf')``) accepts those, as the part
            of their Gaussian that falls on the image (REFLACX's reference
            maps keep every fixation).
        source (str): file name for error messages.

    Returns:
        FixationTable: a new table; the input's counts are carried over.
    """
    if outside not in OUTSIDE_POLICIES:
        raise ValueError(f'outside must be one of {OUTSIDE_POLICIES}, got '
                         f'{outside!r}')
    heights = np.empty(len(table))
    widths = np.empty(len(table))
    for image in table.images():
        rows = table.image == image
        heights[rows], widths[rows] = lookup_size(image_sizes, image)
    if outside == 'keep':
        return table.with_counts()
    out = outside_mask(table.x, table.y, (heights, widths))
    n_out = int(out.sum())
    counts = table.counts()
    if n_out and outside == 'error':
        i = int(np.flatnonzero(out)[0])
        where = f'{source}: ' if source else ''
        raise ValueError(
            f'{where}{n_out} fixation(s) lie outside their image, e.g. '
            f'x={table.x[i]:g}, y={table.y[i]:g} on image '
            f'{table.image[i]!r} of size (h={heights[i]:g}, w={widths[i]:g}); '
            "choose outside='clip' or 'drop' to accept them (or 'keep' "
            "for the exact renderer, method='pdf')")
    x, y, order, keep = table.x, table.y, table.order, np.ones_like(out)
    if outside == 'clip':
        x = np.clip(x, 0, widths - 1)
        y = np.clip(y, 0, heights - 1)
        counts['n_clipped'] += n_out
    elif outside == 'drop':
        keep = ~out
        counts['n_dropped'] += n_out
        # renumber within each reading so order stays 0..n-1
        order = np.empty_like(table.order)
        sub = np.flatnonzero(keep)
        by_order = sub[np.argsort(table.order[sub], kind='stable')]
        order[by_order] = reading_order(table.image[by_order],
                                        table.reader[by_order])
    cols = dict(table.columns(), x=x, y=y, order=order)
    return FixationTable(**{k: v[keep] for k, v in cols.items()}, **counts)
