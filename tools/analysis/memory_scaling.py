"""Peak memory of attention-map prediction and GCA pre-training as the
data set grows.

    python tools/analysis/memory_scaling.py [--sizes 500 1000 2000 5000]
        [--iters 10 40] [--work-dir DIR] [--saliency-checkpoint CKPT]

For each size, demo data is generated (``gca_mm.demo``), then two jobs run
as fresh subprocesses, each measured on its own:

1. ``tools/predict_saliency.py`` writes a map for every image (with
   ``--saliency-checkpoint``, or else a randomly initialised model of the
   saliency config: weights do not change the memory);
2. the first ``--iters`` iterations of a ``configs/mocov3_gca_knee.py``
   epoch on the train split, with those maps (0: the whole epoch). The
   largest size also runs with each further ``--iters`` value, to show
   whether memory grows with iterations.

Memory of a job: the peak RSS of its largest process, exact, from
``wait4`` (the kernel's ``ru_maxrss``; dataloader workers are children),
and the peaks of the RSS and PSS summed over the job's process tree,
sampled from /proc every 0.2 s (PSS shares copy-on-write pages between
the workers and their parent, so its sum is the real footprint).
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import threading
import time

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
SALIENCY_CFG = osp.join(REPO, 'configs', 'gaze_saliency_resnet18_knee.py')
PRETRAIN_CFG = osp.join(REPO, 'configs', 'mocov3_gca_knee.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command')
    run = sub.add_parser('run', help='measure every size (the default)')
    run.add_argument('--sizes', type=int, nargs='+',
                     default=[500, 1000, 2000, 5000],
                     help='images per data set (all splits)')
    run.add_argument('--iters', type=int, nargs='+', default=[10, 40],
                     help='pre-training iterations per size (0: one epoch); '
                     'further values: extra runs at the largest size')
    run.add_argument('--batch-size', type=int, default=32)
    run.add_argument('--num-workers', type=int, default=2)
    run.add_argument('--saliency-checkpoint',
                     help='trained saliency weights (default: random ones)')
    run.add_argument('--work-dir', help='data, logs and results (default: a '
                     'temporary folder, removed at the end)')
    job = sub.add_parser(
        'pretrain-job', help='one capped pre-training epoch (run by `run`)')
    job.add_argument('config')
    job.add_argument('--data-root', required=True)
    job.add_argument('--gaze-map-root', required=True)
    job.add_argument('--work-dir', required=True)
    job.add_argument('--iters', type=int, default=0)
    job.add_argument('--batch-size', type=int, default=32)
    job.add_argument('--num-workers', type=int, default=2)
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ('run', 'pretrain-job', '-h', '--help'):
        argv = ['run'] + list(argv)
    return parser.parse_args(argv)


# ---- measuring a process tree -------------------------------------------


def _children(pid):
    try:
        with open(f'/proc/{pid}/task/{pid}/children') as f:
            return [int(p) for p in f.read().split()]
    except OSError:  # gone already
        return []


def _tree(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += _children(p)
    return pids


def _rss_pss_kib(pid):
    values = dict(Rss=0, Pss=0)
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            for line in f:
                key = line.split(':')[0]
                if key in values:
                    values[key] = int(line.split()[1])
    except OSError:
        pass
    return values['Rss'], values['Pss']


class TreeSampler(threading.Thread):
    """Peak of the RSS and PSS summed over a process and its descendants."""

    def __init__(self, pid, interval=0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss_kib = self.peak_pss_kib = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            sizes = [_rss_pss_kib(p) for p in _tree(self.pid)]
            self.peak_rss_kib = max(self.peak_rss_kib,
                                    sum(s[0] for s in sizes))
            self.peak_pss_kib = max(self.peak_pss_kib,
                                    sum(s[1] for s in sizes))
            self.stop.wait(self.interval)


def measure(cmd, log_file):
    """Run ``cmd`` (output to ``log_file``) and return its memory peaks (MiB)
    and wall time; raise if it fails."""
    start = time.time()
    with open(log_file, 'w') as log:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=log,
                                stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        # wait4 (not proc.wait) to get this child's own resource usage
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop.set()
        sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} failed with exit code '
                           f'{proc.returncode}; see {log_file}')
    return dict(
        seconds=round(time.time() - start, 1),
        max_process_rss_mib=round(usage.ru_maxrss / 1024),  # KiB on Linux
        tree_rss_mib=round(sampler.peak_rss_kib / 1024),
        tree_pss_mib=round(sampler.peak_pss_kib / 1024))


# ---- the jobs -------------------------------------------------------------


def random_saliency_checkpoint(path):
    """Weights of a freshly initialised saliency model."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    import gca_mm  # noqa: F401
    init_default_scope('mmpretrain')
    model = MODELS.build(Config.fromfile(SALIENCY_CFG).model)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path


