"""Turn a self-supervised config into its GCA version.

The views of mmpretrain's contrastive configs come from ``MultiView``, each
view starting with a random resized crop (and usually a flip). GCA replaces
that geometric part with :class:`GazeConditionedAugment` and loads each
image's attention map once, before ``MultiView``; the photometric steps
(colour jitter, grey, blur, solarise) stay as they are.
"""
import copy

from mmengine.config import Config

LOADERS = ('LoadImageFromFile', 'LoadXrayFromFile')
CROPS = ('RandomResizedCrop', 'RandomResizedCropAndInterpolationWithTwoPic')
GCA = 'GazeConditionedAugment'
LOAD_MAP = 'LoadGazeMap'


def _type(t):
    """Registry name without scope prefix (``mmpretrain.X`` -> ``X``)."""
    name = t.get('type', '') if isinstance(t, dict) else ''
    return name.split('.')[-1] if isinstance(name, str) else ''


def _inner_dataset(dataset, field):
    """Follow dataset wrappers (RepeatDataset, ClassBalancedDataset, ...)."""
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset, field = dataset['dataset'], field + '.dataset'
    if 'pipeline' not in dataset:
        raise ValueError(f'{field} has no pipeline to turn into GCA views')
    return dataset, field


def _crop_to_gca(crop, flip_prob, gca_args):
    """GCA transform replacing one view's crop (+ flip), keeping the crop's
    output size, area range, aspect range and interpolation."""
    gca = dict(type=GCA, flip_prob=flip_prob)
    if 'size' in crop:  # mmselfsup / torchvision-style arguments
        gca['scale'] = crop['size']
        for src, dst in (('scale', 'crop_scale'), ('ratio', 'crop_ratio')):
            if src in crop:
                gca[dst] = tuple(crop[src])
    else:  # mmpretrain-style arguments
        gca['scale'] = crop.get('scale', 224)
        for src, dst in (('crop_ratio_range', 'crop_scale'),
                         ('aspect_ratio_range', 'crop_ratio')):
            gca[dst] = tuple(crop.get(src, (0.08, 1.0) if src ==
                                      'crop_ratio_range' else (3 / 4, 4 / 3)))
    if crop.get('interpolation') in ('nearest', 'bilinear', 'bicubic',
                                     'area', 'lanczos'):
        gca['interpolation'] = crop['interpolation']
    gca.update(gca_args)
    return gca


def _convert_view(view, gca_args, where):
    """One view pipeline with its crop (and horizontal flip) made GCA."""
    types = [_type(t) for t in view]
    if GCA in types:
        return list(view), True
    crops = [i for i, t in enumerate(types) if t in CROPS]
    if not crops:
        return list(view), False
    if len(crops) > 1:
        raise ValueError(f'{where} has {len(crops)} random resized crops; '
                         'expected one per view')
    flips = [i for i, t in enumerate(view) if _type(t) == 'RandomFlip'
             and t.get('direction', 'horizontal') == 'horizontal']
    flip_prob = view[flips[0]].get('prob', 0.5) if flips else 0.0
    out = []
    for i, t in enumerate(view):
        if i == crops[0]:
            out.append(_crop_to_gca(t, flip_prob, gca_args))
        elif i not in flips:
            out.append(copy.deepcopy(t))
    return out, True


def _views_of(multiview):
    views = multiview['transforms']
    # MultiView accepts one pipeline or a list of pipelines
    if views and isinstance(views[0], dict):
        return [views], True
    return views, False


