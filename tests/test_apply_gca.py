"""apply_gca turns every multi-view stock config of mmpretrain into a GCA
one whose pipeline runs."""
import copy
import glob
import os.path as osp

import cv2
import mmpretrain
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmpretrain.registry import TRANSFORMS

from gca_mm import apply_gca
from gca_mm.utils import check_gca_pipelines, walk_pipeline

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
STOCK_ROOT = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'configs')
#: stock configs of mmpretrain 1.2.0 that mmengine 0.10.7 cannot load (none
#: is self-supervised): replknet mixes lazy and plain config files, the
#: swinv2 in21k configs refer to a test_pipeline their bases do not define
UNLOADABLE = {
    'replknet/replknet-31B_32xb64_in1k-384px.py':
    'RuntimeError', 'replknet/replknet-31B_32xb64_in1k.py': 'RuntimeError',
    'swin_transformer_v2/swinv2-base-w12_8xb128_in21k-192px.py': 'KeyError',
    'swin_transformer_v2/swinv2-large-w12_8xb128_in21k-192px.py': 'KeyError'
}


def _stock_configs():
    """The multi-view stock configs, and those that fail to load (path ->
    exception name)."""
    found, failed = [], {}
    for path in sorted(glob.glob(osp.join(STOCK_ROOT, '*', '*.py'))):
        rel = osp.relpath(path, STOCK_ROOT)
        try:
            cfg = Config.fromfile(path)
        except Exception as e:
            failed[rel] = type(e).__name__
            continue
        dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
        while 'pipeline' not in dataset and 'dataset' in dataset:
            dataset = dataset['dataset']
        if any(t.get('type') == 'MultiView'
               for t in dataset.get('pipeline', [])):
            found.append(rel)
    return found, failed


MULTIVIEW, UNLOADED = _stock_configs()


def test_stock_multiview_configs_found():
    algorithms = {p.split('/')[0] for p in MULTIVIEW}
    assert algorithms >= {'simclr', 'mocov2', 'mocov3', 'byol', 'simsiam',
                          'barlowtwins', 'densecl', 'swav'}


def test_only_the_known_stock_configs_fail_to_load():
    # any other failure could hide a multi-view config from the tests below
    assert UNLOADED == UNLOADABLE


@pytest.fixture(scope='module')
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp('gca_stock')
    img = np.random.default_rng(0).integers(0, 255, (96, 128, 3), np.uint8)
    gaze = np.zeros((96, 128), np.float32)
    gaze[40:60, 90:110] = 1
    (root / 'imgs' / 'n01').mkdir(parents=True)
    (root / 'maps' / 'n01').mkdir(parents=True)
    cv2.imwrite(str(root / 'imgs' / 'n01' / 'a.JPEG'), img)
    np.save(root / 'maps' / 'n01' / 'a.npy', gaze)
    return root


@pytest.mark.parametrize('config', MULTIVIEW)
def test_apply_gca_on_stock_config(config, sample):
    stock = Config.fromfile(osp.join(STOCK_ROOT, config))
    cfg = apply_gca(stock, gaze_map_root=str(sample / 'maps'),
                    gaze_map_suffix='.npy', min_attention=0.8)
    dataset = cfg.train_dataloader.dataset
    dataset.pipeline[0]['type'] = 'LoadImageFromFile'
    load_map = next(t for t in dataset.pipeline if t['type'] == 'LoadGazeMap')
    load_map['data_root'] = str(sample / 'imgs')
    pipeline = Compose([TRANSFORMS.build(t) for t in dataset.pipeline])

    stock_views = next(t for t in stock.train_dataloader.dataset.pipeline
                       if t['type'] == 'MultiView')
    gca_views = next(t for t in dataset.pipeline if t['type'] == 'MultiView')
    assert gca_views['num_views'] == stock_views['num_views']

    out = pipeline(dict(img_path=str(sample / 'imgs' / 'n01' / 'a.JPEG'),
                        sample_idx=0))
    views = out['inputs']
    num_views = stock_views['num_views']
    assert len(views) == (sum(num_views) if isinstance(num_views, list)
                          else num_views)
    # each view has its stock crop's output size
    groups = stock_views['transforms']
    groups = [groups] if isinstance(groups[0], dict) else groups
    counts = num_views if isinstance(num_views, list) else [num_views]
    sizes = []
    for group, n in zip(groups, counts):
        crop = next(t for t in group if 'ResizedCrop' in t['type'])
        side = crop.get('scale', crop.get('size'))
        sizes += [side] * n
    for view, side in zip(views, sizes):
        assert isinstance(view, torch.Tensor)
        assert tuple(view.shape[-2:]) == (side, side)


