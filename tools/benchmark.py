"""Benchmark GCA against stock augmentations.

The matrix {SimCLR, MoCo v3, BYOL} x {stock, GCA} x seeds, each cell
pre-trained with the same budget (the CPU recipe of the knee configs: 60
epochs, 64 px views, batch 128, bf16) and scored by the same probe
(logistic regression on frozen features of the un-augmented 160 px images,
L2 chosen on val) at every ``--curve-every`` epochs, next to the untrained
backbone of each seed. Finished cells are not
rerun; an interrupted cell resumes from its last checkpoint.

    python tools/make_demo_data.py data/bench --num-images 5000 \
        --split-fractions 0.30 0.10 0.60
    python tools/benchmark.py --data-root data/bench --arms stock \
        --seeds 0 1 2 --work-dir work_dirs/benchmark --out docs/benchmark
writes docs/benchmark.md, docs/benchmark.json, docs/benchmark.png (probe
scores) and docs/benchmark_curves.png (learning curves).
"""
import argparse
import json
import os
import os.path as osp
import platform
import sys
import time
from dataclasses import asdict

from gca_mm.experiments import Stage, run_stages
from gca_mm.experiments.benchmark import (ALGORITHMS, ARMS, CONTROL_MAPS,
                                          REFERENCES, Budget, Prober,
                                          cell_dir, cell_wall_seconds,
                                          control_map_root, pretrain_config,
                                          run_cell)
from gca_mm.experiments.benchmark_report import (
    curve_table, differences_table, findings_table, fractions_table,
    majority_baseline, majority_line, margins_table, plot_accuracy,
    plot_curves, plot_differences, plot_fractions, results_table, summarize,
    write_json)
from gca_mm.experiments.control_maps import write_control_maps
from gca_mm.experiments.feature_probe import C_GRID
from gca_mm.experiments.presets import PRESETS, preset_cells
from gca_mm.utils import atomic_write_text, precision_name

HERE = osp.dirname(osp.abspath(__file__))
CONFIGS = osp.join(osp.dirname(HERE), 'configs')
DEFAULT = Budget()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/bench')
    parser.add_argument('--gaze-map-root', default=None,
                        help='attention maps for the GCA arm (default: '
                        '<data-root>/saliency_maps)')
    parser.add_argument('--algorithms', nargs='*', default=list(ALGORITHMS),
                        choices=ALGORITHMS)
    parser.add_argument('--arms', nargs='+', default=['stock', 'gca'],
                        choices=ARMS)
    parser.add_argument('--references', nargs='*', default=list(REFERENCES),
                        choices=REFERENCES,
                        help='rows without pre-training')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--preset', choices=sorted(PRESETS),
                        help='a named matrix of cells and seeds '
                        '(gca_mm/experiments/presets.py; replaces '
                        '--algorithms, --arms and --seeds)')
    parser.add_argument('--num-images', type=int, default=None,
                        help='pre-train on the first N train images')
    parser.add_argument('--epochs', type=int, default=DEFAULT.epochs)
    parser.add_argument('--img-size', type=int, default=DEFAULT.img_size)
    parser.add_argument('--batch-size', type=int,
                        default=DEFAULT.batch_size)
    parser.add_argument('--no-amp', action='store_true',
                        help='pre-train in fp32 (default: bf16 on a CPU '
                        'with native bf16, fp16 on a GPU, fp32 elsewhere)')
    parser.add_argument('--curve-every', type=int,
                        default=DEFAULT.curve_every,
                        help='probe every N epochs for the learning curve '
                        '(0: the last epoch only)')
    parser.add_argument('--probe-size', type=int,
                        default=DEFAULT.probe_size,
                        help="side of the probe's un-augmented images")
    parser.add_argument('--cache-dir', default='work_dirs/decoded_cache',
                        help='decoded images shared by every cell')
    parser.add_argument('--config-dir', default=CONFIGS,
                        help="gca_mm's configs (default: those beside this "
                        'tool)')
    parser.add_argument('--work-dir', default='work_dirs/benchmark')
    parser.add_argument('--out', default='docs/benchmark',
                        help='prefix of the .md, .json and .png outputs')
    parser.add_argument('--report-only', action='store_true',
                        help='write the report from the cells finished so '
                        'far, run nothing')
    parser.add_argument('--est-seconds-per-epoch', type=float, default=6,
                        help='for the ETA only')
    args = parser.parse_args(argv)
    args.pairs = [(a, arm) for a in args.algorithms for arm in args.arms]
    if args.preset:
        args.pairs, args.seeds = preset_cells(args.preset)
        found = []
        for algo, arm in args.pairs:
            try:
                pretrain_config(algo, arm, args.config_dir)
                found.append((algo, arm))
            except ValueError as e:
                print(f'--preset {args.preset}: left out, {e}')
        args.pairs = found
        args.algorithms = sorted({a for a, _ in found})
        args.arms = [arm for arm in ARMS if any(arm == b for _, b in found)]
    if args.gaze_map_root is None:
        args.gaze_map_root = osp.join(args.data_root, 'saliency_maps')
    predicted = [a for a in args.arms
                 if a.startswith('gca') and a not in CONTROL_MAPS]
    if (predicted or 'stock-matched' in args.arms) and \
            not osp.isdir(args.gaze_map_root):
        parser.error(f'--arms {" ".join(predicted or ["stock-matched"])} '
                     f'needs attention maps in {args.gaze_map_root} '
                     '(tools/predict_saliency.py); or leave those arms out')
    if not osp.isdir(args.data_root):
        parser.error(f'--data-root {args.data_root} does not exist; make '
                     'it with tools/make_demo_data.py (see --help)')
    return args


