"""The views of a contrastive training pipeline, one at a time, each with the
crop box it was cut from.

mmpretrain's ``MultiView`` returns only the image of each view. To know where
a view comes from, :class:`PipelineViews` runs the view pipelines itself on a
deep copy of the loaded results and reads the crop box: from
``RandomResizedCrop.rand_crop_params`` (the stock crop's own draw, replayed
with numpy's random state) or from ``results['gca_params']`` of
``GazeConditionedAugment``.
"""
import copy
import os.path as osp
from typing import NamedTuple, Optional, Tuple

import numpy as np
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.datasets.transforms import RandomResizedCrop
from mmpretrain.registry import DATASETS, TRANSFORMS

from ..apis.gca_config import LOAD_MAP, effective_config
from ..datasets.transforms import GazeConditionedAugment
from ..datasets.transforms.gca_sampling import box_attention, summed_area_table
from ..utils.config_walk import pipeline_datasets, transform_type


class View(NamedTuple):
    """One view: its image (after the whole view pipeline), its crop box
    (x1, y1, x2, y2 in input pixels, inclusive-exclusive), the fraction of
    the input attention map's mass inside that box, the index of the
    ``MultiView`` pipeline that made it, and ``gca_params`` (None for stock
    views)."""
    img: object
    crop_bbox: Tuple[int, int, int, int]
    attention: float
    pipeline: int
    gca_params: Optional[dict]


def load_view_configs(stock, gca, data_root=None, gaze_map_root=None,
                      split=None, gaze_map_suffix=None):
    """The stock config and the effective GCA config, as the runners see
    them.

    ``gca`` is made effective like ``GCARunner`` does
    (:func:`gca_mm.apis.effective_config`), with ``gaze_map_root`` and
    ``gaze_map_suffix`` (if given) replacing the config's. ``data_root``
    and ``split`` (if given) replace those of both training datasets.

    Args:
        stock (str | Config): stock config or its path.
        gca (str | Config): GCA config (``gca`` dict + ``GCARunner``, or
            views already made by ``GazeConditionedAugment``) or its path.
        data_root (str, optional): dataset root.
        gaze_map_root (str, optional): attention map root.
        split (str, optional): split folder of a ``KneeXrayDataset``.
        gaze_map_suffix (str, optional): map file extension.

    Returns:
        tuple[Config, Config]: stock and GCA configs.
    """
    stock = stock if isinstance(stock, Config) else Config.fromfile(stock)
    gca = gca if isinstance(gca, Config) else Config.fromfile(gca)
    overrides = {}
    if gaze_map_root is not None:
        overrides['gaze_map_root'] = gaze_map_root
    if gaze_map_suffix is not None:
        overrides['gaze_map_suffix'] = gaze_map_suffix
    gca = effective_config(gca, **overrides)
    for cfg in (stock, gca):
        dataset = _training_dataset(cfg)
        if data_root is not None:
            dataset['data_root'] = data_root
        if split is not None:
            dataset['split'] = split
    return stock, gca


def _training_dataset(cfg):
    """The training dataset dict of ``cfg`` that has the pipeline
    (wrappers followed); exactly one is expected."""
    name = cfg.filename or 'the config'
    found = pipeline_datasets((cfg.get('train_dataloader') or {}).get(
        'dataset'), 'train_dataloader.dataset')
    if not found:
        raise ValueError(f'{name}: train_dataloader.dataset has no pipeline; '
                         'expected a contrastive pre-training config')
    if len(found) > 1:
        raise ValueError(f'{name}: the views of one training dataset are '
                         f'compared; found {len(found)} with a pipeline '
                         f'({", ".join(f for f, _ in found)})')
    return found[0][1]


def training_pipeline(cfg):
    """``cfg``'s training pipeline (list of transform dicts)."""
    return list(_training_dataset(cfg)['pipeline'])


def build_view_dataset(cfg):
    """The training dataset of ``cfg`` without its pipeline, listing only
    images that have an attention map (``require_gaze_map`` for a
    ``KneeXrayDataset`` with ``gaze_map_root``)."""
    dataset = dict(_training_dataset(cfg), pipeline=[])
    if transform_type(dataset) == 'KneeXrayDataset':
        dataset['decoded_cache'] = None  # the views decode their own images
        if dataset.get('gaze_map_root'):
            dataset['require_gaze_map'] = True
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(dataset)


def find_image(dataset, image):
    """Index of ``image`` in ``dataset``: an int index, or an image path
    (absolute, or relative to the dataset's ``data_root`` or the current
    folder)."""
    if isinstance(image, int) or str(image).lstrip('-').isdigit():
        index = int(image)
        if not -len(dataset) <= index < len(dataset):
            raise IndexError(f'image index {index} is outside the '
                             f'{len(dataset)} images of the dataset')
        return index % len(dataset)
    wanted = {osp.normpath(osp.abspath(image))}
    if getattr(dataset, 'data_root', None):
        wanted.add(osp.normpath(osp.abspath(osp.join(dataset.data_root,
                                                     image))))
    for i in range(len(dataset)):
        if osp.normpath(osp.abspath(
                dataset.get_data_info(i)['img_path'])) in wanted:
            return i
    raise ValueError(f'image {image!r} is not one of the {len(dataset)} '
                     'images of the dataset (only images that have an '
                     'attention map are listed)')


