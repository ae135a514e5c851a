"""Pre-train -> linear-probe cells, the unit of the demo and the benchmark.

A cell is one (algorithm, arm, seed): the arm is ``stock`` (the knee config
of the algorithm) or ``gca`` (its ``*_gca_knee.py`` twin), trained with the
same budget. Each cell lives in its own work dir and writes ``result.json``
last, so a rerun skips finished cells and resumes unfinished pre-training
from its last checkpoint.
"""
import glob
import json
import math
import os
import os.path as osp
import re
from dataclasses import asdict, dataclass
from typing import Optional

from mmengine.config import Config

from ..utils import atomic_write_text
from .stages import run_script

ALGORITHMS = ('simclr', 'mocov3', 'byol')
ARMS = ('stock', 'gca')
#: rows without pre-training that put the cells in context: a linear probe
#: of the untrained backbone, and the backbone trained end to end on grade
REFERENCES = ('random', 'supervised')
ALGORITHM_NAMES = dict(simclr='SimCLR', mocov3='MoCo v3', byol='BYOL',
                       random='random init (probe)',
                       supervised='supervised (end to end)')
#: child-process log lines shown on the console (progress with ETA, metrics)
PROGRESS_LINES = r'Epoch\((train|val|test)\)'


@dataclass
class Budget:
    """What one pre-training run may spend."""
    num_images: Optional[int] = None  # first N train images; None = all
    epochs: int = 4
    img_size: int = 112
    probe_epochs: int = 10
    batch_size: int = 32


def pretrain_config(algorithm, arm, repo_root):
    if algorithm not in ALGORITHMS or arm not in ARMS:
        raise ValueError(f'unknown cell {algorithm}/{arm}; algorithms '
                         f'{ALGORITHMS}, arms {ARMS}')
    name = f'{algorithm}_knee.py' if arm == 'stock' else \
        f'{algorithm}_gca_knee.py'
    return osp.join(repo_root, 'configs', name)


def _set_size(pipeline, size):
    """Set the output size of every crop / resize step (nested views too)."""
    for t in pipeline:
        kind = t.get('type', '').split('.')[-1]
        if kind in ('RandomResizedCrop', 'GazeConditionedAugment'):
            t['scale'] = size
        elif kind == 'Resize':
            t['scale'] = (size, size)
        inner = t.get('transforms')
        if inner:
            for group in ([inner] if isinstance(inner[0], dict) else inner):
                _set_size(group, size)


def _scale_schedule(cfg, epochs):
    cfg.train_cfg.max_epochs = epochs
    warmup = [s for s in cfg.param_scheduler if s.type == 'LinearLR']
    for s in cfg.param_scheduler:
        if s.type == 'LinearLR':
            s.end = min(s.end, max(epochs - 1, 1))
        elif s.type == 'CosineAnnealingLR':
            s.begin = warmup[0].end if warmup and epochs > 1 else 0
            s.end = epochs
            s.T_max = s.end - s.begin


def _probe_config(budget, data_root, seed, repo_root, name):
    probe = Config.fromfile(osp.join(repo_root, 'configs', name))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        probe[loader].dataset.data_root = data_root
        _set_size(probe[loader].dataset.pipeline, budget.img_size)
    probe.train_cfg.max_epochs = budget.probe_epochs
    probe.param_scheduler[0].update(T_max=budget.probe_epochs,
                                    end=budget.probe_epochs)
    probe.randomness.seed = seed
    return probe


def write_cell_configs(algorithm, arm, seed, budget, data_root, work_dir,
                       repo_root, gaze_map_root=None):
    """Write the cell's configs into ``work_dir``: ``pretrain`` and ``probe``
    for a pre-training cell; only ``probe`` for a reference."""
    if algorithm in REFERENCES:
        name = ('supervised_knee.py' if algorithm == 'supervised' else
                'linear_probe_knee.py')
        probe = _probe_config(budget, data_root, seed, repo_root, name)
        probe.model.backbone.init_cfg = None
        path = osp.join(work_dir, 'probe_config.py')
        atomic_write_text(path, probe.pretty_text)
        return dict(probe=path)
    pre = Config.fromfile(pretrain_config(algorithm, arm, repo_root))
    pre.train_dataloader.dataset.data_root = data_root
    pre.train_dataloader.batch_size = budget.batch_size
    if budget.num_images:
        pre.train_dataloader.dataset.indices = budget.num_images
    _set_size(pre.train_dataloader.dataset.pipeline, budget.img_size)
    _scale_schedule(pre, budget.epochs)
    pre.randomness.seed = seed
    if arm == 'gca' and gaze_map_root:
        pre.gca.gaze_map_root = gaze_map_root

    probe = _probe_config(budget, data_root, seed, repo_root,
                          'linear_probe_knee.py')
    probe.model.backbone.init_cfg.checkpoint = osp.join(
        work_dir, 'pretrain', f'epoch_{budget.epochs}.pth')

    paths = {}
    for key, cfg in (('pretrain', pre), ('probe', probe)):
        path = osp.join(work_dir, f'{key}_config.py')
        atomic_write_text(path, cfg.pretty_text)
        paths[key] = path
    return paths


