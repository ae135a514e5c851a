"""Pre-train -> probe cells, the unit of the demo and the benchmark.

A cell is one (algorithm, arm, seed), trained with the same budget, seed,
initialisation and image order as every other arm of that seed. The arms
(:data:`ARMS`):

- ``stock``: the algorithm's knee config (``configs/<algo>_knee.py``);
- ``stock-matched``: stock, with the crop's lower area bound raised so that
  its mean crop area equals GCA's on the same data
  (:mod:`gca_mm.experiments.crop_area`);
- ``stock-tuned``: stock with a crop range and a cutout chosen on val (the
  paper's "Searched");
- ``gca``: its ``*_gca_knee.py`` twin, on the predicted attention maps;
- ``gca-centre``, ``gca-mean``, ``gca-oracle``: the same GCA on a
  centre-bias map, the mean training gaze map, and a map of the image's
  own finding boxes (:mod:`gca_mm.experiments.control_maps`);
- ``gca-crop-only``, ``gca-erase-only``, ``gca-dim-only``: the operator
  ablation (one GCA operator on; without the crop, the view is the whole
  image);
- ``gca-no-erase``, ``gca-no-dim``: the leave-one-out ablation (GCA with
  one operator off), what erasing or dimming adds on top of GCA's crop.

Arms other than ``stock`` and ``gca`` are the configs
``configs/benchmark/<algo>_<arm>_knee.py`` (``-`` written ``_``). The
reference ``random`` probes the untrained backbone of the same
architecture. Every backbone is scored by the same probe
(:func:`gca_mm.experiments.feature_probe`: frozen features of un-augmented
images, logistic regression with its L2 strength chosen on val), at every
``curve_every`` epochs for the learning curve and at the last epoch for the
result.

Each cell lives in its own work dir and writes ``result.json`` last, so a
rerun skips finished cells and resumes unfinished pre-training from its
last checkpoint (one every :data:`RESUME_EVERY` epochs, or the curve's);
probe results of checkpoints are kept in ``curve.json`` as they come, so a
rerun does not probe one twice.
"""
import copy
import functools
import glob
import json
import logging
import math
import os
import os.path as osp
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Optional

import numpy as np
from mmengine.config import Config

from ..utils import (atomic_write_text, native_mixed_precision,
                     walk_pipeline)
from ..utils.config_walk import transform_type
from ..utils.view_edits import set_crop_range
from ..gaze import load_findings
from .config_dir import config_dir, tools_dir
from .finding_probe import FINDING_TARGETS, binary_probe, finding_labels
from .label_subsets import FRACTIONS, read_label_subset, write_label_subsets
from .pretraining_reuse import (adopt_pretraining, adopted_from,
                                find_identical_pretraining)
from .stages import run_script

ALGORITHMS = ('simclr', 'mocov3', 'byol')
ARMS = ('stock', 'stock-matched', 'stock-tuned', 'gca', 'gca-centre',
        'gca-mean', 'gca-oracle', 'gca-crop-only', 'gca-erase-only',
        'gca-dim-only', 'gca-no-erase', 'gca-no-dim')
#: GCA arms on control maps, and the kind of map each reads
#: (``<data_root>/control_maps/<kind>``, ``tools/make_control_maps.py``)
CONTROL_MAPS = {'gca-centre': 'centre', 'gca-mean': 'mean',
                'gca-oracle': 'oracle'}
#: rows without pre-training that put the cells in context: the probe of an
#: untrained backbone of the same architecture
REFERENCES = ('random', )
SPLITS = ('train', 'val', 'test')
ALGORITHM_NAMES = dict(simclr='SimCLR', mocov3='MoCo v3', byol='BYOL',
                       random='untrained backbone')
#: child-process log lines shown on the console (progress with ETA)
PROGRESS_LINES = r'Epoch\(train\)'
#: epochs between the checkpoints an interrupted pre-training resumes from
#: (without a learning curve; with one, the curve's checkpoints serve)
RESUME_EVERY = 10