def test_apply_gca_leaves_input_untouched_and_checks():
    stock = Config.fromfile(
        osp.join(STOCK_ROOT, 'simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py'))
    before = stock.pretty_text
    apply_gca(stock, gaze_map_root='maps')
    assert stock.pretty_text == before
    cfg = stock.copy()
    cfg.train_dataloader.dataset.pipeline = [
        dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    with pytest.raises(ValueError, match='has no MultiView'):
        apply_gca(cfg)


def test_gca_without_load_gaze_map_names_the_field():
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='KneeXrayDataset', pipeline=[
            dict(type='LoadXrayFromFile'),
            dict(type='MultiView', num_views=2, transforms=[[
                dict(type='GazeConditionedAugment')]]),
            dict(type='PackInputs')]))))
    with pytest.raises(ValueError, match=r'train_dataloader\.dataset\.'
                       r'pipeline\[1\]\.transforms\[0\]\[0\] is '
                       'GazeConditionedAugment but no LoadGazeMap'):
        check_gca_pipelines(cfg)


def _crops(cfg):
    dataset = cfg.train_dataloader.dataset
    return [t for _, t in walk_pipeline(dataset.pipeline, 'p')
            if 'ResizedCrop' in t.get('type', '')]


def _views(cfg, results, scope):
    with DefaultScope.overwrite_default_scope(scope):
        pipeline = Compose([TRANSFORMS.build(t) if scope == 'mmpretrain'
                            else t
                            for t in cfg.train_dataloader.dataset.pipeline])
        out = pipeline(copy.deepcopy(results))
    views = out['inputs']
    return [tuple(v.shape) for v in views]


NON_SQUARE = [
    ('mmpretrain', osp.join(STOCK_ROOT, 'simclr',
                            'simclr_resnet50_16xb256-coslr-200e_in1k.py')),
    ('mmpretrain', osp.join(STOCK_ROOT, 'mocov3',
                            'mocov3_resnet50_8xb512-amp-coslr-100e_in1k.py')),
    ('mmpretrain', osp.join(STOCK_ROOT, 'byol',
                            'byol_resnet50_16xb256-coslr-200e_in1k.py')),
    ('mmpretrain', osp.join(REPO, 'configs', 'mocov3_knee.py')),
    # mmselfsup's crop takes torchvision's size=(h, w)
    ('mmselfsup', osp.join(REPO, 'configs', 'mmselfsup', 'mocov3_knee.py')),
]


@pytest.mark.parametrize('scope,path', NON_SQUARE, ids=[
    'simclr', 'mocov3', 'byol', 'knee-mocov3', 'mmselfsup-mocov3-size'])
