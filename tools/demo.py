"""The whole GCA story on the built-in demo data, on a CPU in ~15 minutes.

synthetic knee X-rays with simulated radiologist gaze -> gaze-saliency model
(train, evaluate against baselines) -> predicted attention map for every
image -> SimCLR pre-training with GCA and, with the same budget, without
(the CPU recipe: bf16 where native, 64 px, batch 64, decoded images in memory) -> the
benchmark's probe of both and of the untrained backbone on KL grade -> a
printed table and a report folder. Stages whose outputs are complete are
skipped on a rerun.

    python tools/demo.py --data-root data/demo --work-dir work_dirs/demo
"""
import argparse
import functools
import json
import os.path as osp
import sys


from gca_mm.experiments import Stage, run_script, run_stages
from gca_mm.experiments.benchmark import Budget, Prober, run_cell
from gca_mm.experiments.presets import preset_algorithms
from gca_mm.experiments.saliency_stages import SaliencyStages
from gca_mm.experiments.benchmark_report import (
    differences_table, findings_table, fractions_table, majority_baseline,
    majority_line, margins_table, plot_accuracy, plot_curves, results_table,
    summarize)
from gca_mm.utils import (atomic_write_text, native_mixed_precision,
                          precision_name)

HERE = osp.dirname(osp.abspath(__file__))
CONFIGS = osp.join(osp.dirname(HERE), 'configs')  # the configs beside tools/
SALIENCY_METRICS = ('cc', 'kld', 'nss', 'sim', 'auc_judd')
DEFAULT = Budget()  # the benchmark's budget: the CPU recipe's epochs, size, batch
# the benchmark's quick preset: one algorithm, stock and GCA, one seed
QUICK_ALGORITHM = preset_algorithms('quick')[0]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    # 2,150 knees: 1,505 to pre-train on, as many as the benchmark's 1,501;
    # on 1,049 (1,500 knees) SimCLR did not learn in 90 epochs
    # (docs/cpu_training.md, "The demo")
    parser.add_argument('--num-images', type=int, default=2150)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--saliency-epochs', type=int, default=30)
    parser.add_argument('--algorithm', default=QUICK_ALGORITHM,
                        choices=('simclr', 'mocov3', 'byol'))
    parser.add_argument('--pretrain-epochs', type=int,
                        default=DEFAULT.epochs)
    parser.add_argument('--img-size', type=int, default=DEFAULT.img_size)
    parser.add_argument('--batch-size', type=int,
                        default=DEFAULT.batch_size)
    parser.add_argument('--curve-every', type=int, default=0)
    parser.add_argument('--probe-size', type=int,
                        default=DEFAULT.probe_size)
    return parser.parse_args(argv)


def _read_json(path):
    with open(path) as f:
        return json.load(f)