@dataclass
class Budget:
    """What one cell may spend, and how it is probed."""
    num_images: Optional[int] = None  # first N train images; None = all
    epochs: int = 90
    img_size: int = 64  # training views
    batch_size: int = 64
    # mixed precision (tools/train.py --amp) where it is native: fp16 on a
    # GPU, bf16 on a CPU with AMX-BF16 / AVX512-BF16; fp32 elsewhere
    amp: bool = field(default_factory=native_mixed_precision)
    # probe every N epochs too, for a learning curve; 0: the last epoch
    # only (each probe costs about 50 s on the 2-core CPU)
    curve_every: int = 0
    probe_size: int = 160  # the probe's un-augmented images
    # which configs (:data:`FAMILIES`): the CPU recipe, or mmpretrain's
    # ResNet-50 recipes for a GPU
    family: str = 'cpu'


#: config families: where an algorithm's configs, the probe's and the
#: fine-tune's are (relative to gca_mm's configs), and the file suffix
FAMILIES = {
    'cpu': dict(folder='', suffix='knee', probe='linear_probe_knee.py',
                finetune='finetune_knee.py'),
    'gpu': dict(folder='gpu', suffix='resnet50_knee',
                probe=osp.join('gpu', 'linear_probe_resnet50_knee.py'),
                finetune=osp.join('gpu', 'finetune_resnet50_knee.py')),
}


def budget_record(budget):
    """A budget as a record compares it: ``asdict`` of a
    :class:`Budget`, or a record's dict with the fields added since filled
    with their defaults (a record made before ``family`` was CPU)."""
    record = asdict(budget) if isinstance(budget, Budget) else dict(budget)
    record.setdefault('family', 'cpu')
    return record


def pretrain_config(algorithm, arm, configs=None, family='cpu'):
    """Path of the pre-training config of a cell (in ``configs``, see
    :func:`~gca_mm.experiments.config_dir`) of a config ``family``
    (:data:`FAMILIES`): ``<algo>_<suffix>.py`` and ``<algo>_gca_<suffix>.py``
    for ``stock`` and ``gca``, ``benchmark/<algo>_<arm>_<suffix>.py`` for
    the others."""
    if algorithm not in ALGORITHMS or arm not in ARMS:
        raise ValueError(f'unknown cell {algorithm}/{arm}; algorithms '
                         f'{ALGORITHMS}, arms {ARMS}')
    if family not in FAMILIES:
        raise ValueError(f'unknown config family {family!r}; families: '
                         f'{", ".join(FAMILIES)}')
    folder = osp.join(config_dir(configs), FAMILIES[family]['folder'])
    suffix = FAMILIES[family]['suffix']
    if arm in ('stock', 'gca'):
        name = f'{algorithm}_{suffix}.py' if arm == 'stock' else \
            f'{algorithm}_gca_{suffix}.py'
        return osp.join(folder, name)
    path = osp.join(folder, 'benchmark',
                    f"{algorithm}_{arm.replace('-', '_')}_{suffix}.py")
    if not osp.isfile(path):
        raise ValueError(f'arm {arm!r} has no config for {algorithm} '
                         f'({family} configs): {path} does not exist')
    return path


def control_map_root(data_root, arm):
    """Where the maps of a control arm (:data:`CONTROL_MAPS`) lie."""
    return osp.join(data_root, 'control_maps', CONTROL_MAPS[arm])


def set_crop_size(pipeline, size):
    """Set the output size of every crop / resize step (nested views too)."""
    for _, t in walk_pipeline(pipeline, 'pipeline'):
        kind = transform_type(t)
        if kind in ('RandomResizedCrop', 'GazeConditionedAugment'):
            t['scale'] = size
        elif kind == 'Resize':
            t['scale'] = (size, size)