def logged_train_records(pretrain_dir):
    """mmengine's logged training records (``vis_data/scalars.json``) of
    every run in ``pretrain_dir``, resumed ones included, and the number of
    iterations per epoch (from the text log; ``None`` if nothing logged)."""
    records, iters_per_epoch = [], None
    for run in sorted(glob.glob(osp.join(pretrain_dir, '*', ''))):
        if not osp.isfile(osp.join(run, 'vis_data', 'scalars.json')):
            continue  # a start that died before logging
        with open(osp.join(run, 'vis_data', 'scalars.json')) as f:
            records += [r for r in map(json.loads, f) if 'time' in r]
        with open(osp.join(run, osp.basename(run[:-1]) + '.log')) as f:
            found = re.findall(r'Epoch\(train\)\s*\[\d+\]\[\s*\d+/(\d+)\]',
                               f.read())
        iters_per_epoch = int(found[-1]) if found else iters_per_epoch
    return records, iters_per_epoch


def _epoch_seconds(pretrain_dir):
    """Seconds per training epoch, from the logged iteration times; the
    first epoch (data loader start-up) is left out when there are more."""
    records, iters_per_epoch = logged_train_records(pretrain_dir)
    if not records or iters_per_epoch is None:
        return math.nan
    times = [r['time'] for r in records if r.get('epoch', 1) > 1] or \
        [r['time'] for r in records]
    return sum(times) / len(times) * iters_per_epoch


def epoch_losses(pretrain_dir):
    """Mean logged training loss of each epoch, ``{epoch: loss}``."""
    by_epoch = {}
    for r in logged_train_records(pretrain_dir)[0]:
        if 'loss' in r:
            by_epoch.setdefault(r['epoch'], []).append(r['loss'])
    return {e: sum(v) / len(v) for e, v in sorted(by_epoch.items())}


def cell_dir(work_root, algorithm, arm, seed):
    name = algorithm if algorithm in REFERENCES else f'{algorithm}_{arm}'
    return osp.join(work_root, f'{name}_seed{seed}')


def cell_wall_seconds(work_dir):
    """Wall time of the call that finished a cell: from the writing of its
    configs (the start of that call) to its ``result.json``."""
    configs = glob.glob(osp.join(work_dir, '*_config.py'))
    result = osp.join(work_dir, 'result.json')
    if not configs or not osp.isfile(result):
        return math.nan
    return osp.getmtime(result) - min(map(osp.getmtime, configs))


def run_cell(algorithm, arm, seed, budget, data_root, work_root, tools_dir,
             gaze_map_root=None):
    """Run (or finish) one cell; return its result dict. ``algorithm`` may
    also be one of :data:`REFERENCES` (``arm`` is then ignored)."""
    if algorithm in REFERENCES:
        arm = 'reference'
    work_dir = cell_dir(work_root, algorithm, arm, seed)
    result_path = osp.join(work_dir, 'result.json')
    if osp.isfile(result_path):
        with open(result_path) as f:
            result = json.load(f)
        if result['budget'] != asdict(budget):
            raise ValueError(
                f'{result_path} was run with budget {result["budget"]}, not '
                f'{asdict(budget)}; use another work dir for another budget')
        return result
    repo_root = osp.dirname(tools_dir)
    os.makedirs(work_dir, exist_ok=True)
    cfgs = write_cell_configs(algorithm, arm, seed, budget, data_root,
                              work_dir, repo_root, gaze_map_root)
    pre_dir = osp.join(work_dir, 'pretrain')
    last = osp.join(pre_dir, f'epoch_{budget.epochs}.pth')
    if 'pretrain' in cfgs and not osp.isfile(last):
        run_script(osp.join(tools_dir, 'train.py'), cfgs['pretrain'],
                   '--work-dir', pre_dir, '--resume',
                   log_file=osp.join(work_dir, 'pretrain.log'),
                   echo=PROGRESS_LINES)
    probe_dir = osp.join(work_dir, 'probe')
    metrics_path = osp.join(probe_dir, 'test_metrics.json')
    if not osp.isfile(metrics_path):
        for stale in glob.glob(osp.join(probe_dir, '*.pth')):
            os.remove(stale)  # an interrupted probe restarts from scratch
        log = osp.join(work_dir, 'probe.log')
        run_script(osp.join(tools_dir, 'train.py'), cfgs['probe'],
                   '--work-dir', probe_dir, log_file=log,
                   echo=r'Epoch\((val|test)\)')
        best = sorted(glob.glob(
            osp.join(probe_dir, 'best_accuracy_top1_epoch_*.pth')))
        run_script(osp.join(tools_dir, 'test.py'), cfgs['probe'], best[-1],
                   '--work-dir', probe_dir, '--metrics-out', metrics_path,
                   log_file=log, echo=r'Epoch\(test\)')
    with open(metrics_path) as f:
        metrics = json.load(f)
    result = dict(
        algorithm=algorithm, arm=arm, seed=seed, budget=asdict(budget),
        accuracy=metrics['accuracy/top1'],
        macro_f1=metrics['single-label/f1-score'],
        grade_mae=metrics['grade/mae'],
        seconds_per_epoch=_epoch_seconds(pre_dir)
        if 'pretrain' in cfgs else None)
    atomic_write_text(result_path, json.dumps(result, indent=2))
    return result
