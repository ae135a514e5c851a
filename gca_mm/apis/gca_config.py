"""Turn a self-supervised config into its GCA version.

The views of mmpretrain's contrastive configs come from ``MultiView``, each
view starting with a random resized crop (and usually a flip). GCA replaces
that geometric part with :class:`GazeConditionedAugment` and loads each
image's attention map once, before ``MultiView``; the photometric steps
(colour jitter, grey, blur, solarise) stay as they are.
"""
import copy
import warnings

from mmengine.config import Config

from ..datasets.transforms.gca import DEPRECATED_ARGS
from ..utils.config_checks import check_gca_pipelines
from ..utils.config_walk import (nested_pipelines, pipeline_datasets,
                                 transform_type)

LOADERS = ('LoadImageFromFile', 'LoadXrayFromFile')
CROPS = ('RandomResizedCrop', 'RandomResizedCropAndInterpolationWithTwoPic')
GCA = 'GazeConditionedAugment'
LOAD_MAP = 'LoadGazeMap'
#: shorter side of the attention maps ``LoadGazeMap`` keeps for GCA views
#: (maps of larger images are area-resampled once, when loaded)
GCA_MAP_MAX_SIDE = 256
_INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'area', 'lanczos')
# mmpretrain's RandomResizedCrop defaults (crop_ratio_range is the area)
_CROP_DEFAULTS = dict(crop_ratio_range=(0.08, 1.0),
                      aspect_ratio_range=(3 / 4, 4 / 3))


def _crop_to_gca(crop, flip_prob, gca_args):
    """GCA transform replacing one view's crop (+ flip), keeping the crop's
    output size, area range, aspect range, interpolation and backend; the
    view's map is not kept (``keep_gaze_map=False``: ``MultiView`` keeps
    only the view's image).

    Both conventions give the output size as (h, w), as
    ``GazeConditionedAugment`` does: mmpretrain's ``scale`` (it resizes
    with ``scale[::-1]``) and torchvision's / mmselfsup's ``size``.
    """
    # MultiView keeps only each view's image: the view's map is not needed
    gca = dict(type=GCA, flip_prob=flip_prob, keep_gaze_map=False)
    if 'size' in crop:  # mmselfsup / torchvision-style arguments
        gca['scale'] = crop['size']
        for src, dst in (('scale', 'crop_ratio_range'),
                         ('ratio', 'aspect_ratio_range')):
            gca[dst] = tuple(crop.get(src, _CROP_DEFAULTS[dst]))
    else:  # mmpretrain-style arguments
        gca['scale'] = crop.get('scale', 224)
        for name, default in _CROP_DEFAULTS.items():
            gca[name] = tuple(crop.get(name, default))
    if isinstance(gca['scale'], (list, tuple)):
        gca['scale'] = tuple(gca['scale'])
    if crop.get('interpolation') in _INTERPOLATIONS:
        gca['interpolation'] = crop['interpolation']
    if crop.get('backend') in ('cv2', 'pillow'):
        gca['backend'] = crop['backend']
    gca.update(gca_args)
    return gca


def _convert_view(view, gca_args, where):
    """One view pipeline with its crop (and horizontal flip) made GCA;
    returns ``(view, converted)``."""
    types = [transform_type(t) for t in view]
    if GCA in types:
        if gca_args:
            warnings.warn(
                f'{where} already uses {GCA}; the gca arguments '
                f'{sorted(gca_args)} are not applied to it (set them on that '
                f'{GCA} instead)', UserWarning, stacklevel=3)
        return list(view), True
    crops = [i for i, t in enumerate(types) if t in CROPS]
    if not crops:
        return list(view), False
    if len(crops) > 1:
        raise ValueError(f'{where} has {len(crops)} random resized crops; '
                         'expected one per view')
    flips = [i for i, t in enumerate(view) if types[i] == 'RandomFlip'
             and t.get('direction', 'horizontal') == 'horizontal']
    flip_prob = view[flips[0]].get('prob', 0.5) if flips else 0.0
    out = []
    for i, t in enumerate(view):
        if i == crops[0]:
            out.append(_crop_to_gca(t, flip_prob, gca_args))
        elif i not in flips:
            out.append(copy.deepcopy(t))
    return out, True


def _gca_args(gca_args):
    """``gca_args`` with deprecated ``GazeConditionedAugment`` argument
    names replaced (and a ``DeprecationWarning`` for each)."""
    gca_args = dict(gca_args)
    for old, new in DEPRECATED_ARGS.items():
        if old in gca_args:
            if new in gca_args:
                raise ValueError(f'gca arguments give both {old!r} and its '
                                 f'new name {new!r}; keep {new!r}')
            warnings.warn(f'gca argument {old!r} is deprecated, use {new!r}',
                          DeprecationWarning, stacklevel=3)
            gca_args[new] = gca_args.pop(old)
    return gca_args


def _convert_pipeline(pipeline, field, gca_args):
    """The pipeline with the views of every ``MultiView`` made GCA, and the
    number of views converted."""
    pipeline, converted = list(pipeline), 0
    for i, t in enumerate(pipeline):
        if transform_type(t) != 'MultiView':
            continue
        flat = isinstance(t['transforms'][0], dict)
        new_views = []
        for k, view in enumerate(nested_pipelines(t)):
            where = f'{field}[{i}].transforms' + ('' if flat else f'[{k}]')
            view, done = _convert_view(view, gca_args, where)
            new_views.append(view)
            converted += done
        pipeline[i] = dict(t, transforms=new_views[0] if flat else new_views)
    return pipeline, converted


