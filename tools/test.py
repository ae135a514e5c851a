"""Evaluate a checkpoint with a config's test dataloader and evaluator.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--metrics-out FILE.json] [--cfg-options key=value ...]
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.evaluator import DumpResults
from mmengine.fileio import dump
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import gca_mm  # noqa: F401  (registers modules, safe checkpoint loading)
from gca_mm.compat import ATOMIC_BACKEND
from gca_mm.engine import setup_cpu_distributed
from gca_mm.utils import (adapt_cfg_to_device, atomic_write_text,
                          check_data_paths, check_gca_pipelines)


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and results')
    parser.add_argument('--out', help='dump the raw predictions to a pickle')
    parser.add_argument(
        '--metrics-out', help='write the evaluation metrics to this JSON file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=8')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


class AtomicDumpResults(DumpResults):
    """mmengine's ``DumpResults`` writing through the atomic backend."""

    def compute_metrics(self, results):
        dump(results, self.out_file_path,
             backend_args=dict(backend=ATOMIC_BACKEND))
        return {}


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    adapt_cfg_to_device(cfg)
    check_data_paths(cfg, loaders=('test_dataloader', ))
    check_gca_pipelines(cfg)
    setup_cpu_distributed(cfg, args.launcher)
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    if args.out:
        runner.test_evaluator.metrics.append(
            AtomicDumpResults(out_file_path=args.out))
    metrics = runner.test()
    if args.metrics_out:
        atomic_write_text(args.metrics_out, json.dumps(metrics, indent=2))


if __name__ == '__main__':
    main()
