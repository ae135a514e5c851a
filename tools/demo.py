"""The whole GCA story on the built-in demo data, on a CPU in ~15 minutes.

synthetic knee X-rays with simulated radiologist gaze -> gaze-saliency model
(train, evaluate against baselines) -> predicted attention map for every
image -> MoCo v3 pre-training with GCA and, with the same budget, without ->
linear probe of both on KL grade -> a printed table and a report folder.
Stages whose outputs are complete are skipped on a rerun.

    python tools/demo.py --data-root data/demo --work-dir work_dirs/demo
"""
import argparse
import json
import os.path as osp
import sys

from gca_mm.apis import Stage, run_script, run_stages
from gca_mm.apis.benchmark import Budget, run_cell
from gca_mm.apis.benchmark_report import (differences_table, plot_accuracy,
                                          results_table, summarize)
from gca_mm.utils import atomic_write_text

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(HERE)
SALIENCY_CFG = osp.join(REPO, 'configs', 'gaze_saliency_resnet18_knee.py')
SALIENCY_METRICS = ('cc', 'kld', 'nss', 'sim', 'auc_judd')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--num-images', type=int, default=1500)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--saliency-epochs', type=int, default=30)
    parser.add_argument('--algorithm', default='mocov3',
                        choices=('simclr', 'mocov3', 'byol'))
    parser.add_argument('--pretrain-epochs', type=int, default=4)
    parser.add_argument('--img-size', type=int, default=112)
    parser.add_argument('--probe-epochs', type=int, default=10)
    return parser.parse_args(argv)


def _read_json(path):
    with open(path) as f:
        return json.load(f)


class Demo:
    """The demo's stages and where each one writes."""

    def __init__(self, args):
        self.args = args
        work = args.work_dir
        self.saliency_dir = osp.join(work, 'saliency')
        self.saliency_ckpt = osp.join(self.saliency_dir,
                                      f'epoch_{args.saliency_epochs}.pth')
        self.saliency_metrics = osp.join(self.saliency_dir,
                                         'test_metrics.json')
        self.baselines = osp.join(self.saliency_dir, 'baselines.json')
        self.maps_dir = osp.join(work, 'saliency_maps')
        self.maps_done = osp.join(work, 'saliency_maps.json')
        self.cells_dir = osp.join(work, 'pretrain')
        self.report_dir = osp.join(work, 'report')
        self.budget = Budget(None, args.pretrain_epochs, args.img_size,
                             args.probe_epochs)

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

    def _saliency_options(self):
        root = self.args.data_root
        opts = [f'randomness.seed={self.args.seed}']
        for name in ('train', 'val', 'test'):
            opts += [f'{name}_dataloader.dataset.data_root={root}',
                     f'{name}_dataloader.dataset.gaze_map_root='
                     f'{osp.join(root, "gaze", "maps")}']
        return opts

    def train_saliency(self):
        e = self.args.saliency_epochs
        run_script(osp.join(HERE, 'train.py'), SALIENCY_CFG, '--work-dir',
                   self.saliency_dir, '--resume', '--cfg-options',
                   f'train_cfg.max_epochs={e}', f'param_scheduler.1.T_max={e - 1}',
                   f'param_scheduler.1.end={e}', *self._saliency_options(),
                   **self._log('saliency_train'))

    def evaluate_saliency(self):
        fixations = osp.join(self.args.data_root, 'gaze', 'fixations.csv')
        opts = self._saliency_options() + [
            'test_dataloader.dataset.pipeline.2.fixation_file=' + fixations,
            'test_dataloader.dataset.pipeline.2.data_root=' +
            self.args.data_root
        ]
        run_script(osp.join(HERE, 'test.py'), SALIENCY_CFG,
                   self.saliency_ckpt, '--work-dir', self.saliency_dir,
                   '--metrics-out', self.saliency_metrics, '--cfg-options',
                   *opts, **self._log('saliency_test'))
        run_script(osp.join(HERE, 'saliency_baselines.py'), SALIENCY_CFG,
                   '--out', self.baselines, '--cfg-options', *opts,
                   **self._log('saliency_baselines'))

    def predict_maps(self):
        run_script(osp.join(HERE, 'predict_saliency.py'), SALIENCY_CFG,
                   self.saliency_ckpt, '--data-root', self.args.data_root,
                   '--out', self.maps_dir, **self._log('predict_saliency'))
        atomic_write_text(self.maps_done, json.dumps(dict(
            checkpoint=self.saliency_ckpt, out=self.maps_dir)))

    def cell(self, arm):
        return run_cell(self.args.algorithm, arm, self.args.seed, self.budget,
                        self.args.data_root, self.cells_dir, HERE,
                        gaze_map_root=self.maps_dir)

    def cell_done(self, arm):
        return osp.isfile(osp.join(
            self.cells_dir, f'{self.args.algorithm}_{arm}_seed'
            f'{self.args.seed}', 'result.json'))

    def view_grid(self):
        path = osp.join(self.report_dir, 'views.png')
        stock = osp.join(REPO, 'configs', f'{self.args.algorithm}_knee.py')
        gca = osp.join(REPO, 'configs', f'{self.args.algorithm}_gca_knee.py')
        run_script(osp.join(HERE, 'visualize_views.py'), stock, gca,
                   '--image', '0', '--data-root', self.args.data_root,
                   '--gaze-map-root', self.maps_dir, '--out', path,
                   **self._log('visualize_views'))

    def report(self):
        summary = summarize([self.cell('stock'), self.cell('gca')])
        plot_accuracy(osp.join(self.report_dir, 'probe.png'), summary,
                      title='Linear probe on KL grade (demo test split)')
        self.view_grid()
        model = _read_json(self.saliency_metrics)
        base = _read_json(self.baselines)
        rows = ['| map | ' + ' | '.join(SALIENCY_METRICS) + ' |',
                '| --- |' + ' --- |' * len(SALIENCY_METRICS)]
        for name, scores in [('gaze-saliency model', model)] + [
                (k.replace('_', ' '), v) for k, v in base.items()
                if isinstance(v, dict)]:
            values = [scores.get(m, scores.get(f'saliency/{m}'))
                      for m in SALIENCY_METRICS]
            rows.append(f'| {name} | ' + ' | '.join(
                'n/a' if v is None else f'{v:.3f}' for v in values) + ' |')
        a = self.args
        text = '\n'.join([
            '# gca_mm demo report', '',
            f'Command: `python tools/demo.py {" ".join(sys.argv[1:])}`', '',
            '## Gaze-saliency model on held-out gaze (demo test split)', '',
            *rows, '',
            f'## {a.algorithm} pre-training, {a.pretrain_epochs} epochs at '
            f'{a.img_size} px, then a linear probe ({a.probe_epochs} epochs)',
            '', results_table(summary), '', differences_table(summary), '',
            '![probe](probe.png)', '', '## Views: stock (top) vs GCA', '',
            '![views](views.png)', ''
        ])
        atomic_write_text(osp.join(self.report_dir, 'README.md'), text)
        return summary, '\n'.join(rows)