def apply_gca(cfg, gaze_map_root=None, gaze_map_suffix='.png',
              load_gaze_map=None, **gca_args):
    """Return a copy of ``cfg`` whose training views are made by GCA.

    Args:
        cfg (Config | dict): an mmpretrain (or mmselfsup) self-supervised
            config whose training dataset (``train_dataloader.dataset``, or
            the datasets inside its wrappers, ``ConcatDataset`` included)
            has a pipeline with a ``MultiView`` whose views start with a
            random resized crop.
        gaze_map_root (str, optional): root of the attention maps, set on a
            ``KneeXrayDataset`` (maps found by the image's relative path);
            for other dataset classes it is given to ``LoadGazeMap``
            together with the dataset's ``data_root``.
        gaze_map_suffix (str): map file extension. Defaults to '.png'.
        load_gaze_map (dict, optional): extra ``LoadGazeMap`` arguments,
            e.g. ``dict(on_missing='uniform')``. The inserted
            ``LoadGazeMap`` keeps maps at ``max_side=GCA_MAP_MAX_SIDE``
            (shorter side, area-resampled) unless this sets ``max_side``.
        **gca_args: ``GazeConditionedAugment`` arguments that override the
            values taken from the stock crop (e.g. ``min_attention=0.8``,
            ``crop_ratio_range=(0.25, 1.0)``, ``erase_prob=0``). A view
            that already uses ``GazeConditionedAugment`` is left as it is
            (with a warning when ``gca_args`` are given).

    Returns:
        Config: the GCA version, an explicit config that mmengine's plain
        ``Runner`` runs: ``runner_type='GCARunner'`` and the ``gca`` dict,
        which asked for the conversion, are removed. ``cfg`` is not
        modified.
    """
    gca_args = _gca_args(gca_args)
    filename = cfg.filename if isinstance(cfg, Config) else None
    cfg = Config(copy.deepcopy(cfg.to_dict() if isinstance(cfg, Config)
                               else dict(cfg)), filename=filename)
    loader = cfg.get('train_dataloader')
    if not loader or 'dataset' not in loader:
        raise ValueError('apply_gca needs a config with '
                         'train_dataloader.dataset')
    datasets = pipeline_datasets(loader['dataset'], 'train_dataloader.dataset')
    if not datasets:
        raise ValueError('train_dataloader.dataset has no pipeline to turn '
                         'into GCA views')
    converted = 0
    for field, dataset in datasets:
        converted += _convert_dataset(dataset, field + '.pipeline', gca_args,
                                      gaze_map_root, gaze_map_suffix,
                                      load_gaze_map)
    if not converted:
        fields = ', '.join(f'{f}.pipeline' for f, _ in datasets)
        raise ValueError(f'no view of a MultiView in {fields} starts with '
                         f'a random resized crop ({", ".join(CROPS)}); '
                         'nothing to make attention-aware')

    if cfg.get('runner_type') == 'GCARunner':
        cfg.pop('runner_type')
    cfg.pop('gca', None)
    collate = loader.get('collate_fn')
    if isinstance(collate, dict):
        # `mmpretrain::` inheritance tags dicts with `_scope_`, which the
        # collate function would receive as an argument.
        collate.pop('_scope_', None)
    check_gca_pipelines(cfg)
    return cfg


def effective_config(cfg, **gca_overrides):
    """The config as ``GCARunner`` builds it: for a config with
    ``runner_type='GCARunner'`` (or a ``gca`` dict), ``apply_gca(cfg,
    **cfg.gca)`` with ``gca_overrides`` on top; any other config unchanged
    (a copy).

    What ``tools/misc/print_config.py`` prints and
    ``tools/misc/gca_convert_config.py`` writes.
    """
    if cfg.get('runner_type') != 'GCARunner' and 'gca' not in cfg \
            and not gca_overrides:
        return Config(copy.deepcopy(cfg.to_dict()), filename=cfg.filename)
    return apply_gca(cfg, **dict(cfg.get('gca') or {}, **gca_overrides))


def _convert_dataset(dataset, field, gca_args, gaze_map_root,
                     gaze_map_suffix, load_gaze_map):
    """Convert one training dataset cfg in place: its views made GCA, a
    ``LoadGazeMap`` after the image loader, the map root set. Returns the
    number of converted views."""
    types = [transform_type(t) for t in dataset['pipeline']]
    if 'MultiView' not in types:
        raise ValueError(f'{field} has no MultiView (found {types}); '
                         'apply_gca converts multi-view contrastive configs')
    pipeline, converted = _convert_pipeline(dataset['pipeline'], field,
                                            gca_args)
    map_args = dict(max_side=GCA_MAP_MAX_SIDE)
    map_args.update(load_gaze_map or {})
    if gaze_map_root is not None:
        if transform_type(dataset) == 'KneeXrayDataset':
            dataset['gaze_map_root'] = gaze_map_root
            dataset['gaze_map_suffix'] = gaze_map_suffix
        else:
            map_args.update(gaze_map_root=gaze_map_root,
                            data_root=dataset.get('data_root', ''),
                            suffix=gaze_map_suffix)
    if LOAD_MAP not in types:
        loaders = [k for k, t in enumerate(types) if t in LOADERS]
        at = loaders[0] + 1 if loaders else 0
        pipeline.insert(at, dict(type=LOAD_MAP, **map_args))
    dataset['pipeline'] = pipeline
    return converted


__all__ = ['apply_gca', 'effective_config', 'GCA_MAP_MAX_SIDE']
