"""Benchmark GCA against stock augmentations and its controls.

Each cell (algorithm, arm, seed) is pre-trained with the same budget (the
CPU recipe of the knee configs: 90 epochs, 64 px views, batch 64, bf16
where native) and scored by the same probes (logistic regression on frozen
features of the un-augmented 160 px images, L2 chosen on val; at 1-100 %
of the labels; finding-level AUCs), next to the untrained backbone of each
seed. Every arm of a seed shares initialisation and image order. Finished
cells are not rerun; an interrupted cell resumes from its last checkpoint;
cells of a committed report (``--import-results``) whose budget, data and
maps equal this run's are carried over instead of pre-trained again.

    python tools/make_demo_data.py data/bench --num-images 5000 \
        --split-fractions 0.30 0.10 0.60
    # + the saliency model's maps in data/bench/saliency_maps
    #   (docs/benchmark_protocol.md, "Running it")
    python tools/benchmark.py --data-root data/bench --preset cpu \
        --work-dir work_dirs/benchmark_cpu --out docs/benchmark
writes docs/benchmark.md, docs/benchmark.json and the plots
docs/benchmark*.png.
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
import time
from dataclasses import asdict

from gca_mm.experiments import Stage, run_script, run_stages
from gca_mm.experiments.benchmark import (ALGORITHMS, ARMS, CONTROL_MAPS,
                                          FAMILIES, REFERENCES, Budget,
                                          Prober,
                                          add_finetunes, budget_record,
                                          can_finetune,
                                          cell_dir, cell_wall_seconds,
                                          control_map_root, epoch_seconds,
                                          missing_finetunes, pretrain_config,
                                          run_cell)
from gca_mm.experiments.benchmark_report import (
    crop_area_table, curve_table, differences_table, findings_table,
    finetune_margins_table, fractions_table, headline_table,
    majority_baseline, majority_line,
    margins_table, multiplicity_line, plot_accuracy, plot_curves,
    plot_differences, plot_fractions, provenance_lines, report_title,
    results_table, summarize, write_json)
from gca_mm.experiments.control_maps import write_control_maps
from gca_mm.experiments.feature_probe import C_GRID
from gca_mm.experiments.finetune import FinetuneSettings
from gca_mm.experiments.presets import PRESETS, preset_cells
from gca_mm.experiments.saliency_stages import SaliencyStages
from gca_mm.experiments.provenance import (finished_provenance,
                                           import_cells, mixed_cells,
                                           portable_numpy_env,
                                           rendering_provenance,
                                           run_provenance,
                                           uses_predicted_maps)
from gca_mm.utils import atomic_write_text, precision_name

HERE = osp.dirname(osp.abspath(__file__))
CONFIGS = osp.join(osp.dirname(HERE), 'configs')
DEFAULT = Budget()
FT_DEFAULT = FinetuneSettings()
#: the benchmark data (--prepare): 3,000 test images, so that a test
#: accuracy has a standard error below 1 point
BENCH_DATA = dict(num_images=5000, split_fractions=(0.30, 0.10, 0.60),
                  seed=0)


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
                        help='a named matrix of cells and seeds, run group '
                        'by group (gca_mm/experiments/presets.py; replaces '
                        '--algorithms, --arms and --seeds, and fixes what '
                        'the preset says of the budget: fp32 for cpu)')
    parser.add_argument('--replace', action='store_true',
                        help='let this run rewrite an --out report made '
                        'with another budget')
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
                        help='probe every N epochs too, for learning '
                        'curves (0: the last epoch only)')
    parser.add_argument('--probe-size', type=int,
                        default=DEFAULT.probe_size,
                        help="side of the probe's un-augmented images")
    parser.add_argument('--family', choices=sorted(FAMILIES),
                        default=DEFAULT.family,
                        help='which configs: the CPU recipe (configs/*_knee'
                        '.py) or the ResNet-50 GPU recipes (configs/gpu/)')
    parser.add_argument('--finetune', action='store_true',
                        help='also fine-tune every backbone (the untrained '
                        'one from scratch) at --finetune-fractions; a '
                        'finished cell whose checkpoint is here gets its '
                        'fine-tunes on a rerun')
    parser.add_argument('--finetune-fractions', nargs='+', type=float,
                        default=list(FT_DEFAULT.fractions))
    each = ('; one value for every fraction, or one per '
            '--finetune-fractions, in its order')
    parser.add_argument('--finetune-lr', nargs='+', type=float,
                        default=[FT_DEFAULT.lr], help='head learning rate' +
                        each)
    parser.add_argument('--finetune-epochs', nargs='+', type=int,
                        default=[FT_DEFAULT.epochs], help='epochs' + each)
    parser.add_argument('--finetune-size', nargs='+', type=int,
                        default=[FT_DEFAULT.img_size],
                        help='image side' + each)
    parser.add_argument('--cache-dir', default='work_dirs/decoded_cache',
                        help='decoded images shared by every cell')
    parser.add_argument('--config-dir', default=CONFIGS,
                        help="gca_mm's configs (default: those beside this "
                        'tool)')
    parser.add_argument('--work-dir', default='work_dirs/benchmark')
    parser.add_argument('--adopt-pretraining', nargs='*',
                        default=['work_dirs/stock_search'], metavar='DIR',
                        help='folders searched for a finished pre-training '
                        'whose pretrain_config.py is a cell\'s, byte for '
                        'byte (the stock-tuned search\'s chosen candidate '
                        'is that arm\'s cell of the seed searched on); '
                        'it is copied in instead of training again. '
                        'Default: %(default)s; none: train every cell')
    parser.add_argument('--out', default='docs/benchmark',
                        help='prefix of the .md, .json and .png outputs')
    parser.add_argument('--import-results', default=None,
                        help='a report JSON of an earlier run whose cells '
                        'stand for this run\'s where budget, data and '
                        'maps are the same (default: <out>.json if it '
                        'exists)')
    parser.add_argument('--no-import', action='store_true',
                        help='import no earlier cells')
    split = ' / '.join(map(str, BENCH_DATA['split_fractions']))
    parser.add_argument('--prepare', action='store_true',
                        help='first make what the run reads when it is '
                        'missing: the benchmark data in --data-root '
                        f'({BENCH_DATA["num_images"]} synthetic knees, '
                        f'train / val / test {split}, or the preset\'s) and '
                        'the saliency '
                        "model's maps in --gaze-map-root (model in "
                        '<work-dir>/prepare)')
    parser.add_argument('--report-only', action='store_true',
                        help='write the report from the cells finished so '
                        'far, run nothing; the cells of --import-results are '
                        'compared with its own data and map fingerprints, '
                        'not with this machine\'s')
    parser.add_argument('--est-seconds-per-epoch', type=float, default=6,
                        help='for the ETA only')
    args = parser.parse_args(argv)
    args.data = dict(BENCH_DATA)
    if args.preset:
        preset = PRESETS[args.preset]
        # a preset fixes its budget (e.g. fp32 for the CPU matrix) and the
        # data --prepare makes
        for key, value in preset.get('budget', {}).items():
            if key == 'amp':
                args.no_amp = not value
            else:
                setattr(args, key, value)
        args.data.update(preset.get('data', {}))
        cells = []
        for algo, arm, seed in preset_cells(args.preset):
            try:
                pretrain_config(algo, arm, args.config_dir, args.family)
                cells.append((algo, arm, seed))
            except ValueError as e:
                if seed == preset['seeds'][0]:
                    print(f'--preset {args.preset}: left out, {e}')
        args.seeds = list(preset['seeds'])
    else:
        cells = [(a, arm, s) for s in args.seeds for a in args.algorithms
                 for arm in args.arms]
    args.cells = cells
    args.algorithms = sorted({a for a, _, _ in cells},
                             key=list(ALGORITHMS).index)
    args.arms = [arm for arm in ARMS if any(arm == b for _, b, _ in cells)]
    if args.gaze_map_root is None:
        args.gaze_map_root = osp.join(args.data_root, 'saliency_maps')
    predicted = [a for a in args.arms if uses_predicted_maps(a)]
    if predicted and not (args.report_only or args.prepare) and \
            not osp.isdir(args.gaze_map_root):
        parser.error(f'--arms {" ".join(predicted)} need attention maps in '
                     f'{args.gaze_map_root} (tools/predict_saliency.py); or '
                     'leave those arms out')
    if not osp.isdir(args.data_root) and not args.prepare:
        parser.error(f'--data-root {args.data_root} does not exist; make '
                     'it with --prepare or tools/make_demo_data.py (see '
                     '--help)')
    for name in ('lr', 'epochs', 'size'):
        values = getattr(args, 'finetune_' + name)
        if len(values) not in (1, len(args.finetune_fractions)):
            parser.error(f'--finetune-{name} takes one value or one per '
                         f'--finetune-fractions '
                         f'({len(args.finetune_fractions)}), got '
                         f'{len(values)}')
    if args.import_results is None and not args.no_import and \
            osp.isfile(args.out + '.json'):
        args.import_results = args.out + '.json'
    if args.no_import:
        args.import_results = None
    report = args.out + '.json'
    if osp.isfile(report) and not args.replace:
        with open(report) as f:
            theirs = json.load(f).get('settings', {}).get('budget')
        if theirs is not None and \
                budget_record(theirs) != asdict(budget_of(args)):
            parser.error(
                f'{report} holds cells of budget {theirs}, not this run\'s '
                f'{asdict(budget_of(args))}: writing it would drop them. '
                'Give another --out, or --replace')
    return args


def budget_of(args):
    return Budget(args.num_images, args.epochs, args.img_size,
                  args.batch_size, DEFAULT.amp and not args.no_amp,
                  args.curve_every, args.probe_size, args.family)


def finetune_of(args):
    """The fine-tune settings of this run: one :class:`FinetuneSettings`
    per distinct (lr, epochs, size), with the label fractions that use it,
    in the order of --finetune-fractions; None without --finetune."""
    if not args.finetune:
        return None
    groups = {}
    for i, pct in enumerate(args.finetune_fractions):
        key = tuple(values[i if len(values) > 1 else 0] for values in (
            args.finetune_lr, args.finetune_epochs, args.finetune_size))
        groups.setdefault(key, []).append(pct)
    return tuple(FinetuneSettings(lr, epochs, size, tuple(pcts))
                 for (lr, epochs, size), pcts in groups.items())


def _command(argv):
    return 'python tools/benchmark.py ' + ' '.join(argv)


def _cell_seconds(work_dir, result):
    """Wall seconds of a cell: as recorded, or from its files (cells of
    earlier versions)."""
    seconds = result.get('wall_seconds')
    if seconds is None:
        seconds = cell_wall_seconds(work_dir)
    return seconds


def write_report(args, argv, results, seconds, provenance, ft=None):
    for r in results:
        work_dir = cell_dir(args.work_dir, r['algorithm'], r['arm'],
                            r['seed'])
        if 'provenance' not in r:
            # finished here before records carried it: not this run's
            # commit and date
            r['provenance'] = finished_provenance(
                provenance, osp.join(work_dir, 'result.json'))
        r.setdefault('wall_seconds', _cell_seconds(work_dir, r))
        # seconds per epoch from the training logs where they are here, so
        # every such cell is timed by today's estimate (the median
        # iteration: a pause or a job beside it does not count)
        logged = epoch_seconds(osp.join(work_dir, 'pretrain'))
        if r['algorithm'] not in REFERENCES and not math.isnan(logged):
            r['seconds_per_epoch'] = logged
    summary = summarize(results)
    cells_seconds = sum(s for s in (r['wall_seconds'] for r in results)
                        if s is not None and not math.isnan(s))
    floor = majority_baseline(args.data_root)
    budget = budget_of(args)
    settings = dict(command=_command(argv),
                    hardware=provenance['hardware'],
                    measured=time.strftime('%Y-%m-%d'),
                    budget=asdict(budget), data_root=args.data_root,
                    gaze_map_root=args.gaze_map_root, seeds=args.seeds,
                    preset=args.preset,
                    finetune=[asdict(f) for f in ft] if ft else None,
                    probe='logistic regression on frozen features of '
                    'un-augmented images, standardised, C chosen on val '
                    f'macro-F1 from {C_GRID}',
                    provenance=provenance,
                    wall_seconds=seconds, cells_wall_seconds=cells_seconds,
                    majority_class=floor)
    write_json(args.out + '.json', summary, settings)
    name = osp.basename(args.out)
    plot_accuracy(args.out + '.png', summary,
                  title=f'Probe on KL grade, test split ({len(args.seeds)} '
                  'seeds)', floor=floor)
    if budget.curve_every:
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
    crop_table = crop_area_table(results)
    md = [
        report_title(args.preset, results, budget.family),
        '',
        f'Produced by `{settings["command"]}`, {settings["measured"]}: '
        f'{len(results)} cells, {cells_seconds / 3600:.1f} h of wall time '
        'in all (each cell timed by the call that finished it); this call '
        f'ran for {seconds / 60:.0f} min.' + (
            ' This call only wrote the report (`--report-only`) from the '
            'cells finished so far; the same command without it runs or '
            'finishes them.' if args.report_only else ''), '',
        *provenance_lines(results), '',
        f'Budget per cell: pre-training on {images} train images of '
        f'`{args.data_root}`, {budget.epochs} epochs, {budget.img_size} px, '
        f'batch {budget.batch_size}, {precision_name(budget.amp)}. '
        f'Probe: {settings["probe"]}, at {budget.probe_size} px; test split of '
        f'{floor["test_images"]} images. Seeds: '
        f'{", ".join(map(str, args.seeds))} (every arm of a seed shares '
        'initialisation and image order; the tables count the seeds each '
        'row has finished).', '',
        '## Headline: linear probe (LP) and fine-tune (FT) at 100 % and '
        '10 % of the labels', '',
        headline_table(summary), '',
        majority_line(floor), '',
        '## Paired differences (by seed)', '',
        'Each row: the first arm minus the second over the seeds both '
        'have; brackets: 95 % Student-t interval of the mean. An interval '
        'that crosses 0 is "no measurable difference"; the verdict names, '
        'for each metric whose interval excludes 0, the arm it favours (a '
        'lower MAE is better).', '',
        *([differences_table(summary), '', multiplicity_line(summary)]
          if summary['differences'] else
          ['No pair of arms to compare in this run.']), '',
        *([f'![paired differences]({name}_differences.png)', '']
          if summary['differences'] else []),
        *(['## Crop areas of the stock-matched arm', '',
            'Mean crop area as a share of the image, measured on the '
            'benchmark\'s train images (the matched range raises the stock '
            'crop\'s lower bound until its mean area equals GCA\'s).', '',
            crop_table, ''] if crop_table else []),
        '## Results (mean ± std over seeds)', '', results_table(summary), '',
        f'![probe scores]({name}.png)', '',
        '## Pre-trained minus untrained backbone (paired by seed)', '',
        margins_table(summary), '',
    ]
    ft_margins = finetune_margins_table(summary)
    if ft_margins:
        md += ['## Fine-tune minus the untrained backbone\'s fine-tune '
               '(paired by seed)', '', ft_margins, '']
    md += [
        '## Label fractions (linear probe)', '', fractions_table(summary), '',
        f'![label fractions]({name}_fractions.png)', '',
        '## Finding-level probes (test ROC AUC)', '',
        findings_table(summary), '',
    ]
    if budget.curve_every:
        md += ['## Learning curves', '',
               f'![learning curves]({name}_curves.png)', '',
               curve_table(summary), '']
    atomic_write_text(args.out + '.md', '\n'.join(md))
    return summary


def prepare(args):
    """Make the benchmark data and the predicted maps where missing."""
    root = args.data_root

    def make_data():
        run_script(osp.join(HERE, 'make_demo_data.py'), root,
                   '--num-images', args.data['num_images'],
                   '--split-fractions', *args.data['split_fractions'],
                   '--seed', args.data['seed'],
                   env=portable_numpy_env(),
                   log_file=osp.join(args.work_dir, 'prepare', 'logs',
                                     'make_demo_data.log'))

    saliency = SaliencyStages(root, osp.join(args.work_dir, 'prepare'),
                              maps_dir=args.gaze_map_root,
                              configs=args.config_dir, tools=HERE)
    # maps already there and not made by an unfinished --prepare: kept
    kept = osp.isdir(args.gaze_map_root) and not osp.isdir(
        saliency.model_dir)
    stages = [Stage('benchmark data', make_data, lambda: osp.isfile(
        osp.join(root, 'meta.json')) and osp.isfile(
            osp.join(root, 'gaze', 'meta.json')), 120)]
    if not kept:
        stages += saliency.stages(evaluate=False)
    run_stages(stages, title='prepare')


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.prepare:
        prepare(args)
    budget = budget_of(args)
    ft = finetune_of(args)
    prober = Prober(budget, args.data_root, args.config_dir, args.cache_dir)
    # re-rendering a report compares its cells with its own fingerprints,
    # not with this machine's data and maps (nothing is trained)
    provenance = None
    if args.report_only and args.import_results:
        provenance = rendering_provenance(args.import_results,
                                          osp.dirname(HERE))
    if provenance is None:
        provenance = run_provenance(
            args.data_root, args.gaze_map_root if osp.isdir(
                args.gaze_map_root) else None, osp.dirname(HERE))

    def arm_settings(algo, arm):
        if arm != 'stock-matched':
            return None
        # measured once per algorithm and data, kept for every seed
        path = osp.join(args.work_dir, f'matched_crop_{algo}.json')
        if not osp.isfile(path):
            from gca_mm.experiments.crop_area import matched_crop_area
            found = matched_crop_area(
                pretrain_config(algo, 'stock', args.config_dir, args.family),
                pretrain_config(algo, 'gca', args.config_dir, args.family),
                args.data_root, args.gaze_map_root)
            os.makedirs(args.work_dir, exist_ok=True)
            atomic_write_text(path, json.dumps(found, indent=2))
        with open(path) as f:
            return json.load(f)

    def cell(algo, arm, seed, finetune=True):
        # a finished cell keeps the settings it was run with
        settings = None if osp.isfile(result_path(algo, arm, seed)) else \
            arm_settings(algo, arm)
        result = run_cell(algo, arm, seed, budget, args.data_root,
                          args.work_dir, HERE, args.gaze_map_root, prober,
                          args.cache_dir, args.config_dir, settings,
                          provenance, args.adopt_pretraining)
        for each in (ft or ()) if finetune else ():
            result = add_finetunes(result, each, budget, args.data_root,
                                   args.work_dir, HERE, args.config_dir,
                                   args.cache_dir)
        return result

    def cell_done(algo, arm, seed):
        path = result_path(algo, arm, seed)
        if not osp.isfile(path):
            return False
        if not ft or not can_finetune(args.work_dir, algo, arm, seed,
                                      budget):
            return True
        with open(path) as f:
            result = json.load(f)
        return not any(missing_finetunes(result, s) for s in ft)

    def result_path(algo, arm, seed):
        return osp.join(cell_dir(args.work_dir, algo, arm, seed),
                        'result.json')

    def make_stage(algo, arm, seed):
        pretrain = 0 if algo in REFERENCES else \
            args.est_seconds_per_epoch * budget.epochs
        finetunes = 0 if ft is None else 120 * sum(len(s.fractions)
                                                   for s in ft)
        return Stage(f'{algo} {arm} seed {seed}',
                     lambda: cell(algo, arm, seed),
                     lambda: cell_done(algo, arm, seed),
                     pretrain + 60 + finetunes)

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

    cells = [(ref, 'reference', s) for s in args.seeds
             for ref in args.references] + args.cells
    if args.import_results:
        imported, refused = import_cells(args.import_results, cells,
                                         result_path, asdict(budget),
                                         provenance)
        print(f'{len(imported)} finished cells imported from '
              f'{args.import_results}; {len(refused)} of its cells not '
              'imported' + ''.join(f'\n  {" ".join(map(str, c))}: {why}'
                                   for c, why in refused.items()))
    maps = [control_maps_stage(arm) for arm in args.arms
            if arm in CONTROL_MAPS and not all(
                osp.isfile(result_path(*c)) for c in cells if c[1] == arm)]
    start = time.time()
    if args.report_only:
        cells = [c for c in cells if osp.isfile(result_path(*c))]
        if not cells:
            raise SystemExit(f'no finished cell in {args.work_dir}')
    else:
        run_stages(maps + [make_stage(*c) for c in cells],
                   title='benchmark')
    # collect every cell (including those finished by earlier calls)
    results = [cell(*c, finetune=False) for c in cells]
    if args.report_only:
        mixed = mixed_cells([r for r in results if r.get('provenance')],
                            provenance)
        if mixed:
            raise SystemExit(
                f'{len(mixed)} cells in {args.work_dir} were measured on '
                'other data or predicted maps than the others '
                f'({provenance["data"]}, maps {provenance["gaze_maps"]}); '
                'one report cannot compare them:' + ''.join(
                    f'\n  {" ".join(map(str, c))}: {why}'
                    for c, why in mixed.items()))
    summary = write_report(args, argv, results, time.time() - start,
                           provenance, ft)
    print(headline_table(summary))
    print()
    print(differences_table(summary))


if __name__ == '__main__':
    main()
