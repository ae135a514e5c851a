"""apply_gca turns every multi-view stock config of mmpretrain into a GCA
one whose pipeline runs."""
import glob
import os.path as osp

import cv2
import mmpretrain
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmpretrain.registry import TRANSFORMS

from gca_mm import apply_gca
from gca_mm.apis import check_gca_pipelines

STOCK_ROOT = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'configs')


def _multiview_configs():
    found = []
    for path in sorted(glob.glob(osp.join(STOCK_ROOT, '*', '*.py'))):
        try:
            cfg = Config.fromfile(path)
        except Exception:  # a few stock configs need optional packages
            continue
        dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
        while 'pipeline' not in dataset and 'dataset' in dataset:
            dataset = dataset['dataset']
        if any(t.get('type') == 'MultiView'
               for t in dataset.get('pipeline', [])):
            found.append(osp.relpath(path, STOCK_ROOT))
    return found


MULTIVIEW = _multiview_configs()


def test_stock_multiview_configs_found():
    algorithms = {p.split('/')[0] for p in MULTIVIEW}
    assert algorithms >= {'simclr', 'mocov2', 'mocov3', 'byol', 'simsiam',
                          'barlowtwins', 'densecl', 'swav'}


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
