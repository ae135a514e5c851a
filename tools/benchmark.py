"""Benchmark GCA against stock augmentations.

The matrix {SimCLR, MoCo v3, BYOL} x {stock, GCA} x seeds, each cell
pre-trained with the same budget and linear-probed on KL grade. Finished
cells are not rerun; an interrupted cell resumes from its last checkpoint.

    python tools/benchmark.py --data-root data/demo \
        --gaze-map-root data/demo/saliency_maps --seeds 0 1 2 \
        --epochs 4 --img-size 112 --work-dir work_dirs/benchmark \
        --out docs/benchmark
writes docs/benchmark.md, docs/benchmark.json and docs/benchmark.png.
"""
import argparse
import os
import os.path as osp
import platform
import sys
import time

from gca_mm.apis import Stage, run_stages
from gca_mm.apis.benchmark import (ALGORITHMS, ARMS, REFERENCES, Budget,
                                   cell_dir, cell_wall_seconds, run_cell)
from gca_mm.apis.benchmark_report import (differences_table,
                                          majority_baseline, majority_line,
                                          plot_accuracy, results_table,
                                          summarize, write_json)
from gca_mm.utils import atomic_write_text

HERE = osp.dirname(osp.abspath(__file__))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--gaze-map-root', default='data/demo/saliency_maps',
                        help='attention maps for the GCA arm')
    parser.add_argument('--algorithms', nargs='*', default=list(ALGORITHMS),
                        choices=ALGORITHMS)
    parser.add_argument('--arms', nargs='+', default=list(ARMS),
                        choices=ARMS)
    parser.add_argument('--references', nargs='*', default=list(REFERENCES),
                        choices=REFERENCES,
                        help='context rows without pre-training')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--num-images', type=int, default=None,
                        help='pre-train on the first N train images')
    parser.add_argument('--epochs', type=int, default=4)
    parser.add_argument('--img-size', type=int, default=112)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--probe-epochs', type=int, default=10)
    parser.add_argument('--work-dir', default='work_dirs/benchmark')
    parser.add_argument('--out', default='docs/benchmark',
                        help='prefix of the .md, .json and .png outputs')
    parser.add_argument('--est-seconds-per-epoch', type=float, default=60,
                        help='for the ETA only')
    return parser.parse_args(argv)


def _command(argv):
    return 'python tools/benchmark.py ' + ' '.join(argv)


def _hardware():
    import torch
    device = (torch.cuda.get_device_name(0) if torch.cuda.is_available()
              else f'CPU only, {os.cpu_count()} cores')
    return f'{platform.processor() or platform.machine()}, {device}'


def write_report(args, argv, results, seconds):
    summary = summarize(results)
    cells_seconds = sum(cell_wall_seconds(cell_dir(
        args.work_dir, r['algorithm'], r['arm'], r['seed'])) for r in results)
    floor = majority_baseline(args.data_root)
    budget = Budget(args.num_images, args.epochs, args.img_size,
                    args.probe_epochs, args.batch_size)
    settings = dict(command=_command(argv), hardware=_hardware(),
                    budget=budget.__dict__, data_root=args.data_root,
                    gaze_map_root=args.gaze_map_root, seeds=args.seeds,
                    wall_seconds=seconds, cells_wall_seconds=cells_seconds,
                    majority_class=floor)
    write_json(args.out + '.json', summary, settings)
    plot_accuracy(args.out + '.png', summary,
                  title=f'Linear probe on KL grade ({len(args.seeds)} seeds)',
                  floor=floor)
    images = args.num_images or 'all'
    md = [
        '# Benchmark: GCA vs stock augmentations', '',
        f'Produced by `{settings["command"]}` on {settings["hardware"]}: '
        f'{len(results)} cells, {cells_seconds / 60:.0f} min of wall time '
        'in all (each cell timed by the call that finished it); this call '
        f'ran for {seconds / 60:.0f} min.', '',
        f'Budget per cell: pre-training on {images} train images of '
        f'`{args.data_root}`, {args.epochs} epochs, {args.img_size} px, batch '
        f'{args.batch_size}; linear probe (frozen backbone) '
        f'{args.probe_epochs} epochs; test split. Seeds: '
        f'{", ".join(map(str, args.seeds))}. GCA maps: '
        f'`{args.gaze_map_root}`.', '',
        '## Results (mean ± std over seeds)', '', results_table(summary), '',
        majority_line(floor), '',
        '## GCA minus stock (paired by seed)', '', differences_table(summary),
        '', f'![accuracy]({osp.basename(args.out)}.png)', '',
        'What limits these numbers, and what the views keep: '
        '`docs/benchmark_analysis.md` of gca_mm.', ''
    ]
    atomic_write_text(args.out + '.md', '\n'.join(md))
    return summary


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    budget = Budget(args.num_images, args.epochs, args.img_size,
                    args.probe_epochs, args.batch_size)

    def make_stage(algo, arm, seed):
        work = cell_dir(args.work_dir, algo, arm, seed)

        def run():
            run_cell(algo, arm, seed, budget, args.data_root, args.work_dir,
                     HERE, args.gaze_map_root)

        pretrain = 0 if algo in REFERENCES else \
            args.est_seconds_per_epoch * args.epochs
        return Stage(f'{algo} {arm} seed {seed}', run,
                     lambda: osp.isfile(osp.join(work, 'result.json')),
                     pretrain + 90)

    cells = [(a, arm, s) for s in args.seeds for a in args.algorithms
             for arm in args.arms]
    cells += [(ref, 'reference', s) for s in args.seeds
              for ref in args.references]
    stages = [make_stage(*cell) for cell in cells]
    start = time.time()
    run_stages(stages, title='benchmark')
    # collect every cell (including those finished by earlier calls)
    results = [run_cell(a, arm, s, budget, args.data_root, args.work_dir,
                        HERE, args.gaze_map_root) for a, arm, s in cells]
    summary = write_report(args, argv, results, time.time() - start)
    print(results_table(summary))
    print()
    print(differences_table(summary))


if __name__ == '__main__':
    main()
