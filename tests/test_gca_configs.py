"""The GCA pre-training configs build the GCA views and train."""
import os.path as osp

import pytest
import torch
from mmengine.registry import RUNNERS

from gca_mm.compat import mmselfsup_available
from runner_utils import tiny_cfg

GCA_CONFIGS = ['configs/simclr_gca_knee.py', 'configs/mocov3_gca_knee.py',
               'configs/byol_gca_knee.py']


def _types(pipeline):
    return [t['type'] for t in pipeline]


def _gca_runner(config, root, work_dir):
    cfg = tiny_cfg(config, root, work_dir)
    cfg.gca.gaze_map_root = osp.join(root, 'maps')
    return RUNNERS.build(cfg)


@pytest.mark.parametrize('config', GCA_CONFIGS)
def test_gca_config_trains_on_tiny_data(config, tiny_knee_root, tmp_path):
    runner = _gca_runner(config, tiny_knee_root, tmp_path)
    pipeline = runner.cfg.train_dataloader.dataset.pipeline
    assert _types(pipeline)[:2] == ['LoadXrayFromFile', 'LoadGazeMap']
    views = pipeline[2]['transforms']
    for view in views:
        kinds = _types(view)
        assert kinds[0] == 'GazeConditionedAugment'
        assert 'RandomResizedCrop' not in kinds and 'RandomFlip' not in kinds
        # the stock photometric steps stay
        assert 'GaussianBlur' in kinds and 'RandomGrayscale' in kinds
    runner.train()
    assert runner.iter == 2
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert all(torch.isfinite(torch.tensor(losses)))


def test_gca_config_differs_from_stock_only_in_views(tiny_knee_root,
                                                     tmp_path):
    stock = tiny_cfg('configs/mocov3_knee.py', tiny_knee_root, tmp_path)
    gca = _gca_runner('configs/mocov3_gca_knee.py', tiny_knee_root,
                      tmp_path).cfg
    for key in ('model', 'optim_wrapper', 'param_scheduler', 'train_cfg'):
        assert gca[key] == stock[key], key
    stock_views = stock.train_dataloader.dataset.pipeline[1]['transforms']
    gca_views = gca.train_dataloader.dataset.pipeline[2]['transforms']
    for s_view, g_view in zip(stock_views, gca_views):
        crop = s_view[0]
        assert g_view[0]['scale'] == crop['scale']
        assert g_view[0]['crop_ratio_range'] == tuple(crop['crop_ratio_range'])
        assert g_view[0]['backend'] == crop['backend']
        assert g_view[0]['min_attention'] == 0.9
        photometric = [t for t in s_view
                       if t['type'] not in ('RandomResizedCrop', 'RandomFlip')]
        assert g_view[1:] == photometric


@pytest.mark.skipif(not mmselfsup_available(), reason='optional extra')
def test_mmselfsup_gca_config_trains(tiny_knee_root, tmp_path):
    runner = _gca_runner('configs/mmselfsup/mocov3_gca_knee.py',
                         tiny_knee_root, tmp_path)
    assert type(runner.model).__module__.startswith('mmselfsup.')
    runner.train()
    assert runner.iter == 2
