"""The fine-tune (FT) of a benchmark cell's backbone: the paper's second
protocol beside the linear probe.

``configs/finetune_knee.py`` through ``tools/train.py`` (the whole backbone
trains with a linear head from the pre-training checkpoint), on the train
split or one of its fixed label fractions
(:mod:`gca_mm.experiments.label_subsets`); the checkpoint with the best val
macro-F1 is scored on the test split by ``tools/test.py``.
:class:`FinetuneSettings` holds what is chosen on val
(``tools/analysis/search_finetune.py``); every cell of a benchmark
fine-tunes with the same settings and seed.
"""
import glob
import json
import os.path as osp
import re
from dataclasses import dataclass

from mmengine.config import Config

from ..utils import atomic_write_text
from .benchmark import FAMILIES, point_loaders
from .config_dir import config_dir, tools_dir
from .label_subsets import subset_path, write_label_subsets
from .stages import run_script

#: metric keys of the fine-tune's evaluator -> the benchmark's names
METRIC_KEYS = {'accuracy/top1': 'accuracy',
               'single-label/f1-score': 'macro_f1', 'grade/mae': 'grade_mae'}
#: progress lines of the fine-tune shown on the console
ECHO = r'Epoch\(val\)'


@dataclass(frozen=True)
class FinetuneSettings:
    """What a fine-tune may spend: head learning rate (the backbone trains
    at a tenth of it), epochs, image side, and the label fractions (%) it
    runs at. Defaults: ``configs/finetune_knee.py``'s rate and epochs at
    the pre-training views' 64 px."""
    lr: float = 1e-3
    epochs: int = 30
    img_size: int = 64
    fractions: tuple = (100, 10)


def write_finetune_config(checkpoint, data_root, pct, settings, work_dir,
                          seed=0, configs=None, cache_dir=None,
                          family='cpu'):
    """Write the config of one fine-tune into ``work_dir``: the backbone of
    ``checkpoint`` (None: the untrained backbone), trained on ``pct`` % of
    the train split's labels of ``data_root``, with the fine-tune config of
    the config ``family`` (``configs/finetune_knee.py`` for the CPU
    recipe)."""
    cfg = Config.fromfile(osp.join(config_dir(configs),
                                   FAMILIES[family]['finetune']))
    point_loaders(cfg, data_root, settings.img_size, cache_dir)
    if pct < 100:
        if not osp.isfile(subset_path(data_root, pct)):
            write_label_subsets(data_root)
        train = cfg.train_dataloader.dataset
        train.split = None
        train.ann_file = osp.relpath(subset_path(data_root, pct), data_root)
    if checkpoint is None:
        cfg.model.backbone.pop('init_cfg', None)
    else:
        cfg.model.backbone.init_cfg.checkpoint = checkpoint
    cfg.optim_wrapper.optimizer.lr = settings.lr
    cfg.train_cfg.max_epochs = settings.epochs
    for s in cfg.param_scheduler:
        if s.type == 'CosineAnnealingLR':
            s.T_max = s.end = settings.epochs
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    cfg.randomness = dict(seed=seed)
    path = osp.join(work_dir, f'{run_name(pct, settings)}_config.py')
    atomic_write_text(path, cfg.pretty_text)
    return path


def run_settings(settings):
    """What makes one fine-tune (its fraction aside): ``{lr, epochs,
    img_size}``, as its record keeps them."""
    return dict(lr=settings.lr, epochs=settings.epochs,
                img_size=settings.img_size)


def run_name(pct, settings):
    """The files of one fine-tune: its fraction and settings."""
    return (f'finetune_{pct:g}pct_lr{settings.lr:g}_e{settings.epochs}'
            f'_{settings.img_size}px')


def _best_val(run_dir):
    """Val scores of the epoch with the best val macro-F1 (the checkpoint
    kept), from mmengine's logged scalars."""
    best = None
    for path in glob.glob(osp.join(run_dir, '*', 'vis_data',
                                   'scalars.json')):
        with open(path) as f:
            for rec in map(json.loads, f):
                if 'single-label/f1-score' in rec and 'accuracy/top1' in rec:
                    if best is None or rec['single-label/f1-score'] > \
                            best['single-label/f1-score']:
                        best = rec
    if best is None:
        return {}
    out = {f'val_{v}': best[k] for k, v in METRIC_KEYS.items() if k in best}
    out['best_epoch'] = best.get('step')
    return out