def budget_of(args):
    return Budget(args.num_images, args.epochs, args.img_size,
                  args.batch_size, DEFAULT.amp and not args.no_amp,
                  args.curve_every,
                  args.probe_size)


def _command(argv):
    return 'python tools/benchmark.py ' + ' '.join(argv)


def hardware():
    import torch
    device = (torch.cuda.get_device_name(0) if torch.cuda.is_available()
              else f'CPU only, {os.cpu_count()} cores')
    return f'{platform.processor() or platform.machine()}, {device}'


def write_report(args, argv, results, seconds):
    summary = summarize(results)
    cells_seconds = sum(cell_wall_seconds(cell_dir(
        args.work_dir, r['algorithm'], r['arm'], r['seed'])) for r in results)
    floor = majority_baseline(args.data_root)
    budget = budget_of(args)
    settings = dict(command=_command(argv), hardware=hardware(),
                    measured=time.strftime('%Y-%m-%d'),
                    budget=asdict(budget), data_root=args.data_root,
                    gaze_map_root=args.gaze_map_root, seeds=args.seeds,
                    probe='logistic regression on frozen features of '
                    'un-augmented images, standardised, C chosen on val '
                    f'macro-F1 from {C_GRID}',
                    wall_seconds=seconds, cells_wall_seconds=cells_seconds,
                    majority_class=floor)
    write_json(args.out + '.json', summary, settings)
    name = osp.basename(args.out)
    plot_accuracy(args.out + '.png', summary,
                  title=f'Probe on KL grade, test split ({len(args.seeds)} '
                  'seeds)', floor=floor)
    plot_curves(args.out + '_curves.png', summary,
                title='Probe on KL grade against pre-training epochs '
                '(test split)', floor=floor)
    plot_fractions(args.out + '_fractions.png', summary,
                   title='Probe on KL grade against the share of labels '
                   '(test split)', floor=floor)
    if summary['differences']:
        plot_differences(args.out + '_differences.png', summary,
                         title='Paired differences, 100 % labels (95 % '
                         'Student t over seeds)')
    images = args.num_images or 'all'
    md = [
        '# Benchmark: self-supervised pre-training on a CPU, GCA vs stock',
        '',
        f'Produced by `{settings["command"]}` on {settings["hardware"]}, '
        f'{settings["measured"]}: {len(results)} cells, '
        f'{cells_seconds / 60:.0f} min of wall time in all (each cell timed '
        f'by the call that finished it); this call ran for '
        f'{seconds / 60:.0f} min.', '',
        f'Budget per cell: pre-training on {images} train images of '
        f'`{args.data_root}`, {budget.epochs} epochs, {budget.img_size} px, '
        f'batch {budget.batch_size}, {precision_name(budget.amp)}. '
        f'Probe: {settings["probe"]}, at {budget.probe_size} px; test split of '
        f'{floor["test_images"]} images. Seeds: '
        f'{", ".join(map(str, args.seeds))} (every arm of a seed shares '
        'initialisation and image order; the tables count the seeds each '
        'row has finished).', '',
        '## Results (mean ± std over seeds)', '', results_table(summary), '',
        majority_line(floor), '',
        '## Pre-trained minus untrained backbone (paired by seed)', '',
        margins_table(summary), '',
        '## Paired differences (by seed)', '',
        'Each row: the first arm minus the second over the seeds both '
        'have; brackets: 95 % Student-t interval of the mean. An interval '
        'that crosses 0 is "no measurable difference".', '',
        differences_table(summary) if summary['differences'] else
        'No pair of arms to compare in this run.', '',
        f'![probe scores]({name}.png)', '',
        *([f'![paired differences]({name}_differences.png)', '']
          if summary['differences'] else []),
        '## Label fractions (linear probe)', '', fractions_table(summary), '',
        f'![label fractions]({name}_fractions.png)', '',
        '## Finding-level probes (test ROC AUC)', '',
        findings_table(summary), '',
        '## Learning curves', '', f'![learning curves]({name}_curves.png)',
        '', curve_table(summary), ''
    ]
    atomic_write_text(args.out + '.md', '\n'.join(md))
    return summary


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    budget = budget_of(args)
    prober = Prober(budget, args.data_root, args.config_dir, args.cache_dir)

    def arm_settings(algo, arm):
        if arm != 'stock-matched':
            return None
        # measured once per algorithm and data, kept for every seed
        path = osp.join(args.work_dir, f'matched_crop_{algo}.json')
        if not osp.isfile(path):
            from gca_mm.experiments.crop_area import matched_crop_area
            found = matched_crop_area(
                pretrain_config(algo, 'stock', args.config_dir),
                pretrain_config(algo, 'gca', args.config_dir),
                args.data_root, args.gaze_map_root)
            os.makedirs(args.work_dir, exist_ok=True)
            atomic_write_text(path, json.dumps(found, indent=2))
        with open(path) as f:
            return json.load(f)

    def cell(algo, arm, seed):
        return run_cell(algo, arm, seed, budget, args.data_root,
                        args.work_dir, HERE, args.gaze_map_root, prober,
                        args.cache_dir, args.config_dir,
                        arm_settings(algo, arm))

    def make_stage(algo, arm, seed):
        work = cell_dir(args.work_dir, algo, arm, seed)
        pretrain = 0 if algo in REFERENCES else \
            args.est_seconds_per_epoch * budget.epochs
        return Stage(f'{algo} {arm} seed {seed}',
                     lambda: cell(algo, arm, seed),
                     lambda: osp.isfile(osp.join(work, 'result.json')),
                     pretrain + 60)

    def control_maps_stage(arm):
        # the maps live beside the data; the marker in the work dir says
        # this run has made (or completed) them
        marker = osp.join(args.work_dir, f'control_maps_{arm}.json')

        def make():
            written = write_control_maps(
                CONTROL_MAPS[arm], args.data_root,
                control_map_root(args.data_root, arm))
            os.makedirs(args.work_dir, exist_ok=True)
            atomic_write_text(marker, json.dumps(written, indent=2))
        return Stage(f'{CONTROL_MAPS[arm]} maps for {arm}', make,
                     lambda: osp.isfile(marker), 30)

    maps = [control_maps_stage(arm) for arm in args.arms
            if arm in CONTROL_MAPS]
    cells = [(ref, 'reference', s) for s in args.seeds
             for ref in args.references]
    cells += [(a, arm, s) for s in args.seeds for a, arm in args.pairs]
    start = time.time()
    if args.report_only:
        cells = [c for c in cells if osp.isfile(osp.join(
            cell_dir(args.work_dir, *c), 'result.json'))]
        if not cells:
            raise SystemExit(f'no finished cell in {args.work_dir}')
    else:
        run_stages(maps + [make_stage(*c) for c in cells],
                   title='benchmark')
    # collect every cell (including those finished by earlier calls)
    results = [cell(*c) for c in cells]
    summary = write_report(args, argv, results, time.time() - start)
    print(results_table(summary))
    print()
    print(margins_table(summary))
    print()
    print(differences_table(summary))


if __name__ == '__main__':
    main()
