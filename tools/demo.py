"""The built-in demo: synthetic knee X-rays -> MoCo v3 pre-training ->
linear probe on KL grade -> printed result. Stages whose outputs are
complete are skipped on a rerun.

    python tools/demo.py --data-root data/demo --work-dir work_dirs/demo
"""
import argparse
import glob
import json
import os.path as osp

from gca_mm.apis import Stage, run_script, run_stages

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(HERE)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--num-images', type=int, default=1500)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--pretrain-epochs', type=int, default=4)
    parser.add_argument('--probe-epochs', type=int, default=10)
    return parser.parse_args()


def _cfg(name):
    return osp.join(REPO, 'configs', name)


def main():
    args = parse_args()
    pre_dir = osp.join(args.work_dir, 'mocov3')
    probe_dir = osp.join(args.work_dir, 'probe_mocov3')
    pre_ckpt = osp.join(pre_dir, f'epoch_{args.pretrain_epochs}.pth')
    metrics_file = osp.join(probe_dir, 'test_metrics.json')

    def make_data():
        run_script(osp.join(HERE, 'make_demo_data.py'), args.data_root,
                   '--num-images', args.num_images, '--seed', args.seed)

    def pretrain():
        run_script(osp.join(HERE, 'train.py'), _cfg('mocov3_knee.py'),
                   '--work-dir', pre_dir, '--resume', '--cfg-options',
                   f'train_dataloader.dataset.data_root={args.data_root}',
                   f'train_cfg.max_epochs={args.pretrain_epochs}',
                   f'randomness.seed={args.seed}')

    def probe():
        run_script(osp.join(HERE, 'train.py'), _cfg('linear_probe_knee.py'),
                   '--work-dir', probe_dir, '--cfg-options',
                   f'model.backbone.init_cfg.checkpoint={pre_ckpt}',
                   f'train_dataloader.dataset.data_root={args.data_root}',
                   f'val_dataloader.dataset.data_root={args.data_root}',
                   f'test_dataloader.dataset.data_root={args.data_root}',
                   f'train_cfg.max_epochs={args.probe_epochs}',
                   f'param_scheduler.0.T_max={args.probe_epochs}',
                   f'param_scheduler.0.end={args.probe_epochs}')
        best = glob.glob(osp.join(probe_dir, 'best_accuracy_top1_epoch_*.pth'))
        run_script(osp.join(HERE, 'test.py'), _cfg('linear_probe_knee.py'),
                   best[0], '--work-dir', probe_dir,
                   '--metrics-out', metrics_file, '--cfg-options',
                   f'test_dataloader.dataset.data_root={args.data_root}')

    run_stages([
        Stage('demo data', make_data,
              lambda: osp.isfile(osp.join(args.data_root, 'meta.json')) and
              osp.isfile(osp.join(args.data_root, 'gaze', 'meta.json')), 30),
        Stage('MoCo v3 pre-training', pretrain,
              lambda: osp.isfile(pre_ckpt), 55 * args.pretrain_epochs),
        Stage('linear probe', probe, lambda: osp.isfile(metrics_file),
              10 * args.probe_epochs + 20),
    ], title='demo')

    with open(metrics_file) as f:
        m = json.load(f)
    print(f'\nLinear probe of MoCo v3 ({args.pretrain_epochs} epochs) on the '
          f'demo test split: accuracy {m["accuracy/top1"]:.2f}%, macro-F1 '
          f'{m["single-label/f1-score"]:.2f}, grade MAE '
          f'{m["grade/mae"]:.3f}')


if __name__ == '__main__':
    main()