class Demo:
    """The demo's stages and where each one writes."""

    def __init__(self, args):
        self.args = args
        work = args.work_dir
        self.saliency = SaliencyStages(args.data_root, work,
                                       epochs=args.saliency_epochs,
                                       seed=args.seed, configs=CONFIGS,
                                       tools=HERE)
        # beside the images, where the GCA configs and tools/benchmark.py
        # look by default (gaze_map_root='data/demo/saliency_maps')
        self.maps_dir = self.saliency.maps_dir
        self.cells_dir = osp.join(work, 'pretrain')
        self.report_dir = osp.join(work, 'report')
        self.budget = Budget(None, args.pretrain_epochs, args.img_size,
                             args.batch_size, native_mixed_precision(),
                             args.curve_every,
                             args.probe_size)
        self.cache_dir = osp.join(work, 'decoded_cache')

    def _log(self, name):
        return dict(log_file=osp.join(self.args.work_dir, 'logs',
                                      f'{name}.log'),
                    echo=r'Epoch\((train|val|test)\)|images/s|written')

    def make_data(self):
        a = self.args
        run_script(osp.join(HERE, 'make_demo_data.py'), a.data_root,
                   '--num-images', a.num_images, '--seed', a.seed,
                   **self._log('make_demo_data'))

    def data_done(self):
        root = self.args.data_root
        return (osp.isfile(osp.join(root, 'meta.json'))
                and osp.isfile(osp.join(root, 'gaze', 'meta.json')))

    @functools.cached_property
    def floor(self):
        """The majority-class scores every probe must clear."""
        return majority_baseline(self.args.data_root)

    @functools.cached_property
    def prober(self):
        return Prober(self.budget, self.args.data_root, CONFIGS,
                      self.cache_dir)

    def cell(self, arm):
        algorithm = 'random' if arm == 'reference' else self.args.algorithm
        return run_cell(algorithm, arm, self.args.seed, self.budget,
                        self.args.data_root, self.cells_dir, HERE,
                        gaze_map_root=self.maps_dir, prober=self.prober,
                        cache_dir=self.cache_dir, configs=CONFIGS)

    def cell_done(self, arm):
        name = 'random' if arm == 'reference' else \
            f'{self.args.algorithm}_{arm}'
        return osp.isfile(osp.join(
            self.cells_dir, f'{name}_seed{self.args.seed}', 'result.json'))

    def view_grid(self):
        path = osp.join(self.report_dir, 'views.png')
        stock = osp.join(CONFIGS, f'{self.args.algorithm}_knee.py')
        gca = osp.join(CONFIGS, f'{self.args.algorithm}_gca_knee.py')
        run_script(osp.join(HERE, 'visualize_views.py'), stock, gca,
                   '--image', '0', '--data-root', self.args.data_root,
                   '--gaze-map-root', self.maps_dir, '--out', path,
                   **self._log('visualize_views'))

    def tables(self):
        """Markdown tables: saliency scores, and the probe of both arms."""
        summary = summarize([self.cell('reference'), self.cell('stock'),
                             self.cell('gca')])
        model = _read_json(self.saliency.metrics)
        rows = ['| map | ' + ' | '.join(SALIENCY_METRICS) + ' |',
                '| --- |' + ' --- |' * len(SALIENCY_METRICS)]
        maps = [('gaze-saliency model',
                 {k.split('/')[-1]: v for k, v in model.items()})]
        baselines = _read_json(self.saliency.baselines)
        maps += [(name.replace('_', ' ') + ' (baseline)', scores)
                 for name, scores in baselines.items()
                 if isinstance(scores, dict) and 'cc' in scores]
        ceiling = _read_json(self.saliency.ceiling)['summary']['inter_reader']
        maps.append(('inter-reader ceiling (one reader from the others)',
                     {m: v['mean'] for m, v in ceiling.items()}))
        for name, scores in maps:
            rows.append(f'| {name} | ' + ' | '.join(
                f'{scores[m]:.3f}' if m in scores else '-'
                for m in SALIENCY_METRICS) + ' |')
        return summary, '\n'.join(rows)

    def report(self):
        summary, saliency_rows = self.tables()
        floor = self.floor
        plot_accuracy(osp.join(self.report_dir, 'probe.png'), summary,
                      title='Probe on KL grade (demo test split)',
                      floor=floor)
        plot_curves(osp.join(self.report_dir, 'curves.png'), summary,
                    title='Probe on KL grade against pre-training epochs',
                    floor=floor)
        self.view_grid()
        a = self.args
        text = '\n'.join([
            '# gca_mm demo report', '',
            f'Command: `python tools/demo.py {" ".join(sys.argv[1:])}`', '',
            '## Gaze-saliency model on held-out gaze (demo test split)', '',
            saliency_rows, '',
            f'## {a.algorithm} pre-training, {a.pretrain_epochs} epochs at '
            f'{a.img_size} px ({precision_name(self.budget.amp)}), then the benchmark\'s probe (logistic '
            'regression on frozen features, L2 chosen on val)',
            '', results_table(summary), '',
            majority_line(floor), '',
            '### Pre-trained minus untrained backbone', '',
            margins_table(summary), '',
            '### GCA minus stock (one seed: no interval)', '',
            differences_table(summary), '',
            '![probe](probe.png)', '', '![curves](curves.png)', '',
            '### The probe with fewer labels (fixed stratified subsets of '
            'the train split)', '', fractions_table(summary), '',
            '### Finding-level probes (test ROC AUC; 0.5: nothing)', '',
            findings_table(summary), '',
            '## Views: stock (top) vs GCA', '',
            '![views](views.png)', ''
        ])
        atomic_write_text(osp.join(self.report_dir, 'README.md'), text)


def main(argv=None):
    args = parse_args(argv)
    demo = Demo(args)
    pre_s = 4 * args.pretrain_epochs + 30
    stages = [
        Stage('demo data with simulated gaze', demo.make_data, demo.data_done,
              30),
        *demo.saliency.stages(),
        Stage('probe of the untrained backbone',
              lambda: demo.cell('reference'),
              lambda: demo.cell_done('reference'), 30),
        Stage(f'{args.algorithm} pre-training + probe, stock views',
              lambda: demo.cell('stock'), lambda: demo.cell_done('stock'),
              pre_s),
        Stage(f'{args.algorithm} pre-training + probe, GCA views',
              lambda: demo.cell('gca'), lambda: demo.cell_done('gca'), pre_s),
        Stage('report', lambda: demo.report(),
              lambda: osp.isfile(osp.join(demo.report_dir, 'README.md')), 20),
    ]
    run_stages(stages, title='demo')
    summary, saliency_rows = demo.tables()
    print('\nGaze-saliency model vs baselines (demo test split):')
    print(saliency_rows)
    print(f'\n{args.algorithm}: probe on KL grade (demo test split):')
    print(results_table(summary))
    print(majority_line(demo.floor))
    print()
    print(margins_table(summary))
    print()
    print(differences_table(summary))
    print(f'\nReport: {osp.join(demo.report_dir, "README.md")}')


if __name__ == '__main__':
    main()
