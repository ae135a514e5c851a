"""``GazeConditionedAugment``: attention-aware view generation."""
import math

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmengine.utils import deprecated_api_warning
from mmpretrain.registry import TRANSFORMS

from .gca_functional import crop_resize, dim, erase, hflip, rotate
from .gca_sampling import (attention_crop, attention_erase, check_count,
                           check_interval, check_range, map_scale_factor,
                           summed_area_table)

_INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'area', 'lanczos')
#: argument names of earlier versions -> the names of mmpretrain's
#: ``RandomResizedCrop`` (the old names still work, with a warning)
DEPRECATED_ARGS = dict(crop_scale='crop_ratio_range',
                       crop_ratio='aspect_ratio_range')


@TRANSFORMS.register_module()
class GazeConditionedAugment(BaseTransform):
    """Gaze-conditioned augmentation (GCA): the geometric part of a
    contrastive view, steered by an attention map so that the view keeps the
    regions radiologists attend to.

    Steps, each with its own probability, in this order (the map follows
    every geometric step, so it stays aligned with the image):

    1. attention-preserving crop + resize to ``scale``: a crop as in
       mmpretrain's ``RandomResizedCrop`` (same argument names and
       conventions) that keeps at least ``min_attention`` of the map's mass
       (rejection sampling, ``crop_max_tries`` candidates); when the crop is
       not drawn, the whole image is resized;
    2. horizontal flip;
    3. rotation by an angle uniform in ``[-max_angle, max_angle]`` about the
       centre (corners become 0);
    4. attention-aware erasing: a rectangle covering at most
       ``erase_max_attention`` of the view's attention mass is set to
       ``erase_fill``; if none of ``erase_max_tries`` candidates qualifies,
       nothing is erased;
    5. attention-weighted dimming: the image is multiplied by the blurred,
       peak-normalised map plus ``dim_floor`` (see
       :func:`~.gca_functional.dim`); skipped when the view has no attention.

    Colour changes are left to the stock photometric transforms placed after
    it (``ColorJitter``, ``RandomGrayscale``, ``GaussianBlur``,
    ``Solarize``). The method does not state operator probabilities; the
    defaults for rotation (0.25), erasing (0.25) and dimming (0.2) keep most
    views close to the stock crop-and-flip views.

    All random draws of one call happen in :meth:`_sample_params`, from
    ``numpy.random``'s global state (seeded by mmengine).

    The map is checked once, by ``LoadGazeMap`` (finite, non-negative, with
    mass); here only its presence, shape and total mass are. It may have a
    lower resolution than the image (``LoadGazeMap(max_side=...)``, the
    default of ``apply_gca``): crops are still drawn in image pixels and
    measured exactly on the map through its summed-area table.

    **Required Keys:**

    - img (uint8 HxW or HxWxC)
    - gaze_map (float32, the image's HxW, or the image at
      ``gaze_map_scale_factor``; see ``LoadGazeMap``)
    - gaze_map_scale_factor (optional, ``(w_scale, h_scale)``: map pixels
      per image pixel; absent: the map has the image's size)
    - gaze_map_sat (optional: the map's summed-area table, shared by the
      views of one image; see ``SharedSummedAreaTable``)

    **Modified Keys:**

    - img
    - img_shape
    - gaze_map (the view's map: the new img's HxW; removed with
      ``keep_gaze_map=False``)
    - gaze_map_scale_factor (``(1.0, 1.0)``, when present; removed with
      ``keep_gaze_map=False``)
    - gaze_map_sat (removed: it belongs to the input map)

    **Added Keys:**

    - gca_params (dict): what was applied: ``crop`` (bool), ``crop_bbox``
      (x1, y1, x2, y2 in input pixels, inclusive-exclusive),
      ``crop_attention`` (fraction of the map's mass kept), ``crop_qualified``
      (a sampled crop met ``min_attention``) and ``crop_tries`` (True and 0
      when no crop was drawn), ``flip``, ``angle`` (degrees, clockwise),
      ``erase_bbox`` (view pixels, or None), ``erase_attention`` (fraction of
      the view's mass erased), ``erase_tries`` (0 when erasing was not
      drawn), ``dim`` (bool).

    Args:
        scale (int | tuple): output size, int or (h, w), as mmpretrain's
            ``RandomResizedCrop``. Defaults to 224.
        crop_prob (float): probability of the attention-preserving crop.
            Defaults to 1.0.
        crop_ratio_range (tuple): crop area range, fraction of the image
            area (``crop_scale`` before). Defaults to (0.25, 1.0) (the
            method's zoom U[1, 2]).
        aspect_ratio_range (tuple): crop aspect ratio range (w / h)
            (``crop_ratio`` before). Defaults to (3/4, 4/3).
        min_attention (float): fraction of the map's mass a crop must keep,
            in (0, 1]. Defaults to 0.9.
        crop_max_tries (int): crop candidates. Defaults to 200.
        crop_fallback (str): 'best' (candidate keeping the most attention)
            or 'full' (whole image) when none qualifies. Defaults to 'best'.
        flip_prob (float): horizontal flip probability. Defaults to 0.5.
        rotate_prob (float): rotation probability. Defaults to 0.25.
        max_angle (float): largest rotation in degrees. Defaults to 45.
        erase_prob (float): erasing probability. Defaults to 0.25.
        erase_area (tuple): rectangle area range, fraction of the view.
            Defaults to (0.02, 0.2).
        erase_ratio (tuple): rectangle aspect ratio range (h / w).
            Defaults to (0.3, 3.3).
        erase_min_side (float): shortest rectangle side, fraction of the
            view's shorter side (the method's 48 px). Defaults to 0.1.
        erase_max_attention (float): largest fraction of the view's mass a
            rectangle may cover, in [0, 1]. Defaults to 0.05.
        erase_max_tries (int): rectangle candidates. Defaults to 100.
        erase_fill (float): value of erased pixels, in [0, 255].
            Defaults to 0.
        dim_prob (float): dimming probability. Defaults to 0.2.
        dim_sigma (float): blur sigma, fraction of the view's shorter side.
            Defaults to 0.04.
        dim_floor (float): weight added everywhere, in [0, 1].
            Defaults to 0.1.
        dim_eps (float): added to the blurred map's peak. Defaults to 0.01.
        interpolation (str): image interpolation for resize and rotation
            (mmcv names); the map always uses area/bilinear.
            Defaults to 'bilinear'.
        backend (str): image resize backend, 'cv2' or 'pillow' (rotation is
            always cv2). Defaults to 'cv2'.
        keep_gaze_map (bool): return the view's map, aligned with the view,
            in ``results['gaze_map']``. With False the key is removed and
            the map follows the view only when erasing or dimming needs it:
            the image and every parameter are the same, at less cost.
            ``MultiView`` keeps only each view's image, so ``apply_gca``
            sets False. Defaults to True.
    """

    @deprecated_api_warning(DEPRECATED_ARGS, cls_name='GazeConditionedAugment')
    def __init__(self,
                 scale=224,
                 crop_prob=1.0,
                 crop_ratio_range=(0.25, 1.0),
                 aspect_ratio_range=(3 / 4, 4 / 3),
                 min_attention=0.9,
                 crop_max_tries=200,
                 crop_fallback='best',
                 flip_prob=0.5,
                 rotate_prob=0.25,
                 max_angle=45.0,
                 erase_prob=0.25,
                 erase_area=(0.02, 0.2),
                 erase_ratio=(0.3, 3.3),
                 erase_min_side=0.1,
                 erase_max_attention=0.05,
                 erase_max_tries=100,
                 erase_fill=0,
                 dim_prob=0.2,
                 dim_sigma=0.04,
                 dim_floor=0.1,
                 dim_eps=0.01,
                 interpolation='bilinear',
                 backend='cv2',
                 keep_gaze_map=True):
        if isinstance(scale, (tuple, list)) and len(scale) == 2:
            self.scale = tuple(scale)
        else:
            self.scale = (scale, scale)
        for s in self.scale:
            check_count('scale (each side)', s)
        for name, prob in dict(crop_prob=crop_prob, flip_prob=flip_prob,
                               rotate_prob=rotate_prob, erase_prob=erase_prob,
                               dim_prob=dim_prob).items():
            check_interval(name, prob, 0, 1)
        check_range('crop_ratio_range', crop_ratio_range, 0, 1, low_open=True)
        check_range('aspect_ratio_range', aspect_ratio_range, 0, math.inf,
                    low_open=True, high_open=True)
        check_interval('min_attention', min_attention, 0, 1, low_open=True)
        check_count('crop_max_tries', crop_max_tries)
        if crop_fallback not in ('best', 'full'):
            raise ValueError("crop_fallback must be 'best' or 'full', got "
                             f'{crop_fallback!r}')
        check_interval('max_angle', max_angle, 0, 180)
        check_range('erase_area', erase_area, 0, 1, low_open=True)
        check_range('erase_ratio', erase_ratio, 0, math.inf, low_open=True,
                    high_open=True)
        check_interval('erase_min_side', erase_min_side, 0, 1)
        check_interval('erase_max_attention', erase_max_attention, 0, 1)
        check_count('erase_max_tries', erase_max_tries)
        check_interval('erase_fill', erase_fill, 0, 255)
        check_interval('dim_sigma', dim_sigma, 0, math.inf, low_open=True,
                       high_open=True)
        check_interval('dim_floor', dim_floor, 0, 1)
        check_interval('dim_eps', dim_eps, 0, math.inf, high_open=True)
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f'interpolation must be one of {_INTERPOLATIONS}'
                             f', got {interpolation!r}')
        if backend not in ('cv2', 'pillow'):
            raise ValueError("backend must be 'cv2' or 'pillow', got "
                             f'{backend!r}')
        if backend == 'pillow' and interpolation == 'area':
            raise ValueError("interpolation='area' needs backend='cv2' "
                             '(Pillow has no area resampling)')
        self.crop_prob = crop_prob
        self.crop_ratio_range = tuple(crop_ratio_range)
        self.aspect_ratio_range = tuple(aspect_ratio_range)
        self.min_attention = min_attention
        self.crop_max_tries = crop_max_tries
        self.crop_fallback = crop_fallback
        self.flip_prob = flip_prob
        self.rotate_prob = rotate_prob
        self.max_angle = max_angle
        self.erase_prob = erase_prob
        self.erase_area = tuple(erase_area)
        self.erase_ratio = tuple(erase_ratio)
        self.erase_min_side = erase_min_side
        self.erase_max_attention = erase_max_attention
        self.erase_max_tries = erase_max_tries
        self.erase_fill = erase_fill
        self.dim_prob = dim_prob
        self.dim_sigma = dim_sigma
        self.dim_floor = dim_floor
        self.dim_eps = dim_eps
        self.interpolation = interpolation
        self.backend = backend
        if not isinstance(keep_gaze_map, bool):
            raise ValueError('keep_gaze_map must be True or False, got '
                             f'{keep_gaze_map!r}')
        self.keep_gaze_map = keep_gaze_map

    @cache_randomness
    def _sample_params(self, sat, img_shape, scale_factor):
        """Draw every random parameter of one view.

        The crop is chosen here against the input map's summed-area table
        ``sat`` (a map at ``scale_factor`` of the image, None: the image's
        size); the erasing candidates' random numbers are drawn here
        (their boxes depend only on the view size) and the boxes built and
        checked against the view's map in :meth:`transform`.
        """
        rng = np.random
        if rng.rand() < self.crop_prob:
            crop = attention_crop(
                sat, img_shape, self.crop_ratio_range,
                self.aspect_ratio_range, self.min_attention,
                self.crop_max_tries, self.crop_fallback, rng, scale_factor)
        else:
            crop = None
        flip = bool(rng.rand() < self.flip_prob)
        angle = 0.0
        if rng.rand() < self.rotate_prob:
            angle = float(rng.uniform(-self.max_angle, self.max_angle))
        erase = None
        if rng.rand() < self.erase_prob:  # the draws of erase_candidates
            erase = rng.uniform(0.0, 1.0, (4, self.erase_max_tries))
        dim_view = bool(rng.rand() < self.dim_prob)
        return dict(crop=crop, flip=flip, angle=angle,
                    erase_draws=erase, dim=dim_view)

    def _inputs(self, results):
        """The image, its map, the map's scale factor (None: the image's
        size) and the map's summed-area table; raises naming what is
        wrong. The map's values were checked by ``LoadGazeMap``; here only
        its shape and its total mass (free from the table) are."""
        if 'gaze_map' not in results:
            raise KeyError(
                f'{type(self).__name__} needs results["gaze_map"], the '
                'attention map of the image: add LoadGazeMap to the pipeline '
                'before it (after the image loader).')
        img, gaze_map = results['img'], results['gaze_map']
        if img.dtype != np.uint8 or img.ndim not in (2, 3):
            raise ValueError(f'{type(self).__name__} expects results["img"] '
                             'as uint8 HxW or HxWxC, got dtype '
                             f'{img.dtype} and shape {img.shape}')
        scale_factor = results.get('gaze_map_scale_factor')
        if scale_factor is not None and tuple(scale_factor) == (1.0, 1.0):
            scale_factor = None
        expected = img.shape[:2] if scale_factor is None else (
            round(img.shape[0] * scale_factor[1]),
            round(img.shape[1] * scale_factor[0]))
        if gaze_map.ndim != 2 or gaze_map.shape != expected:
            raise ValueError(
                f'results["gaze_map"] has shape {gaze_map.shape} but '
                f'results["img"] has {img.shape}'
                + ('' if scale_factor is None else
                   f' and gaze_map_scale_factor {tuple(scale_factor)}')
                + ': the map must be HxW and cover the image (a transform '
                'between LoadGazeMap and this one must not resize the '
                "image; LoadGazeMap can resize a map: on_shape_mismatch="
                "'resize').")
        if scale_factor is not None:  # exactly the shapes' ratio
            scale_factor = map_scale_factor(gaze_map.shape, img.shape)
        shared = results.get('gaze_map_sat')
        sat = shared.get(gaze_map) if shared is not None else \
            summed_area_table(gaze_map)
        total = sat[-1, -1]
        if not (np.isfinite(total) and total > 0):
            raise ValueError(
                'results["gaze_map"] must have a positive total mass (finite, '
                f'non-negative values, see LoadGazeMap), got total {total} '
                f'(image: {results.get("img_path")})')
        return img, gaze_map, scale_factor, sat

    def transform(self, results):
        """Make one attention-aware view of ``results['img']``."""
        img, gaze_map, scale_factor, sat = self._inputs(results)
        params = self._sample_params(sat, img.shape, scale_factor)
        crop = params['crop']
        bbox = crop['bbox'] if crop else (0, 0, img.shape[1], img.shape[0])
        if not (self.keep_gaze_map or params['dim']
                or params['erase_draws'] is not None):
            gaze_map = None  # no step needs the view's map
        img, gaze_map = crop_resize(img, gaze_map, bbox, self.scale[::-1],
                                    self.interpolation, self.backend,
                                    scale_factor)
        if params['flip']:
            img, gaze_map = hflip(img, gaze_map)
        if params['angle']:
            img, gaze_map = rotate(img, gaze_map, params['angle'],
                                   self.interpolation)
        erased = dict(bbox=None, attention=0.0, tries=0)
        if params['erase_draws'] is not None:
            erased = attention_erase(
                summed_area_table(gaze_map), params['erase_draws'],
                self.scale, self.erase_area, self.erase_ratio,
                self.erase_min_side, self.erase_max_attention)
            if erased['bbox'] is not None:
                img = erase(img, erased['bbox'], self.erase_fill)
        dimmed = params['dim'] and gaze_map.max() > 0
        if dimmed:
            img = dim(img, gaze_map, self.dim_sigma, self.dim_floor,
                      self.dim_eps)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results.pop('gaze_map_sat', None)
        if self.keep_gaze_map:
            results['gaze_map'] = gaze_map
            if 'gaze_map_scale_factor' in results:
                results['gaze_map_scale_factor'] = (1.0, 1.0)
        else:
            results.pop('gaze_map')
            results.pop('gaze_map_scale_factor', None)
        results['gca_params'] = dict(
            crop=crop is not None,
            crop_bbox=bbox,
            crop_attention=crop['attention'] if crop else 1.0,
            crop_qualified=crop['qualified'] if crop else True,
            crop_tries=crop['tries'] if crop else 0,
            flip=params['flip'],
            angle=params['angle'],
            erase_bbox=erased['bbox'],
            erase_attention=erased['attention'],
            erase_tries=erased['tries'],
            dim=bool(dimmed))
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'crop_prob={self.crop_prob}, '
                f'crop_ratio_range={self.crop_ratio_range}, '
                'aspect_ratio_range='
                f'{tuple(round(r, 4) for r in self.aspect_ratio_range)}, '
                f'min_attention={self.min_attention}, '
                f'crop_max_tries={self.crop_max_tries}, '
                f'crop_fallback={self.crop_fallback!r}, '
                f'flip_prob={self.flip_prob}, '
                f'rotate_prob={self.rotate_prob}, '
                f'max_angle={self.max_angle}, erase_prob={self.erase_prob}, '
                f'erase_area={self.erase_area}, '
                f'erase_ratio={self.erase_ratio}, '
                f'erase_min_side={self.erase_min_side}, '
                f'erase_max_attention={self.erase_max_attention}, '
                f'erase_max_tries={self.erase_max_tries}, '
                f'erase_fill={self.erase_fill}, dim_prob={self.dim_prob}, '
                f'dim_sigma={self.dim_sigma}, dim_floor={self.dim_floor}, '
                f'dim_eps={self.dim_eps}, '
                f'interpolation={self.interpolation!r}, '
                f'backend={self.backend!r}, '
                f'keep_gaze_map={self.keep_gaze_map})')
