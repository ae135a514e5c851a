"""``FixationTable``: the one in-memory form of every gaze recording."""
import csv
import io
import math

import numpy as np

from gca_mm.utils import atomic_write_text

GENERIC_COLUMNS = ('image', 'x', 'y', 'duration_ms', 'reader')
COLUMNS = ('image', 'reader', 'x', 'y', 'duration_ms', 'order', 'ppd_x',
           'ppd_y', 'shown')
# what a read counted and left out (see ``FixationTable``)
COUNTS = ('n_clipped', 'n_dropped', 'n_invalid', 'n_discarded',
          'n_unmatched')


def reading_order(image, reader):
    """Rank of each row within its (image, reader) reading, in row order."""
    n = len(image)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.array([f'{i}\0{r}' for i, r in zip(image, reader)], dtype=object)
    idx = np.lexsort((np.arange(n), keys))
    sorted_keys = keys[idx]
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    order = np.empty(n, dtype=np.int64)
    order[idx] = np.arange(n) - group_start
    return order


class FixationTable:
    """Fixations as equal-length numpy columns.

    Columns: ``image`` and ``reader`` (str), ``x`` and ``y`` (float, image
    pixels; integer values are pixel centres, so a fixation lies on the image
    when ``-0.5 <= x < w - 0.5``), ``duration_ms`` (float, NaN when unknown),
    ``order`` (int, rank within one reading), ``ppd_x`` and ``ppd_y`` (float
    pixels per degree of visual angle at the fixation, NaN when unknown),
    ``shown`` (float, ``n x 4``: ``xmin, ymin, xmax, ymax`` of the part of
    the image that was on screen during the fixation, in image pixels; NaN
    when unknown).

    ``n_clipped``, ``n_dropped`` and ``n_invalid`` count the fixations that
    were moved onto the image, left out for lying outside it, or left out as
    flagged invalid by the eye tracker while the table was read;
    ``n_discarded`` counts the readings left out because the dataset flags
    them as discarded, ``n_unmatched`` the readings (for EGD-CXR: the
    ``DICOM_ID`` values) whose image is not in the user's image tree. They
    describe that read: concatenation adds them up, a selection of rows
    starts again from zero.

    Args:
        image, reader, x, y: one value per fixation.
        duration_ms, ppd_x, ppd_y: one value per fixation or None (NaN).
        order: one value per fixation or None to number the rows of each
            (image, reader) pair in the order given.
        shown: ``n x 4`` array or None (NaN).
        n_clipped, n_dropped, n_invalid, n_discarded, n_unmatched (int):
            counts, see above.
    """

    def __init__(self,
                 image,
                 reader,
                 x,
                 y,
                 duration_ms=None,
                 order=None,
                 ppd_x=None,
                 ppd_y=None,
                 shown=None,
                 n_clipped=0,
                 n_dropped=0,
                 n_invalid=0,
                 n_discarded=0,
                 n_unmatched=0):
        self.image = np.asarray([str(v) for v in image], dtype=object)
        n = len(self.image)
        self.reader = self._column('reader', [str(v) for v in reader], object,
                                   n)
        self.x = self._column('x', x, np.float64, n)
        self.y = self._column('y', y, np.float64, n)
        self.duration_ms = self._column('duration_ms', duration_ms, np.float64,
                                        n)
        self.ppd_x = self._column('ppd_x', ppd_x, np.float64, n)
        self.ppd_y = self._column('ppd_y', ppd_y, np.float64, n)
        if order is None:
            order = reading_order(self.image, self.reader)
        self.order = self._column('order', order, np.int64, n)
        if shown is None:
            self.shown = np.full((n, 4), np.nan)
        else:
            self.shown = np.asarray(shown, dtype=np.float64)
            if self.shown.shape != (n, 4):
                raise ValueError(f'column shown has shape {self.shown.shape},'
                                 f' expected ({n}, 4) (xmin, ymin, xmax, '
                                 'ymax per fixation)')
        if not (np.isfinite(self.x).all() and np.isfinite(self.y).all()):
            raise ValueError('fixation coordinates x and y must be finite')
        if (self.duration_ms < 0).any():
            raise ValueError('duration_ms must be >= 0 (or NaN if unknown)')
        self.n_clipped = int(n_clipped)
        self.n_dropped = int(n_dropped)
        self.n_invalid = int(n_invalid)
        self.n_discarded = int(n_discarded)
        self.n_unmatched = int(n_unmatched)

    @staticmethod
    def _column(name, values, dtype, n):
        if values is None:
            return np.full(n, np.nan, dtype=dtype)
        arr = np.asarray(values, dtype=dtype)
        if arr.shape != (n, ):
            raise ValueError(f'column {name!r} has shape {arr.shape}, '
                             f'expected ({n},) like column image')
        return arr

    @classmethod
    def empty(cls, **counts):
        return cls([], [], [], [], **counts)

    def counts(self):
        """The read's counts as a dict (see the class docstring)."""
        return {name: getattr(self, name) for name in COUNTS}

    def with_counts(self, **counts):
        """The same rows with some counts replaced, as a new table."""
        unknown = set(counts) - set(COUNTS)
        if unknown:
            raise ValueError(f'unknown count(s) {sorted(unknown)}; the counts '
                             f'are {COUNTS}')
        return FixationTable(**self.columns(), **dict(self.counts(), **counts))

    def columns(self):
        """The per-fixation columns as a dict of arrays (the constructor's
        keyword arguments)."""
        return {name: getattr(self, name) for name in COLUMNS}

    @classmethod
    def concat(cls, tables):
        """One table holding the rows of all ``tables``, counts summed."""
        tables = list(tables)
        if not tables:
            return cls.empty()
        cols = {
            name: np.concatenate([getattr(t, name) for t in tables])
            for name in COLUMNS
        }
        counts = {
            name: sum(getattr(t, name) for t in tables)
            for name in COUNTS
        }
        return cls(**cols, **counts)

    def __len__(self):
        return len(self.image)

    def select(self, rows):
        """Rows chosen by a boolean mask or an index array, as a new table
        (the ``order`` values are kept)."""
        rows = np.asarray(rows)
        if rows.dtype == bool and rows.shape != (len(self), ):
            raise ValueError(f'boolean row mask has shape {rows.shape}, '
                             f'expected ({len(self)},)')
        return FixationTable(
            **{name: col[rows]
               for name, col in self.columns().items()})

    def images(self):
        """Sorted distinct image ids."""
        return sorted(set(self.image.tolist()))

    def readers(self):
        """Sorted distinct reader ids."""
        return sorted(set(self.reader.tolist()))

    def for_image(self, image):
        return self.select(self.image == image)

    def for_reader(self, reader):
        return self.select(self.reader == reader)

    def group_by_image(self):
        """Yield ``(image, table)`` for every image, sorted by image id."""
        for image in self.images():
            yield image, self.for_image(image)

    def group_by_reader(self):
        """Yield ``(reader, table)`` for every reader, sorted by reader id."""
        for reader in self.readers():
            yield reader, self.for_reader(reader)

    def sorted(self):
        """The rows sorted by image, reader and order."""
        return self.select(
            np.lexsort(
                (self.order, self.reader.astype(str), self.image.astype(str))))

    def to_csv(self, path):
        """Write the generic format ``image,x,y,duration_ms,reader`` (rows
        sorted by image, reader, order; unknown durations as empty fields)
        atomically. Pixels per degree are not part of that format and are
        not written."""
        table = self.sorted()
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator='\n')
        writer.writerow(GENERIC_COLUMNS)
        for i in range(len(table)):
            d = table.duration_ms[i]
            writer.writerow([
                table.image[i],
                repr(float(table.x[i])),
                repr(float(table.y[i])),
                '' if math.isnan(d) else repr(float(d)), table.reader[i]
            ])
        atomic_write_text(path, buf.getvalue())

    def __repr__(self):
        return (f'{self.__class__.__name__}(n_fixations={len(self)}, '
                f'n_images={len(self.images())}, '
                f'n_readers={len(self.readers())}, ' +
                ', '.join(f'{k}={v}' for k, v in self.counts().items()) + ')')
