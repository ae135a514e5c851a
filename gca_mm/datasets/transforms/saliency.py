"""Targets of the gaze-saliency model: the attention map and the fixations.

Pack both with mmpretrain's
``PackInputs(algorithm_keys=('gt_saliency', 'gt_fixations'))``.
"""
import os.path as osp
import posixpath

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

from gca_mm.gaze.readers import read_generic


@TRANSFORMS.register_module()
class GazeMapToTarget(BaseTransform):
    """Use the attention map as the saliency target.

    Place it where the target should stop following the image: after the
    geometric transforms for training (the target is then aligned with the
    network input), before ``Resize`` for evaluation (the target keeps the
    original image size, where the metrics are computed).

    Required Keys:

    - gaze_map (``map_key``): float HxW map at the image's size, as
      ``LoadGazeMap`` (which validates it) gives it

    Added Keys:

    - gt_saliency (``target_key``): float32 HxW

    Args:
        map_key (str): Key of the map. Defaults to 'gaze_map'.
        target_key (str): Key of the target. Defaults to 'gt_saliency'.
    """

    def __init__(self, map_key='gaze_map', target_key='gt_saliency'):
        self.map_key = map_key
        self.target_key = target_key

    def transform(self, results):
        where = results.get('img_path', 'this sample')
        if self.map_key not in results:
            raise KeyError(f'{where} has no {self.map_key!r}; load the '
                           'attention map first (LoadGazeMap)')
        # a plain, writable array (the loaded map is a read-only
        # SharedGazeMap; the target becomes a tensor)
        target = np.require(results[self.map_key], np.float32,
                            ('C', 'W', 'E'))
        if target.ndim != 2:
            raise ValueError(f'{self.map_key} of {where} must be HxW, got '
                             f'shape {target.shape}')
        results[self.target_key] = target
        return results

    def __repr__(self):
        return (f"{self.__class__.__name__}(map_key='{self.map_key}', "
                f"target_key='{self.target_key}')")


@TRANSFORMS.register_module()
class LoadFixations(BaseTransform):
    """Add the fixations on the image from a generic fixation CSV
    (``image,x,y[,duration_ms][,reader]``, see ``docs/data_formats.md``).

    The ``image`` column holds paths relative to ``data_root``; all readers'
    fixations on an image are pooled. Coordinates stay in the original image
    pixels (integers are pixel centres): geometric transforms do not move
    them, so use them for evaluation at the original size.

    Required Keys:

    - img_path

    Added Keys:

    - gt_fixations: float32 ``(N, 2)`` array of ``(x, y)``

    Args:
        fixation_file (str): The CSV, read once when the transform is built
            (any mmengine file backend).
        data_root (str, optional): Root the CSV paths are relative to; None
            when they are the ``img_path`` values themselves.
        allow_missing (bool): Give an image absent from the CSV an empty
            ``(0, 2)`` array instead of raising ``KeyError``.
            Defaults to False.
    """

    def __init__(self, fixation_file, data_root=None, allow_missing=False):
        self.fixation_file = fixation_file
        self.data_root = data_root
        self.allow_missing = allow_missing
        table = read_generic(fixation_file)
        images, inverse = np.unique(
            [posixpath.normpath(i) for i in table.image], return_inverse=True)
        xy = np.stack([table.x, table.y], axis=1).astype(np.float32)
        self._fixations = {
            image: xy[inverse == i]
            for i, image in enumerate(images.tolist())
        }

    def _key(self, img_path):
        path = str(img_path)
        if self.data_root is not None:
            path = osp.relpath(path, self.data_root)
        return posixpath.normpath(path.replace(osp.sep, '/'))

    def transform(self, results):
        key = self._key(results['img_path'])
        fixations = self._fixations.get(key)
        if fixations is None:
            if not self.allow_missing:
                raise KeyError(
                    f'{self.fixation_file} has no fixations for image {key!r} '
                    f'({results["img_path"]} relative to data_root '
                    f'{self.data_root}); set allow_missing=True to accept '
                    'images without fixations')
            fixations = np.zeros((0, 2), np.float32)
        results['gt_fixations'] = fixations.copy()
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}('
                f"fixation_file='{self.fixation_file}', "
                f'data_root={self.data_root!r}, '
                f'allow_missing={self.allow_missing})')