def main(argv=None):
    args = parse_args(argv)
    demo = Demo(args)
    pre_s = 50 * args.pretrain_epochs * args.img_size**2 / 112**2 + 90
    stages = [
        Stage('demo data with simulated gaze', demo.make_data, demo.data_done,
              30),
        Stage('gaze-saliency model: training', demo.train_saliency,
              lambda: osp.isfile(demo.saliency_ckpt),
              6 * args.saliency_epochs),
        Stage('gaze-saliency model: evaluation and baselines',
              demo.evaluate_saliency,
              lambda: osp.isfile(demo.saliency_metrics) and osp.isfile(
                  demo.baselines), 40),
        Stage('attention maps for every image', demo.predict_maps,
              lambda: osp.isfile(demo.maps_done), 45),
        Stage(f'{args.algorithm} pre-training + probe, stock views',
              lambda: demo.cell('stock'), lambda: demo.cell_done('stock'),
              pre_s),
        Stage(f'{args.algorithm} pre-training + probe, GCA views',
              lambda: demo.cell('gca'), lambda: demo.cell_done('gca'), pre_s),
        Stage('report', lambda: demo.report(),
              lambda: osp.isfile(osp.join(demo.report_dir, 'README.md')), 20),
    ]
    run_stages(stages, title='demo')
    summary, saliency_rows = demo.report()
    print('\nGaze-saliency model vs baselines (demo test split):')
    print(saliency_rows)
    print(f'\n{args.algorithm}: linear probe on KL grade (demo test split):')
    print(results_table(summary))
    print()
    print(differences_table(summary))
    print(f'\nReport: {osp.join(demo.report_dir, "README.md")}')


if __name__ == '__main__':
    main()