def compared_views(stock, gca, data_root=None, gaze_map_root=None,
                   split=None, gaze_map_suffix=None):
    """Everything needed to compare the views of two configs.

    Arguments as in :func:`load_view_configs`.

    Returns:
        tuple: ``cfgs`` {'stock', 'gca': Config}, ``dataset`` (the GCA
        config's training images that have a map, see
        :func:`build_view_dataset`) and ``views`` {'stock', 'gca':
        :class:`PipelineViews`}, the stock views measured on the map the
        GCA pipeline loads.
    """
    cfgs = dict(zip(('stock', 'gca'), load_view_configs(
        stock, gca, data_root, gaze_map_root, split, gaze_map_suffix)))
    dataset = build_view_dataset(cfgs['gca'])
    gca_pipeline = training_pipeline(cfgs['gca'])
    map_loader = next(t for t in gca_pipeline
                      if transform_type(t) == LOAD_MAP)
    views = {name: PipelineViews(training_pipeline(cfg), map_loader)
             for name, cfg in cfgs.items()}
    return cfgs, dataset, views


class PipelineViews:
    """Run the views of a ``MultiView`` training pipeline one at a time.

    Each view pipeline must begin with ``RandomResizedCrop`` (mmpretrain) or
    ``GazeConditionedAugment``; its crop box is read exactly from that step.
    The transforms before the ``MultiView`` load the image; a
    ``LoadGazeMap`` is added after them when the pipeline has none (stock
    pipelines), so every view's attention can be measured on the same map.

    Args:
        pipeline (list[dict]): a training pipeline with one ``MultiView``.
        load_gaze_map (dict, optional): config of the ``LoadGazeMap`` added
            to a pipeline without one. Defaults to ``dict(type='LoadGazeMap')``
            (reads ``gaze_map_path`` set by ``KneeXrayDataset``).
    """

    def __init__(self, pipeline, load_gaze_map=None):
        types = [transform_type(t) for t in pipeline]
        if types.count('MultiView') != 1:
            raise ValueError('expected a pipeline with exactly one MultiView, '
                             f'got the steps {types}')
        at = types.index('MultiView')
        loading = [copy.deepcopy(t) for t in pipeline[:at]]
        if LOAD_MAP not in types[:at]:
            loading.append(dict(load_gaze_map or dict(type=LOAD_MAP)))
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            self.loading = Compose(loading)
            multiview = TRANSFORMS.build(copy.deepcopy(pipeline[at]))
        # one entry per view, as MultiView makes them (a pipeline repeats
        # num_views times)
        self.views = list(multiview.transforms)
        self.pipeline_of = [i for i, n in enumerate(multiview.num_views)
                            for _ in range(n)]
        for k, view in enumerate(self.views):
            first = view.transforms[0] if view.transforms else None
            if not isinstance(first,
                              (RandomResizedCrop, GazeConditionedAugment)):
                raise ValueError(
                    f'view pipeline {k} of the MultiView begins with '
                    f'{type(first).__name__}; expected RandomResizedCrop or '
                    'GazeConditionedAugment, whose crop box can be read')

    def load(self, data_info):
        """Load the image and its attention map (on a deep copy of
        ``data_info``)."""
        results = self.loading(copy.deepcopy(data_info))
        if results is None:
            raise ValueError('the loading steps returned None for '
                             f'{data_info.get("img_path")}')
        return results

    def view(self, results, index, sat=None):
        """Make view ``index`` of loaded ``results``: views cycle through
        the views of one ``MultiView`` call, in their order.

        Args:
            results (dict): output of :meth:`load`; not modified.
            index (int): view number.
            sat (ndarray, optional): summed-area table of
                ``results['gaze_map']``, to reuse across views. The map may
                be smaller than the image (``gaze_map_scale_factor``); the
                attention of the crop box is measured on it exactly.

        Returns:
            View: the view and where it comes from.
        """
        k = index % len(self.views)
        view = self.views[k]
        crop = view.transforms[0]
        if sat is None:
            sat = summed_area_table(results['gaze_map'])
        if isinstance(crop, GazeConditionedAugment):
            out = view(copy.deepcopy(results))
            params = out['gca_params']
            bbox = tuple(params['crop_bbox'])
        else:
            # The crop draws from numpy's global state only: replaying the
            # state gives its very draw. (mmcv's cache_random_params is not
            # used: on leaving it, it binds the method of one instance to
            # the last instance of the class touched, which breaks
            # pipelines holding two crops.)
            state = np.random.get_state()
            top, left, h, w = crop.rand_crop_params(results['img'])
            np.random.set_state(state)
            out = view(copy.deepcopy(results))
            params = None
            bbox = (int(left), int(top), int(left + w), int(top + h))
        attention = box_attention(sat, bbox, _scale_factor(results))
        return View(out['img'], bbox, float(attention), self.pipeline_of[k],
                    params)


def _scale_factor(results):
    """The map's scale factor relative to the image, None at 1."""
    factor = results.get('gaze_map_scale_factor')
    return None if factor is None or tuple(factor) == (1.0, 1.0) else factor
