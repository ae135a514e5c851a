"""Seconds per pre-training epoch of the knee SSL configs, recipe by recipe,
measured in one run through tools/train.py (the mmengine Runner).

    python tools/analysis/train_speed.py --data-root data/bench \
        --out docs/train_speed

Variants of each of configs/{simclr,mocov3,byol}_knee.py:

- ``before``: the previous recipe: full-width ResNet-18 on 3 channels,
  112 px, batch 32, fp32, every view decoded from its PNG;
- ``fp32``: the CPU recipe (half-width ResNet-18, 1 channel, 64 px, the
  configs' batch, decoded images in memory) in fp32;
- ``bf16``: the same with bf16 autocast (``--amp``);
- ``bf16+cl``: bf16 and channels-last (the configs' default with --amp);
- ``bf16+cl, no cache``: as above but decoding every view from its PNG.

Each variant trains ``--epochs`` epochs on the first ``--images`` training
images; the first epoch (start-up) is left out and the mean iteration time
is scaled to one epoch over the whole training split. Writes
``OUT.md`` and ``OUT.json``.
"""
import argparse
import json
import os.path as osp
import subprocess
import sys
import tempfile
import time

from mmengine.config import Config

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
sys.path.insert(0, REPO)

from gca_mm.experiments.benchmark import (  # noqa: E402
    logged_train_records, set_crop_size)
from gca_mm.utils import atomic_write_text  # noqa: E402

ALGORITHMS = ('simclr', 'mocov3', 'byol')
VARIANTS = ('before', 'fp32', 'bf16', 'bf16+cl', 'bf16+cl, no cache')


def variant_config(algorithm, variant, data_root, images, epochs, cache_dir):
    """The config of one variant, and whether it trains with --amp."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', f'{algorithm}_knee.py'))
    dataset = cfg.train_dataloader.dataset
    dataset.data_root = data_root
    dataset.indices = images
    dataset.decoded_cache.cache_dir = cache_dir
    cfg.train_cfg.max_epochs = epochs
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0,
                                by_epoch=True)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=10**6)
    cfg.default_hooks.logger.interval = 1
    hooks = [h for h in cfg.custom_hooks if h.type != 'ChannelsLastHook']
    if variant in ('before', 'fp32', 'bf16'):
        cfg.custom_hooks = hooks
    if variant in ('before', 'bf16+cl, no cache'):
        dataset.decoded_cache = None
    if variant == 'before':
        cfg.train_dataloader.batch_size = 32
        set_crop_size(dataset.pipeline, 112)
        cfg.model.backbone.update(in_channels=3, stem_channels=64,
                                  base_channels=64)
        cfg.model.neck.in_channels = 512
        cfg.data_preprocessor = dict(type='SelfSupDataPreprocessor',
                                     mean=[118.0] * 3, std=[66.0] * 3,
                                     to_rgb=False)
    return cfg, variant in ('bf16', 'bf16+cl', 'bf16+cl, no cache')


def measure(cfg, amp, work_dir):
    path = osp.join(work_dir, 'config.py')
    atomic_write_text(path, cfg.pretty_text)
    cmd = [sys.executable, osp.join(REPO, 'tools', 'train.py'), path,
           '--work-dir', work_dir] + (['--amp'] if amp else [])
    proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode:
        raise RuntimeError(f'{" ".join(cmd)} failed:\n{proc.stdout[-3000:]}')
    records, _ = logged_train_records(work_dir)
    times = [r['time'] for r in records if r.get('epoch', 1) > 1]
    return sum(times) / len(times)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default='data/bench')
    p.add_argument('--algorithms', nargs='+', default=list(ALGORITHMS),
                   choices=ALGORITHMS)
    p.add_argument('--images', type=int, default=1024,
                   help='train on the first N images (a multiple of 128)')
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--cache-dir', default='work_dirs/decoded_cache')
    p.add_argument('--out', default='docs/train_speed')
    args = p.parse_args(argv)
    from mmpretrain.registry import DATASETS

    import gca_mm  # noqa: F401
    n_train = len(DATASETS.build(dict(type='KneeXrayDataset',
                                      data_root=args.data_root,
                                      split='train', with_label=False)))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for algo in args.algorithms:
            for variant in VARIANTS:
                cfg, amp = variant_config(algo, variant, args.data_root,
                                          args.images, args.epochs,
                                          args.cache_dir)
                batch = cfg.train_dataloader.batch_size
                t0 = time.time()
                it = measure(cfg, amp, osp.join(
                    tmp, f'{algo}_{variant}'.replace(' ', '_')))
                rows.append(dict(algorithm=algo, variant=variant,
                                 batch_size=batch, seconds_per_iter=it,
                                 seconds_per_epoch=it * (n_train // batch),
                                 wall_seconds=time.time() - t0))
                print(f'{algo:7s} {variant:18s} {it:.3f} s/iter, '
                      f'{rows[-1]["seconds_per_epoch"]:.1f} s/epoch',
                      flush=True)
    import torch
    settings = dict(command='python tools/analysis/train_speed.py ' +
                    ' '.join(argv if argv is not None else sys.argv[1:]),
                    data_root=args.data_root, train_images=n_train,
                    torch_threads=torch.get_num_threads(),
                    measured=time.strftime('%Y-%m-%d %H:%M'))
    atomic_write_text(args.out + '.json', json.dumps(
        dict(settings=settings, rows=rows), indent=2))
    lines = [
        '# Seconds per pre-training epoch, by recipe', '',
        f'`{settings["command"]}`, {settings["measured"]}; one epoch = '
        f'{n_train} training images of `{args.data_root}`; '
        f'{settings["torch_threads"]} torch threads, 2 dataloader workers.',
        '', '| algorithm | ' + ' | '.join(VARIANTS) + ' | before / bf16+cl |',
        '| --- |' + ' --- |' * (len(VARIANTS) + 1)]
    for algo in args.algorithms:
        by = {r['variant']: r['seconds_per_epoch'] for r in rows
              if r['algorithm'] == algo}
        lines.append(f'| {algo} | ' + ' | '.join(
            f'{by[v]:.1f}' for v in VARIANTS) +
            f" | {by['before'] / by['bf16+cl']:.1f}x |")
    atomic_write_text(args.out + '.md', '\n'.join(lines) + '\n')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