def test_non_square_views_keep_the_stock_height_and_width(scope, path,
                                                          sample):
    """A (64, 32) crop gives 64 x 32 views, stock and GCA alike."""
    if scope == 'mmselfsup':
        pytest.importorskip('mmselfsup')
    stock = Config.fromfile(path)
    for crop in _crops(stock):
        crop['size' if 'size' in crop else 'scale'] = (64, 32)
    stock.train_dataloader.dataset.pipeline[0] = dict(
        type='LoadXrayFromFile')
    cfg = apply_gca(stock, gaze_map_root=str(sample / 'maps'),
                    gaze_map_suffix='.npy')
    gca = [t for _, t in walk_pipeline(cfg.train_dataloader.dataset.pipeline,
                                       'p')
           if t.get('type') == 'GazeConditionedAugment']
    assert gca and all(t['scale'] == (64, 32) for t in gca)
    backends = {c.get('backend', 'cv2') for c in _crops(stock)}
    assert {t.get('backend', 'cv2') for t in gca} == backends
    # MultiView keeps only the images: the views need not carry their maps
    assert all(t['keep_gaze_map'] is False for t in gca)
    results = dict(img_path=str(sample / 'imgs' / 'n01' / 'a.JPEG'),
                   gaze_map_path=str(sample / 'maps' / 'n01' / 'a.npy'),
                   sample_idx=0)
    np.random.seed(0)
    stock_views = _views(stock, results, scope)
    gca_views = _views(cfg, results, scope)
    assert stock_views == gca_views == [(3, 64, 32)] * len(stock_views)


def test_gca_arguments_on_views_that_already_use_gca_warn():
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='KneeXrayDataset', pipeline=[
            dict(type='LoadXrayFromFile'),
            dict(type='MultiView', num_views=2, transforms=[[
                dict(type='GazeConditionedAugment', scale=32)]]),
            dict(type='PackInputs')]))))
    with pytest.warns(UserWarning, match=r'pipeline\[1\]\.transforms\[0\] '
                      "already uses GazeConditionedAugment; the gca "
                      r"arguments \['min_attention'\] are not applied"):
        out = apply_gca(cfg, gaze_map_root='maps', min_attention=0.5)
    view = out.train_dataloader.dataset.pipeline[2].transforms[0]
    assert view[0] == dict(type='GazeConditionedAugment', scale=32)


def test_old_gca_argument_names_are_translated():
    stock = Config.fromfile(
        osp.join(STOCK_ROOT, 'simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py'))
    with pytest.warns(DeprecationWarning, match="'crop_scale' is deprecated"):
        cfg = apply_gca(stock, crop_scale=(0.3, 1.0))
    gca = next(t for _, t in walk_pipeline(
        cfg.train_dataloader.dataset.pipeline, 'p')
        if t.get('type') == 'GazeConditionedAugment')
    assert gca['crop_ratio_range'] == (0.3, 1.0) and 'crop_scale' not in gca
    with pytest.raises(ValueError, match='both'):
        apply_gca(stock, crop_scale=(0.3, 1.0), crop_ratio_range=(0.3, 1.0))


def test_every_dataset_of_a_concat_dataset_is_converted():
    view = [dict(type='RandomResizedCrop', scale=32),
            dict(type='RandomFlip', prob=0.5)]
    pipeline = [dict(type='LoadImageFromFile'),
                dict(type='MultiView', num_views=2, transforms=[view]),
                dict(type='PackInputs')]
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='ConcatDataset', datasets=[
            dict(type='ImageNet', data_root='a', pipeline=pipeline),
            dict(type='RepeatDataset', times=2, dataset=dict(
                type='ImageNet', data_root='b', pipeline=pipeline))]))))
    out = apply_gca(cfg, gaze_map_root='maps')
    first, second = out.train_dataloader.dataset.datasets
    for dataset, root in ((first, 'a'), (second.dataset, 'b')):
        types = [t['type'] for t in dataset.pipeline]
        assert types == ['LoadImageFromFile', 'LoadGazeMap', 'MultiView',
                         'PackInputs']
        assert dataset.pipeline[1]['data_root'] == root
        assert dataset.pipeline[2]['transforms'][0][0]['type'] == \
            'GazeConditionedAugment'
    second.dataset.pipeline.pop(1)
    with pytest.raises(ValueError, match=r'train_dataloader\.dataset\.'
                       r'datasets\[1\]\.dataset\.pipeline\[1\]'):
        check_gca_pipelines(out)