def finetune(checkpoint, data_root, pct, settings, work_dir, seed=0,
             configs=None, tools=None, cache_dir=None, amp=False,
             family='cpu'):
    """Fine-tune at ``pct`` % of the labels and score the best-val
    checkpoint on the test split; resumable (a finished fine-tune's
    ``<run_name>.json`` is read back). Returns ``{accuracy,
    macro_f1, grade_mae, val_*, best_epoch}``."""
    name = run_name(pct, settings)
    out_path = osp.join(work_dir, f'{name}.json')
    if osp.isfile(out_path):
        with open(out_path) as f:
            return json.load(f)
    cfg = write_finetune_config(checkpoint, data_root, pct, settings,
                                work_dir, seed, configs, cache_dir, family)
    run_dir = osp.join(work_dir, name)
    log = osp.join(work_dir, f'{name}.log')
    tools = tools_dir(tools)
    run_script(osp.join(tools, 'train.py'), cfg, '--work-dir', run_dir,
               '--resume', *(['--amp'] if amp else []), log_file=log,
               echo=ECHO)
    best = sorted(glob.glob(osp.join(run_dir, 'best_*.pth')),
                  key=lambda p: int(re.findall(r'(\d+)\.pth$', p)[0]))
    if not best:
        raise RuntimeError(f'the fine-tune in {run_dir} kept no best '
                           f'checkpoint (see its log: {log})')
    metrics_path = osp.join(run_dir, 'test_metrics.json')
    run_script(osp.join(tools, 'test.py'), cfg, best[-1], '--work-dir',
               run_dir, '--metrics-out', metrics_path, log_file=log)
    with open(metrics_path) as f:
        metrics = json.load(f)
    result = {v: metrics[k] for k, v in METRIC_KEYS.items()}
    result.update(_best_val(run_dir))
    result['settings'] = run_settings(settings)
    atomic_write_text(out_path, json.dumps(result, indent=2))
    return result


def choose_on_val(candidates):
    """The candidate whose fine-tunes have the best mean **val**
    macro-F1 over their label fractions (ties: the lower mean val MAE,
    then the earlier candidate). Each candidate is ``{'settings':
    FinetuneSettings, 'results': {pct: finetune result}}``; test figures
    are never read."""
    def key(i):
        results = list(candidates[i]['results'].values())
        f1 = sum(r['val_macro_f1'] for r in results) / len(results)
        mae = sum(r['val_grade_mae'] for r in results) / len(results)
        return (-f1, mae, i)
    if not candidates:
        raise ValueError('choose_on_val needs at least one candidate')
    return candidates[min(range(len(candidates)), key=key)]


def search_finetune(checkpoint, data_root, work_dir, lrs=(3e-3, 1e-3, 3e-4),
                    epochs=(15, 30), sizes=(64, ), fractions=(100, 10),
                    seed=0, configs=None, tools=None, cache_dir=None,
                    amp=False):
    """Fine-tune ``checkpoint`` with every (lr, epochs, size) of the grid
    at each label fraction and choose on val (:func:`choose_on_val`).
    Resumable: finished fine-tunes are read back. Returns ``(chosen,
    candidates)``."""
    candidates = []
    for lr in lrs:
        for n in epochs:
            for size in sizes:
                settings = FinetuneSettings(lr, n, size, tuple(fractions))
                results = {f'{pct:g}': finetune(
                    checkpoint, data_root, pct, settings, work_dir, seed,
                    configs, tools, cache_dir, amp) for pct in fractions}
                candidates.append(dict(settings=settings, results=results))
    return choose_on_val(candidates), candidates


__all__ = ['FinetuneSettings', 'run_settings', 'run_name',
           'write_finetune_config', 'finetune', 'choose_on_val',
           'search_finetune']
