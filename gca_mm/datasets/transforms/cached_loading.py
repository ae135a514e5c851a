"""Loading from a :class:`gca_mm.datasets.DecodedImageCache`."""
import cv2
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

from .shared_map import share_gaze_map


@TRANSFORMS.register_module()
class LoadFromDecodedCache(BaseTransform):
    """Load an image (and its attention map) from a decoded-image cache.

    ``KneeXrayDataset(decoded_cache=...)`` puts this transform in place of
    the pipeline's leading ``LoadXrayFromFile`` (and ``LoadGazeMap``), so the
    rest of the pipeline receives what those would have given, at the
    cache's resolution. It is not meant to be written into a config.

    Required Keys:

    - img_path

    Added Keys:

    - img
    - img_shape
    - ori_shape
    - gaze_map (when the cache holds maps; validated when the cache was
      built, as ``LoadGazeMap`` does)
    - gaze_map_scale_factor (when the cache holds maps; see ``LoadGazeMap``)
    - gaze_map_sat (when the cache holds maps; see ``LoadGazeMap``)
    - gaze_map_fallback (when the cache holds maps)

    Args:
        cache (DecodedImageCache): the dataset's cache.
        color_type (str): ``'color'`` (grey replicated to 3 channels) or
            ``'grayscale'``, as the replaced ``LoadXrayFromFile``.
    """

    def __init__(self, cache, color_type='color'):
        if color_type not in ('color', 'grayscale'):
            raise ValueError("color_type must be 'color' or 'grayscale', "
                             f'got {color_type!r}')
        self.cache = cache
        self.color_type = color_type

    def transform(self, results):
        img, gaze_map, fallback = self.cache.get(results['img_path'])
        if self.color_type == 'color':
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        if gaze_map is not None:
            share_gaze_map(results, gaze_map)
            results['gaze_map_scale_factor'] = (
                gaze_map.shape[1] / img.shape[1],
                gaze_map.shape[0] / img.shape[0])
            results['gaze_map_fallback'] = fallback
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(cache={self.cache.prefix!r}, '
                f'color_type={self.color_type!r})')