def pretrain_job(args):
    """The first ``args.iters`` iterations (0: all) of one epoch."""
    from mmengine.config import Config
    from mmengine.hooks import Hook
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    import gca_mm  # noqa: F401
    from gca_mm.utils import adapt_cfg_to_device

    class _Stop(Exception):
        pass

    class StopAfter(Hook):
        priority = 'LOWEST'
        done = 0

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            self.done += 1
            if self.done == args.iters:
                raise _Stop

        def after_train_epoch(self, runner):
            raise _Stop

    cfg = Config.fromfile(args.config)
    cfg.work_dir = args.work_dir
    cfg.train_dataloader.dataset.data_root = args.data_root
    cfg.train_dataloader.batch_size = args.batch_size
    cfg.train_dataloader.num_workers = args.num_workers
    cfg.gca.gaze_map_root = args.gaze_map_root
    cfg.default_hooks.checkpoint.interval = -1  # measure training only
    adapt_cfg_to_device(cfg)
    runner = (RUNNERS.build(cfg)
              if 'runner_type' in cfg else Runner.from_cfg(cfg))
    stop = StopAfter()
    runner.register_hook(stop)
    try:
        runner.train()
    except _Stop:
        print(f'stopped after {stop.done} iterations')


def _row(job, size, train_images, iters, result):
    return dict(job=job, images=size, train_images=train_images,
                iterations=iters, **result)


def _format(rows):
    header = ['job', 'images', 'train images', 'iterations', 'seconds',
              'max process RSS MiB', 'tree RSS MiB', 'tree PSS MiB']
    keys = ['job', 'images', 'train_images', 'iterations', 'seconds',
            'max_process_rss_mib', 'tree_rss_mib', 'tree_pss_mib']
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + ' --- |' * len(header)]
    for row in rows:
        lines.append('| ' + ' | '.join(
            '-' if row.get(k) is None else str(row[k]) for k in keys) + ' |')
    return '\n'.join(lines)


def run(args):
    from gca_mm.demo import make_demo_dataset
    from gca_mm.utils import atomic_write_text

    tmp = None
    if args.work_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix='gca_memory_')
        args.work_dir = tmp.name
    os.makedirs(args.work_dir, exist_ok=True)
    checkpoint = args.saliency_checkpoint or random_saliency_checkpoint(
        osp.join(args.work_dir, 'saliency_random_init.pth'))
    python = sys.executable
    rows = []
    try:
        for size in sorted(args.sizes):
            data = osp.join(args.work_dir, f'data_{size}')
            meta = make_demo_dataset(data, num_images=size, seed=0,
                                     show_progress=False)
            train_images = sum(meta['counts']['train'])
            maps = osp.join(data, 'saliency_maps')
            result = measure(
                [python, osp.join(REPO, 'tools', 'predict_saliency.py'),
                 SALIENCY_CFG, checkpoint, '--data-root', data, '--out',
                 maps], osp.join(args.work_dir, f'predict_{size}.log'))
            rows.append(_row('predict_saliency', size, None, None, result))
            print(_format(rows[-1:]).split('\n')[-1], flush=True)
            iters = args.iters if size == max(args.sizes) else args.iters[:1]
            for n in iters:
                work = osp.join(args.work_dir, f'pretrain_{size}_{n}')
                result = measure(
                    [python, osp.abspath(__file__), 'pretrain-job',
                     PRETRAIN_CFG, '--data-root', data, '--gaze-map-root',
                     maps, '--work-dir', work, '--iters', str(n),
                     '--batch-size', str(args.batch_size), '--num-workers',
                     str(args.num_workers)], work + '.log')
                epoch = train_images // args.batch_size
                rows.append(_row('mocov3_gca pre-training', size,
                                 train_images, min(n, epoch) if n else epoch,
                                 result))
                print(_format(rows[-1:]).split('\n')[-1], flush=True)
        table = _format(rows)
        print('\n' + table)
        atomic_write_text(osp.join(args.work_dir, 'memory_scaling.json'),
                          json.dumps(rows, indent=2))
    finally:
        if tmp is not None:
            tmp.cleanup()
    return rows


def main(argv=None):
    args = parse_args(argv)
    if args.command == 'pretrain-job':
        pretrain_job(args)
    else:
        run(args)


if __name__ == '__main__':
    main()
