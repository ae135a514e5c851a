"""The benchmark's GPU preset: the ResNet-50 config family, its probe and
fine-tune configs, and budgets recorded before the family existed."""
import os.path as osp
from dataclasses import asdict

import pytest
import torch
from mmengine.config import Config

from gca_mm.experiments.benchmark import (ALGORITHMS, Budget, budget_record,
                                          pretrain_config, probe_config,
                                          write_pretrain_config)
from gca_mm.experiments.feature_probe import build_probe_model
from gca_mm.experiments.finetune import (FinetuneSettings,
                                         write_finetune_config)
from gca_mm.experiments.presets import PRESETS, preset_cells
from runner_utils import REPO

CONFIGS = osp.join(REPO, 'configs')
GPU = Budget(epochs=200, img_size=224, batch_size=256, amp=True,
             probe_size=224, family='gpu')


def test_gpu_family_has_stock_and_gca_of_every_algorithm():
    for algo in ALGORITHMS:
        stock = pretrain_config(algo, 'stock', CONFIGS, 'gpu')
        gca = pretrain_config(algo, 'gca', CONFIGS, 'gpu')
        assert stock == osp.join(CONFIGS, 'gpu', f'{algo}_resnet50_knee.py')
        cfg = Config.fromfile(gca)
        assert cfg.runner_type == 'GCARunner'
        assert cfg.model.backbone.depth == 50
    with pytest.raises(ValueError, match=r"no config for byol \(gpu"):
        pretrain_config('byol', 'gca-oracle', CONFIGS, 'gpu')
    with pytest.raises(ValueError, match='unknown config family'):
        pretrain_config('byol', 'stock', CONFIGS, 'tpu')
    # every cell of the GPU preset has its config
    for algo, arm, _ in preset_cells('gpu'):
        assert osp.isfile(pretrain_config(algo, arm, CONFIGS, 'gpu'))


def test_gpu_cell_config_is_the_paper_scale(tmp_path):
    path = write_pretrain_config('byol', 'gca', 0, GPU, 'data/x',
                                 str(tmp_path), CONFIGS,
                                 gaze_map_root='data/x/maps')
    cfg = Config.fromfile(path)
    assert cfg.model.backbone.depth == 50
    assert cfg.train_dataloader.batch_size == 256
    assert cfg.train_cfg.max_epochs == 200
    assert cfg.train_dataloader.dataset.data_root == 'data/x'
    assert cfg.gca.gaze_map_root == 'data/x/maps'
    crops = [t for t in cfg.train_dataloader.dataset.pipeline[1].transforms[0]
             if t['type'] == 'RandomResizedCrop']
    assert crops and all(t['scale'] == 224 for t in crops)
    preset = PRESETS['gpu']
    assert preset['budget'] == dict(family='gpu', epochs=200, img_size=224,
                                    batch_size=256, probe_size=224, amp=True)
    assert preset['data']['num_images'] == 8260  # 5,778 / 826 / 1,656


def test_resnet50_probe_and_finetune_configs(tmp_path):
    probe = probe_config(GPU, 'data/x', CONFIGS)
    assert probe.model.backbone.depth == 50
    assert probe.model.head.in_channels == 2048
    sizes = [t.scale for t in probe.test_dataloader.dataset.pipeline
             if t.type == 'Resize']
    assert sizes == [(224, 224)]
    model = build_probe_model(probe, None, seed=0)
    with torch.no_grad():
        feats = model.extract_feat(torch.rand(1, 3, 32, 32))[-1]
    assert feats.flatten(1).shape == (1, 2048)
    ft = Config.fromfile(write_finetune_config(
        'ckpt.pth', 'data/x', 100, FinetuneSettings(img_size=224),
        str(tmp_path), configs=CONFIGS, family='gpu'))
    assert ft.model.backbone.depth == 50 and \
        ft.model.backbone.frozen_stages == -1
    assert ft.model.neck.type == 'GlobalAveragePooling'
    assert ft.model.backbone.init_cfg.checkpoint == 'ckpt.pth'
    assert [t.type for t in ft.train_dataloader.dataset.pipeline] == [
        'LoadXrayFromFile', 'Resize', 'RandomFlip', 'PackInputs']


def test_records_made_before_the_family_are_cpu_budgets():
    cpu = Budget(amp=False)
    old = {k: v for k, v in asdict(cpu).items() if k != 'family'}
    assert budget_record(old) == asdict(cpu)
    assert budget_record(old) != asdict(GPU)
    assert budget_record(cpu) == asdict(cpu)