def apply_gca(cfg, gaze_map_root=None, gaze_map_suffix='.png',
              load_gaze_map=None, **gca_args):
    """Return a copy of ``cfg`` whose training views are made by GCA.

    Args:
        cfg (Config | dict): an mmpretrain (or mmselfsup) self-supervised
            config whose ``train_dataloader.dataset.pipeline`` contains a
            ``MultiView`` whose views start with a random resized crop.
        gaze_map_root (str, optional): root of the attention maps, set on a
            ``KneeXrayDataset`` (maps found by the image's relative path);
            for other dataset classes it is given to ``LoadGazeMap``
            together with the dataset's ``data_root``.
        gaze_map_suffix (str): map file extension. Defaults to '.png'.
        load_gaze_map (dict, optional): extra ``LoadGazeMap`` arguments,
            e.g. ``dict(on_missing='uniform')``.
        **gca_args: ``GazeConditionedAugment`` arguments that override the
            values taken from the stock crop (e.g. ``min_attention=0.8``,
            ``crop_scale=(0.25, 1.0)``, ``erase_prob=0``).

    Returns:
        Config: the GCA version; ``cfg`` is not modified.
    """
    filename = cfg.filename if isinstance(cfg, Config) else None
    cfg = Config(copy.deepcopy(cfg.to_dict() if isinstance(cfg, Config)
                               else dict(cfg)), filename=filename)
    loader = cfg.get('train_dataloader')
    if not loader or 'dataset' not in loader:
        raise ValueError('apply_gca needs a config with '
                         'train_dataloader.dataset')
    dataset, field = _inner_dataset(loader['dataset'],
                                    'train_dataloader.dataset')
    pipeline = list(dataset['pipeline'])
    field += '.pipeline'
    types = [_type(t) for t in pipeline]
    if 'MultiView' not in types:
        raise ValueError(f'{field} has no MultiView (found {types}); '
                         'apply_gca converts multi-view contrastive configs')

    converted = 0
    for i, t in enumerate(pipeline):
        if _type(t) != 'MultiView':
            continue
        views, single = _views_of(t)
        new_views = []
        for k, view in enumerate(views):
            view, done = _convert_view(
                view, gca_args, f'{field}[{i}].transforms[{k}]')
            new_views.append(view)
            converted += done
        pipeline[i] = dict(t, transforms=new_views[0] if single
                           else new_views)
    if not converted:
        raise ValueError(f'no view of the MultiView in {field} starts with '
                         f'a random resized crop ({", ".join(CROPS)}); '
                         'nothing to make attention-aware')

    map_args = dict(load_gaze_map or {})
    is_knee = _type(dataset) == 'KneeXrayDataset'
    if gaze_map_root is not None:
        if is_knee:
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

    collate = loader.get('collate_fn')
    if isinstance(collate, dict):
        # `mmpretrain::` inheritance tags dicts with `_scope_`, which the
        # collate function would receive as an argument.
        collate.pop('_scope_', None)
    check_gca_pipelines(cfg)
    return cfg


def _walk(transforms, field):
    """Yield (field, transform) for a pipeline and the views nested in it."""
    for i, t in enumerate(transforms):
        yield f'{field}[{i}]', t
        inner = t.get('transforms') if isinstance(t, dict) else None
        if inner:
            groups = [inner] if isinstance(inner[0], dict) else inner
            for k, group in enumerate(groups):
                yield from _walk(group, f'{field}[{i}].transforms[{k}]')


def check_gca_pipelines(cfg):
    """Raise if a dataloader pipeline of ``cfg`` uses GazeConditionedAugment
    without a LoadGazeMap before it (the error names the config field)."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name) or {}
        dataset = loader.get('dataset')
        if not dataset:
            continue
        try:
            dataset, field = _inner_dataset(dataset, f'{name}.dataset')
        except ValueError:
            continue
        loaded = False
        for where, t in _walk(dataset['pipeline'], field + '.pipeline'):
            loaded = loaded or _type(t) == LOAD_MAP
            if _type(t) == GCA and not loaded:
                raise ValueError(
                    f'{where} is GazeConditionedAugment but no LoadGazeMap '
                    f'comes before it in {field}.pipeline: add '
                    "dict(type='LoadGazeMap') after the image loading step "
                    '(and set gaze_map_root on the dataset)')


__all__ = ['apply_gca', 'check_gca_pipelines']