def scale_schedule(cfg, epochs):
    """Fit the warm-up + cosine schedule of ``cfg`` to ``epochs``: the
    warm-up keeps its length (at most a quarter of the run), the cosine
    ends at the last epoch."""
    cfg.train_cfg.max_epochs = epochs
    warmup = [s for s in cfg.param_scheduler if s.type == 'LinearLR']
    end = 0
    for s in warmup:
        s.end = end = min(s.end, max(epochs // 4, 1)) if epochs > 1 else 1
    for s in cfg.param_scheduler:
        if s.type == 'CosineAnnealingLR':
            s.begin = end if epochs > 1 else 0
            s.end = epochs
            s.T_max = s.end - s.begin


def curve_epochs(budget):
    """Epochs whose checkpoint is probed, the last one included."""
    every = budget.curve_every
    epochs = list(range(every, budget.epochs, every)) if every else []
    return epochs + [budget.epochs]


def probe_config(budget, data_root, configs=None, cache_dir=None):
    """The probe config of the budget's family (``linear_probe_knee.py`` of
    ``configs`` for the CPU recipe) on
    ``data_root`` at the budget's ``probe_size``; its test pipeline reads
    un-augmented images (area-resized), decoded once into ``cache_dir`` when
    given."""
    probe = Config.fromfile(osp.join(config_dir(configs),
                                     FAMILIES[budget.family]['probe']))
    point_loaders(probe, data_root, budget.probe_size, cache_dir)
    return probe


def point_loaders(cfg, data_root, size, cache_dir=None):
    """Point the train, val and test loaders of a classification config
    (the probe's, the fine-tune's) at ``data_root``, images resized to
    ``size``, decoded once into ``cache_dir`` when given."""
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        dataset.data_root = data_root
        set_crop_size(dataset.pipeline, size)
        if cache_dir and dataset.get('decoded_cache'):
            dataset.decoded_cache.cache_dir = cache_dir


def write_pretrain_config(algorithm, arm, seed, budget, data_root, work_dir,
                          configs=None, gaze_map_root=None, cache_dir=None,
                          crop_ratio_range=None):
    """Write the cell's pre-training config into ``work_dir``: the arm's
    config at the budget, on ``data_root``; GCA arms read ``gaze_map_root``
    (the predicted maps) or, for a control arm, its control maps below
    ``data_root``; ``crop_ratio_range`` (``stock-matched``: the range
    measured on this data) replaces the stock crop's."""
    pre = Config.fromfile(pretrain_config(algorithm, arm, configs,
                                          budget.family))
    dataset = pre.train_dataloader.dataset
    dataset.data_root = data_root
    if cache_dir and dataset.get('decoded_cache'):
        dataset.decoded_cache.cache_dir = cache_dir
    pre.train_dataloader.batch_size = budget.batch_size
    if budget.num_images:
        dataset.indices = budget.num_images
    set_crop_size(dataset.pipeline, budget.img_size)
    scale_schedule(pre, budget.epochs)
    pre.randomness.seed = seed
    ckpt = pre.default_hooks.checkpoint
    if budget.curve_every:
        ckpt.interval = budget.curve_every
        ckpt.max_keep_ckpts = -1  # the curve's checkpoints, to probe (again)
    else:
        # checkpoints only to resume an interrupted run from: the latest
        # one is kept (the last epoch's is always written)
        ckpt.interval = min(RESUME_EVERY, budget.epochs)
        ckpt.max_keep_ckpts = 1
    if arm in CONTROL_MAPS:
        pre.gca.gaze_map_root = control_map_root(data_root, arm)
    elif arm.startswith('gca') and gaze_map_root:
        pre.gca.gaze_map_root = gaze_map_root
    if crop_ratio_range is not None:
        set_crop_range(dataset.pipeline, crop_ratio_range)
    path = osp.join(work_dir, 'pretrain_config.py')
    atomic_write_text(path, pre.pretty_text)
    return path


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


def epoch_seconds(pretrain_dir):
    """Seconds per training epoch: the median logged iteration time times
    the iterations per epoch. The first epoch (data loader start-up) is
    left out when there are more. The median, not the mean, so that a run
    paused for a while (``kill -STOP``) or sharing the cores with another
    job for part of its epochs is timed by its undisturbed iterations."""
    records, iters_per_epoch = logged_train_records(pretrain_dir)
    if not records or iters_per_epoch is None:
        return math.nan
    times = [r['time'] for r in records if r.get('epoch', 1) > 1] or \
        [r['time'] for r in records]
    return float(np.median(times)) * iters_per_epoch


def resumed_epoch(pretrain_dir):
    """The epoch of the checkpoint a pre-training in ``pretrain_dir`` would
    resume from (mmengine's ``last_checkpoint``); 0 if it starts afresh."""
    path = osp.join(pretrain_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return 0
    with open(path) as f:
        found = re.fullmatch(r'epoch_(\d+)\.pth',
                             osp.basename(f.read().strip()))
    return int(found.group(1)) if found else 0


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
    config (the start of that call) to its ``result.json``."""
    configs = glob.glob(osp.join(work_dir, '*_config.py'))
    result = osp.join(work_dir, 'result.json')
    if not configs or not osp.isfile(result):
        return math.nan
    return osp.getmtime(result) - min(map(osp.getmtime, configs))


class Prober:
    """Scores backbones with the benchmark's probe; the probe config and
    the decoded images are shared by every cell of a run.

    Besides the grade probe on the whole train split it scores, from the
    same features:

    - ``label_fractions``: the grade probe fitted on each fixed stratified
      subset of the train split (:mod:`gca_mm.experiments.label_subsets`,
      written beside the data), ``{pct: scores}``, 100 % included;
    - ``findings``: a binary probe per finding of ``findings.csv`` when the
      data root has one (:mod:`gca_mm.experiments.finding_probe`), ``{target:
      {auc, val_auc, C, positives}}``.
    """

    def __init__(self, budget, data_root, configs=None, cache_dir=None,
                 label_fractions=FRACTIONS):
        self.cfg = probe_config(budget, data_root, configs, cache_dir)
        # the probe's features in the budget's precision: bf16 only where
        # the pre-training used it (one matrix in fp32 on every CPU)
        self.amp = budget.amp
        self.data_root = data_root
        self.label_fractions = tuple(label_fractions)

    @functools.cached_property
    def images(self):
        """``{split: image paths relative to the data root}``, in the
        order the features are extracted."""
        from mmpretrain.registry import DATASETS
        images = {}
        for split in SPLITS:
            cfg = copy.deepcopy(self.cfg.test_dataloader.dataset)
            cfg.split = split
            cfg.pop('decoded_cache', None)  # the paths only
            dataset = DATASETS.build(cfg)
            images[split] = [
                osp.relpath(dataset.get_data_info(i)['img_path'],
                            self.data_root).replace(osp.sep, '/')
                for i in range(len(dataset))]
        return images

    @functools.cached_property
    def fraction_indices(self):
        """``{pct: indices into the train features}`` of every label
        fraction below 100 %."""
        position = {p: i for i, p in enumerate(self.images['train'])}
        files = write_label_subsets(self.data_root, self.label_fractions)
        return {pct: np.asarray([position[p] for p in
                                 read_label_subset(path)])
                for pct, path in files.items() if pct < 100}

    @functools.cached_property
    def finding_targets(self):
        """``{split: {target: 0/1 labels}}``, or None without a findings
        table."""
        path = osp.join(self.data_root, 'findings.csv')
        if not osp.isfile(path):
            return None
        table = load_findings(path)
        return {split: finding_labels(table, self.images[split])
                for split in SPLITS}

    def __call__(self, checkpoint, seed=0):
        """Probe results of a pre-training ``checkpoint`` (``None``: the
        untrained backbone initialised under ``seed``)."""
        from mmengine.logging import MMLogger

        from .feature_probe import (build_probe_model, extract_features,
                                    feature_probe)
        from ..engine import cpu_supports_bf16

        # keep mmengine's per-parameter initialisation report off the log
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(logging.WARNING)
        try:
            model = build_probe_model(self.cfg, checkpoint, seed)
        finally:
            logger.setLevel(level)
        bf16 = self.amp and cpu_supports_bf16()
        splits = [extract_features(model, self.cfg.test_dataloader.dataset,
                                   split, batch_size=128, bf16=bf16)
                  for split in SPLITS]
        result = feature_probe(*splits)
        result['val_by_c'] = {str(k): v for k, v in
                              result['val_by_c'].items()}
        keys = ('accuracy', 'macro_f1', 'grade_mae', 'val_accuracy',
                'val_macro_f1', 'val_grade_mae', 'C')
        fractions = {}
        for pct in self.label_fractions:
            if pct >= 100:
                scores = result
            else:
                idx = self.fraction_indices[pct]
                train = (splits[0][0][idx], splits[0][1][idx])
                scores = feature_probe(train, splits[1], splits[2])
            fractions[f'{pct:g}'] = {k: scores[k] for k in keys}
        result['label_fractions'] = fractions
        targets = self.finding_targets
        if targets is not None:
            mean = splits[0][0].mean(0)
            std = splits[0][0].std(0) + 1e-6
            x = [((f - mean) / std).astype(np.float32) for f, _ in splits]
            result['findings'] = {
                name: binary_probe(x[0], targets['train'][name], x[1],
                                   targets['val'][name], x[2],
                                   targets['test'][name])
                for name in FINDING_TARGETS}
        return result


def _read_json(path, default=None):
    if not osp.isfile(path):
        return default
    with open(path) as f:
        return json.load(f)


def run_cell(algorithm, arm, seed, budget, data_root, work_root, tools=None,
             gaze_map_root=None, prober=None, cache_dir=None, configs=None,
             arm_settings=None, provenance=None, adopt_roots=()):
    """Run (or finish) one cell; return its result dict. ``algorithm`` may
    also be one of :data:`REFERENCES` (``arm`` is then ignored).
    ``arm_settings`` (JSON-able) are kept in the result; its
    ``crop_ratio_range`` goes to :func:`write_pretrain_config`.
    ``provenance`` (:func:`~gca_mm.experiments.provenance.run_provenance`:
    data and map fingerprints, hardware) is kept in a new result, with
    ``measured`` the day the result is written.
    A finished pre-training below ``adopt_roots`` whose config is the
    cell's, byte for byte (a search's candidate,
    :mod:`~gca_mm.experiments.pretraining_reuse`), is copied in instead of
    training again; the result names it as ``adopted_from``.

    ``tools`` and ``configs`` are the folders of gca_mm's tools
    (``train.py`` pre-trains) and configs; None finds them
    (:func:`~gca_mm.experiments.config_dir`)."""
    if algorithm in REFERENCES:
        arm = 'reference'
    work_dir = cell_dir(work_root, algorithm, arm, seed)
    result_path = osp.join(work_dir, 'result.json')
    result = _read_json(result_path)
    if result is not None:
        if budget_record(result['budget']) != asdict(budget):
            raise ValueError(
                f'{result_path} was run with budget {result["budget"]}, not '
                f'{asdict(budget)}; use another work dir for another budget')
        return result
    start, resumed = time.time(), 0
    prober = prober or Prober(budget, data_root, configs, cache_dir)
    os.makedirs(work_dir, exist_ok=True)
    result = dict(algorithm=algorithm, arm=arm, seed=seed,
                  budget=asdict(budget), data_root=data_root)
    if arm_settings:
        result['arm_settings'] = arm_settings
    if algorithm in REFERENCES:
        atomic_write_text(osp.join(work_dir, 'probe_config.py'),
                          prober.cfg.pretty_text)
        probe = prober(None, seed)
        result.update(curve=[], seconds_per_epoch=None)
    else:
        cfg_path = write_pretrain_config(algorithm, arm, seed, budget,
                                         data_root, work_dir, configs,
                                         gaze_map_root, cache_dir,
                                         (arm_settings or {}).get(
                                             'crop_ratio_range'))
        pre_dir = osp.join(work_dir, 'pretrain')
        last = osp.join(pre_dir, f'epoch_{budget.epochs}.pth')
        source = None if osp.isfile(last) else find_identical_pretraining(
            adopt_roots, work_dir, budget.epochs)
        if source:
            adopt_pretraining(source, work_dir)
        if not osp.isfile(last):
            resumed = resumed_epoch(pre_dir)
            # the GPU recipes' learning rates are for their own total
            # batch (mmpretrain's auto_scale_lr): scaled to this one's
            run_script(osp.join(tools_dir(tools), 'train.py'), cfg_path,
                       '--work-dir', pre_dir, '--resume',
                       *(['--amp'] if budget.amp else []),
                       *(['--auto-scale-lr'] if budget.family == 'gpu'
                         else []),
                       log_file=osp.join(work_dir, 'pretrain.log'),
                       echo=PROGRESS_LINES)
        curve_path = osp.join(work_dir, 'curve.json')
        curve = {int(k): v for k, v in _read_json(curve_path, {}).items()}
        for epoch in curve_epochs(budget):
            ckpt = osp.join(pre_dir, f'epoch_{epoch}.pth')
            if epoch not in curve and (epoch == budget.epochs
                                       or osp.isfile(ckpt)):
                curve[epoch] = prober(ckpt, seed)
                atomic_write_text(curve_path, json.dumps(curve, indent=1))
        probe = curve[budget.epochs]
        result.update(
            curve=[dict(epoch=e, **{k: curve[e][k] for k in (
                'accuracy', 'macro_f1', 'grade_mae', 'val_accuracy',
                'val_macro_f1', 'val_grade_mae')}) for e in sorted(curve)],
            seconds_per_epoch=epoch_seconds(pre_dir))
    result.update({k: probe[k] for k in (
        'accuracy', 'macro_f1', 'grade_mae', 'val_accuracy', 'val_macro_f1',
        'val_grade_mae', 'C', 'majority_accuracy', 'label_fractions',
        'findings') if k in probe})
    source = adopted_from(work_dir)
    if source:
        # its pre-training's time is the search's, counted there
        result['adopted_from'] = source
    # this call's wall time; a pre-training resumed from a checkpoint adds
    # the epochs before it at the cell's mean logged seconds per epoch
    result['wall_seconds'] = time.time() - start
    if resumed:
        result['resumed_from_epoch'] = resumed
        result['wall_seconds'] += resumed * result['seconds_per_epoch']
    if provenance:
        # measured: the day the cell's result is complete, not the day the
        # run that finished it started (a cell may run past midnight)
        result['provenance'] = dict(provenance,
                                    measured=time.strftime('%Y-%m-%d'))
    atomic_write_text(result_path, json.dumps(result, indent=2))
    return result


def final_checkpoint(work_root, algorithm, arm, seed, budget):
    """The last pre-training checkpoint of a cell, or None (a reference,
    or a cell imported from a report whose checkpoint is elsewhere)."""
    if algorithm in REFERENCES:
        return None
    path = osp.join(cell_dir(work_root, algorithm, arm, seed), 'pretrain',
                    f'epoch_{budget.epochs}.pth')
    return path if osp.isfile(path) else None


def missing_finetunes(result, settings):
    """Label fractions (%) of ``settings`` the cell's record has no
    fine-tune for, with these settings."""
    from .finetune import run_settings
    done = result.get('finetune') or {}
    return [pct for pct in settings.fractions
            if f'{pct:g}' not in done or
            done[f'{pct:g}'].get('settings') != run_settings(settings)]


def can_finetune(work_root, algorithm, arm, seed, budget):
    """A reference (fine-tuned from scratch) or a cell whose pre-training
    checkpoint is here."""
    return algorithm in REFERENCES or final_checkpoint(
        work_root, algorithm, arm, seed, budget) is not None


def add_finetunes(result, settings, budget, data_root, work_root, tools=None,
                  configs=None, cache_dir=None):
    """Fine-tune a finished cell at each label fraction of ``settings`` it
    has none for, and rewrite its ``result.json`` with them
    (``result['finetune'][pct]``). The untrained reference fine-tunes from
    scratch (the paper's "From-scratch"); a cell whose checkpoint is not
    here is returned unchanged."""
    from .finetune import finetune
    algorithm, arm, seed = result['algorithm'], result['arm'], \
        result['seed']
    todo = missing_finetunes(result, settings)
    if not todo or not can_finetune(work_root, algorithm, arm, seed,
                                    budget):
        return result
    checkpoint = final_checkpoint(work_root, algorithm, arm, seed, budget)
    work_dir = cell_dir(work_root, algorithm, arm, seed)
    result = dict(result, finetune=dict(result.get('finetune') or {}))
    for pct in todo:
        result['finetune'][f'{pct:g}'] = finetune(
            checkpoint, data_root, pct, settings, work_dir, seed, configs,
            tools, cache_dir, budget.amp, budget.family)
        atomic_write_text(osp.join(work_dir, 'result.json'),
                          json.dumps(result, indent=2))
    return result
