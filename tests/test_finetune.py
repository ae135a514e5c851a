"""The fine-tune protocol: its config, and the choice of its settings on
val."""
import os.path as osp

import pytest
from mmengine.config import Config

from gca_mm.experiments.finetune import (FinetuneSettings, choose_on_val,
                                         run_name, write_finetune_config)
from runner_utils import REPO

CONFIGS = osp.join(REPO, 'configs')


def test_finetune_config_trains_the_whole_backbone_on_a_fraction(
        tiny_knee_root, tmp_path):
    settings = FinetuneSettings(lr=3e-4, epochs=12, img_size=48)
    # the fraction's subset file is written beside the data when missing
    path = write_finetune_config('work/x/epoch_90.pth', tiny_knee_root, 20,
                                 settings, str(tmp_path), seed=2,
                                 configs=CONFIGS, cache_dir='work/cache')
    assert osp.isfile(osp.join(tiny_knee_root, 'label_fractions',
                               'train_20pct.csv'))
    assert osp.basename(path) == f'{run_name(20, settings)}_config.py'
    cfg = Config.fromfile(path)
    assert cfg.model.backbone.init_cfg.checkpoint == 'work/x/epoch_90.pth'
    assert cfg.model.backbone.frozen_stages == -1  # the whole backbone
    train = cfg.train_dataloader.dataset
    assert train.split is None
    assert train.ann_file == osp.join('label_fractions', 'train_20pct.csv')
    assert cfg.val_dataloader.dataset.split == 'val'
    assert cfg.test_dataloader.dataset.split == 'test'
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[name].dataset
        assert dataset.data_root == tiny_knee_root
        assert dataset.decoded_cache.cache_dir == 'work/cache'
        sizes = [t.scale for t in dataset.pipeline if t.type == 'Resize']
        assert sizes == [(48, 48)], name
    assert cfg.optim_wrapper.optimizer.lr == 3e-4
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult == \
        0.1
    assert cfg.train_cfg.max_epochs == 12
    cosine, = [s for s in cfg.param_scheduler
               if s.type == 'CosineAnnealingLR']
    assert cosine.T_max == cosine.end == 12
    assert cfg.randomness.seed == 2
    assert cfg.default_hooks.checkpoint.save_best == 'single-label/f1-score'

    # the whole split, from scratch (the untrained reference)
    full = Config.fromfile(write_finetune_config(
        None, 'data/bench', 100, settings, str(tmp_path), configs=CONFIGS))
    assert 'init_cfg' not in full.model.backbone
    assert full.train_dataloader.dataset.split == 'train'


def _candidate(lr, f1s, maes, test_f1=0.0):
    return dict(settings=FinetuneSettings(lr=lr),
                results={str(i): dict(val_macro_f1=f, val_grade_mae=m,
                                      macro_f1=test_f1)
                         for i, (f, m) in enumerate(zip(f1s, maes))})


def test_finetune_settings_are_chosen_on_val_only():
    cands = [_candidate(3e-3, [40, 30], [0.8, 0.9], test_f1=99),
             _candidate(1e-3, [45, 31], [0.8, 0.9]),
             _candidate(3e-4, [44, 32], [0.7, 0.9])]
    # mean val F1 38.0 tie between the last two: the lower val MAE wins
    assert choose_on_val(cands)['settings'].lr == 3e-4
    cands[2] = _candidate(3e-4, [44, 32], [0.8, 0.9])
    assert choose_on_val(cands)['settings'].lr == 1e-3  # then the earlier
    with pytest.raises(ValueError, match='at least one'):
        choose_on_val([])
