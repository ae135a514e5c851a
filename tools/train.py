"""Train a model from a config (mmpretrain's train script, plus gca_mm).

    python tools/train.py configs/mocov3_gca_knee.py [--work-dir DIR]
        [--resume [CKPT]] [--amp] [--cfg-options key=value ...]
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import gca_mm  # noqa: F401  (registers modules, safe checkpoint loading)
from gca_mm.engine import setup_cpu_distributed
from gca_mm.utils import (adapt_cfg_to_device, check_data_paths,
                          check_gca_pipelines)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or without a value from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed precision: fp16 with a GradScaler on a GPU, bf16 '
        'autocast on a CPU with AMX-BF16 / AVX512-BF16')
    parser.add_argument(
        '--no-validate', action='store_true',
        help='do not evaluate during training')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by actual / base batch size')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. train_cfg.max_epochs=2')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg, args):
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    adapt_cfg_to_device(cfg, amp=args.amp)
    return cfg


def main():
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    check_data_paths(cfg, loaders=('train_dataloader', 'val_dataloader'))
    check_gca_pipelines(cfg)
    setup_cpu_distributed(cfg, args.launcher)
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    runner.train()


if __name__ == '__main__':
    main()
