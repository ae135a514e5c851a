"""``LoadGazeMap``: read an image's attention map into the pipeline."""
import io
import logging
import os.path as osp

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmengine.logging import print_log
from mmpretrain.registry import TRANSFORMS

from ...utils.map_path import gaze_map_path
from .gca_functional import resize_map, shrink_side
from .shared_map import share_gaze_map

_POLICIES = dict(on_missing=('error', 'uniform'),
                 on_invalid=('error', 'uniform'),
                 on_shape_mismatch=('error', 'resize'))


@TRANSFORMS.register_module()
class LoadGazeMap(BaseTransform):
    """Load the attention (gaze) map of an image as float32 HxW.

    Reads ``results['gaze_map_path']`` (set by ``KneeXrayDataset`` with
    ``gaze_map_root``) or, for any other dataset, the path derived from
    ``results['img_path']`` by :meth:`map_path`: ``<gaze_map_root>/<img_path
    relative to data_root, extension replaced by suffix>``. Formats:
    ``.npy`` (any real dtype) or an 8/16-bit (or float) PNG/TIFF, read
    unchanged; integer maps are divided by their dtype's maximum. Only
    relative values matter downstream (every threshold is a fraction of the
    map's mass). Put it after the image loader: the map is checked against
    ``results['img']``.

    This is where a map is validated, once per image: the transforms after
    it (``GazeConditionedAugment``, ``GazeMapToTarget``) and the data
    preprocessors take its values as checked. A map is invalid if it cannot
    be decoded, is not single-channel, or has NaN/inf, negative values or no
    positive value. Each problem either raises (``'error'``, naming the
    image and the map) or is handled: a missing or invalid map is replaced
    by a uniform map (GCA then behaves like stock augmentation for that
    image), a map of another size is resized. Handled cases are logged once
    per reason, counted in ``fallback_counts`` (per process: each dataloader
    worker keeps its own counts) and marked in
    ``results['gaze_map_fallback']``.

    With ``max_side``, a map whose shorter side is longer is kept at that
    resolution (area resampling, once per image), which bounds what
    ``MultiView`` copies per view and what GCA's summed-area table costs
    (a 2048 x 2560 DICOM's float32 map is 21 MB; at ``max_side=256`` it is
    0.3 MB). The map still covers the whole image: ``gaze_map_scale_factor``
    records the map's pixels per image pixel, ``(w_scale, h_scale)`` as
    mmcv's ``Resize`` records ``scale_factor``, and GCA measures its crop
    boxes (drawn in image pixels) exactly on the smaller map. Transforms
    that move image and map together pixel for pixel
    (``TransformBroadcaster``, ``GazeMapToTarget``) need the default
    ``max_side=None``.

    **Required Keys:**

    - img
    - gaze_map_path (or img_path, with ``gaze_map_root`` set)

    **Added Keys:**

    - gaze_map (float32; the image's HxW, or smaller with ``max_side``;
      read-only, a ``SharedGazeMap`` that the views ``MultiView`` deep-copies
      share: a transform that changes the map makes a new array)
    - gaze_map_scale_factor (``(w_scale, h_scale)``, map pixels per image
      pixel; ``(1.0, 1.0)`` for a map at the image's size)
    - gaze_map_sat (its summed-area table, computed when GCA first needs it
      and shared by the views of the image)
    - gaze_map_fallback (None, or 'missing' / 'invalid' / 'shape_mismatch')

    Args:
        gaze_map_root (str, optional): map root for datasets that do not set
            ``gaze_map_path``. Defaults to None.
        data_root (str): root the image paths are relative to, with
            ``gaze_map_root``. Defaults to ''.
        suffix (str): map extension, with ``gaze_map_root``.
            Defaults to '.png'.
        on_missing (str): 'error' or 'uniform'. Defaults to 'error'.
        on_invalid (str): 'error' or 'uniform'. Defaults to 'error'.
        on_shape_mismatch (str): 'error' or 'resize'. Defaults to 'error'.
        max_side (int, optional): keep maps whose shorter side is longer at
            this shorter side (area resampling). Defaults to None (the
            image's size).
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
    """

    def __init__(self,
                 gaze_map_root=None,
                 data_root='',
                 suffix='.png',
                 on_missing='error',
                 on_invalid='error',
                 on_shape_mismatch='error',
                 max_side=None,
                 backend_args=None):
        for name, value in dict(on_missing=on_missing,
                                on_invalid=on_invalid,
                                on_shape_mismatch=on_shape_mismatch).items():
            if value not in _POLICIES[name]:
                raise ValueError(f'{name} must be one of {_POLICIES[name]}, '
                                 f'got {value!r}')
        if max_side is not None and not (isinstance(max_side, int)
                                         and max_side >= 1):
            raise ValueError('max_side must be a positive int or None, got '
                             f'{max_side!r}')
        self.gaze_map_root = gaze_map_root
        self.data_root = data_root
        self.suffix = suffix
        self.on_missing = on_missing
        self.on_invalid = on_invalid
        self.on_shape_mismatch = on_shape_mismatch
        self.max_side = max_side
        self.backend_args = backend_args
        self.fallback_counts = dict(missing=0, invalid=0, shape_mismatch=0)

    def _read(self, path):
        """Raw array of the file (FileNotFoundError if absent, None if it
        cannot be decoded)."""
        content = fileio.get(path, backend_args=self.backend_args)
        if not content:
            return None
        if osp.splitext(path)[1].lower() == '.npy':
            try:
                return np.load(io.BytesIO(content), allow_pickle=False)
            except (ValueError, EOFError):
                return None
        return mmcv.imfrombytes(content, flag='unchanged', backend='cv2')

    @staticmethod
    def _problem(raw):
        """Why ``raw`` is not a usable map (None if it is) and the map as
        float32 HxW."""
        if raw is None:
            return 'cannot be decoded as .npy or an image', None
        if raw.ndim == 3 and raw.shape[2] == 1:
            raw = raw[..., 0]
        if raw.ndim != 2:
            return f'has shape {raw.shape}, expected a single-channel HxW ' \
                'map', None
        if raw.dtype.kind == 'u':
            # Unsigned integers are finite and non-negative: one pass checks
            # the peak, one converts (the maps' usual 16-bit PNG case).
            if not raw.max() > 0:
                return 'has no positive value (all zero)', None
            return None, np.divide(raw, np.float32(np.iinfo(raw.dtype).max),
                                   dtype=np.float32)
        if raw.dtype.kind == 'i':
            gaze_map = raw.astype(np.float32) / np.iinfo(raw.dtype).max
        elif raw.dtype.kind in 'fb':
            with np.errstate(over='ignore'):  # too large -> inf, caught below
                gaze_map = raw.astype(np.float32)
        else:
            return f'has dtype {raw.dtype}, expected numbers', None
        if not np.isfinite(gaze_map).all():
            return 'contains NaN or inf (as float32)', None
        if gaze_map.min() < 0:
            return f'has negative values (minimum {gaze_map.min()})', None
        if not gaze_map.max() > 0:
            return 'has no positive value (all zero)', None
        return None, gaze_map

    def _fallback(self, reason, message, results):
        """Count, log (the first time) and mark a handled problem."""
        results['gaze_map_fallback'] = reason
        self.fallback_counts[reason] += 1
        if self.fallback_counts[reason] == 1:
            print_log(
                f'{message}; handled as configured (first {reason!r} case; '
                f'later ones are counted in {type(self).__name__}'
                '.fallback_counts and marked in '
                'results["gaze_map_fallback"]).',
                logger='current', level=logging.WARNING)

    def map_path(self, results):
        """Path of the attention map of ``results`` (a data info): its
        ``gaze_map_path``, else :func:`gca_mm.utils.gaze_map_path` of its
        ``img_path``."""
        if 'gaze_map_path' in results:
            return results['gaze_map_path']
        if self.gaze_map_root is None or 'img_path' not in results:
            raise KeyError(
                'results has no "gaze_map_path": set gaze_map_root on the '
                'dataset (KneeXrayDataset) or on LoadGazeMap so that each '
                'image gets the path of its attention map.')
        return gaze_map_path(results['img_path'], self.gaze_map_root,
                             self.suffix, self.data_root or '.',
                             root_name="LoadGazeMap's data_root")

    def _bounded(self, gaze_map, results):
        """Store the map, shrunk to ``max_side`` when larger, and its scale
        factor."""
        h, w = gaze_map.shape
        mh, mw = shrink_side((h, w), self.max_side)
        if (mh, mw) != (h, w):
            gaze_map = cv2.resize(gaze_map, (mw, mh),
                                  interpolation=cv2.INTER_AREA)
        share_gaze_map(results, gaze_map)
        results['gaze_map_scale_factor'] = (gaze_map.shape[1] / w,
                                            gaze_map.shape[0] / h)
        return results

    def transform(self, results):
        path = self.map_path(results)
        if 'img' not in results:
            raise KeyError(f'{type(self).__name__} needs results["img"] to '
                           'check the map: put it after the image loader.')
        img_path = results.get('img_path')
        h, w = results['img'].shape[:2]
        results['gaze_map_fallback'] = None
        try:
            raw = self._read(path)
        except FileNotFoundError:
            message = (f'attention map {path!r} of image {img_path!r} does '
                       'not exist')
            if self.on_missing == 'error':
                raise FileNotFoundError(
                    f"{message}; check gaze_map_root, or set on_missing="
                    "'uniform' to use a uniform map for such images.") \
                    from None
            self._fallback('missing', message, results)
            return self._bounded(np.ones((h, w), np.float32), results)
        problem, gaze_map = self._problem(raw)
        if problem is not None:
            message = (f'attention map {path!r} of image {img_path!r} '
                       f'{problem}')
            if self.on_invalid == 'error':
                raise ValueError(f"{message}; set on_invalid='uniform' to "
                                 'use a uniform map for such images.')
            self._fallback('invalid', message, results)
            return self._bounded(np.ones((h, w), np.float32), results)
        if gaze_map.shape != (h, w):
            message = (f'attention map {path!r} has shape {gaze_map.shape} '
                       f'but image {img_path!r} has {(h, w)}')
            if self.on_shape_mismatch == 'error':
                raise ValueError(f"{message}; set on_shape_mismatch='resize' "
                                 "to resize maps to their image's size.")
            self._fallback('shape_mismatch', message, results)
            gaze_map = resize_map(gaze_map, (w, h))
        return self._bounded(gaze_map, results)

    def __repr__(self):
        return (f'{self.__class__.__name__}('
                f'gaze_map_root={self.gaze_map_root!r}, '
                f'data_root={self.data_root!r}, suffix={self.suffix!r}, '
                f'on_missing={self.on_missing!r}, '
                f'on_invalid={self.on_invalid!r}, '
                f'on_shape_mismatch={self.on_shape_mismatch!r}, '
                f'max_side={self.max_side}, '
                f'backend_args={self.backend_args})')
