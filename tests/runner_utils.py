"""Shrink a repo config to a few CPU iterations on tiny data."""
import os.path as osp

from mmengine.config import Config

from gca_mm.utils import adapt_cfg_to_device

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def tiny_cfg(config, data_root, work_dir, max_epochs=1, batch_size=4,
             **overrides):
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.work_dir = str(work_dir)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if loader is None:
            continue
        loader.batch_size = batch_size
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.data_root = str(data_root)
        if loader.dataset.get('decoded_cache'):  # not into the repo
            loader.dataset.decoded_cache.cache_dir = osp.join(
                str(work_dir), 'decoded_cache')
    cfg.train_cfg.max_epochs = max_epochs
    for scheduler in cfg.get('param_scheduler') or []:
        scheduler.pop('T_max', None)
        scheduler.update(begin=0, end=max_epochs)
        if scheduler.type == 'CosineAnnealingLR':
            scheduler.T_max = max_epochs
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=max_epochs + 1)
    cfg.log_level = 'WARNING'
    cfg.merge_from_dict(overrides)
    return adapt_cfg_to_device(cfg)
