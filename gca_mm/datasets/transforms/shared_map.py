"""An image's attention map and its summed-area table, shared by the views
``MultiView`` makes of it.

``MultiView`` deep-copies ``results`` for every view. The map loaded for an
image is never edited in place (a transform that changes it makes a new
array), so the loaders hand it out read-only, as a :class:`SharedGazeMap`,
which deep copies share instead of copying; and its summed-area table, as a
:class:`SharedSummedAreaTable`, is computed once per image.
"""
import numpy as np

from .gca_sampling import summed_area_table


class SharedGazeMap(np.ndarray):
    """A read-only float32 attention map that ``copy.deepcopy`` returns
    itself for (as it does for an int): nothing can change it, so copies
    need not hold their own.

    A writable array of this class (the result of ``astype`` or ``copy``) is
    deep-copied as usual, into a plain ``ndarray``. Arithmetic on the map
    returns plain arrays, so the class does not spread past the loaders.
    Make one with :func:`share_gaze_map`.
    """

    def __deepcopy__(self, memo):
        if self.flags.writeable:
            return np.array(self)
        return self

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(x.view(np.ndarray) if isinstance(x, SharedGazeMap)
                       else x for x in inputs)
        if 'out' in kwargs:
            kwargs['out'] = tuple(
                x.view(np.ndarray) if isinstance(x, SharedGazeMap) else x
                for x in kwargs['out'])
        return getattr(ufunc, method)(*inputs, **kwargs)


class SharedSummedAreaTable:
    """The summed-area table of an attention map, computed on first use and
    shared by every copy of the results it is stored in: ``deepcopy``
    returns the object itself, so the views ``MultiView`` makes of one image
    (each from a deep copy of its results) compute the table once.

    The loaders put one in ``results['gaze_map_sat']``
    (:func:`share_gaze_map`). A transform may still replace the map before
    GCA (a flip, a rotation, a resize, a copy with a few pixels changed):
    :meth:`get` hands out the shared table for the shared map itself (read
    only, so unchanged) or an exact copy of it (same shape, every value
    equal: one comparison, a fraction of the table's cost), and otherwise
    the table of the map given.
    """

    def __init__(self, gaze_map):
        self._map = gaze_map
        self._table = None

    def __deepcopy__(self, memo):
        return self

    def get(self, gaze_map):
        """Summed-area table of ``gaze_map`` (float64, (H+1, W+1))."""
        if self._table is None:
            self._table = summed_area_table(self._map)
            self._table.flags.writeable = False
        if gaze_map is self._map or np.array_equal(gaze_map, self._map):
            return self._table
        return summed_area_table(gaze_map)

    def __repr__(self):
        return (f'{type(self).__name__}(map shape {self._map.shape}, '
                f'{"computed" if self._table is not None else "not yet"})')


def share_gaze_map(results, gaze_map):
    """Store ``gaze_map`` (float32 HxW) in ``results['gaze_map']`` as a
    read-only :class:`SharedGazeMap`, with its
    :class:`SharedSummedAreaTable` in ``results['gaze_map_sat']``.

    ``gaze_map`` itself is made read-only (not copied): the caller must not
    write to it, or to an array it is a view of, afterwards."""
    shared = np.ascontiguousarray(gaze_map, dtype=np.float32)
    shared.flags.writeable = False
    shared = shared.view(SharedGazeMap)
    results['gaze_map'] = shared
    results['gaze_map_sat'] = SharedSummedAreaTable(shared)
    return shared
