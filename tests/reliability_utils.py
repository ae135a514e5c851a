"""Tiny GCA pre-training runs for the determinism, resume and distributed
tests: MoCo v3 + GCA on a few 64 px images, 32 px views, batch 4."""
import os
import os.path as osp
import subprocess
import sys

from runner_utils import REPO, tiny_cfg

TESTS = osp.join(REPO, 'tests')


def tiny_gca_cfg(root, work_dir, max_epochs=1, view_size=32, records=None,
                 extra_hooks=(), **overrides):
    """``configs/mocov3_gca_knee.py`` shrunk to ``root`` (maps under
    ``<root>/maps``); with ``records``, an ``IterationRecorderHook`` writes
    there (see ``train_probe_hooks``)."""
    cfg = tiny_cfg('configs/mocov3_gca_knee.py', root, work_dir,
                   max_epochs=max_epochs, **overrides)
    cfg.gca.gaze_map_root = osp.join(str(root), 'maps')
    for view in cfg.train_dataloader.dataset.pipeline[1].transforms:
        view[0].scale = view_size  # the crop GCA takes its size from
    hooks = list(extra_hooks)
    if records is not None:
        hooks.insert(0, dict(type='IterationRecorderHook',
                             out_dir=str(records)))
    if hooks:
        cfg.custom_imports.imports.append('train_probe_hooks')
        cfg.custom_hooks = list(cfg.custom_hooks) + hooks
    return cfg


def run_command(args, env=None, timeout=300):
    """Run ``args`` in the repository with ``tests/`` importable and one
    thread per process; return the CompletedProcess (stdout and stderr
    together in ``stdout``)."""
    # On a shared CPU, OpenMP threads spinning against other processes make
    # the tiny models ~10x slower than one thread does.
    full_env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    full_env.update(env or {})
    full_env['PYTHONPATH'] = os.pathsep.join(
        [TESTS, REPO] + [p for p in [os.environ.get('PYTHONPATH')] if p])
    return subprocess.run(
        [str(a) for a in args], cwd=REPO, env=full_env, timeout=timeout,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def train(config, *args, **kwargs):
    """``python tools/train.py CONFIG ARGS...`` (see :func:`run_command`)."""
    return run_command(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), config, *args],
        **kwargs)
