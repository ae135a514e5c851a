"""The benchmark's probe of frozen backbones on KL grade, from the shell.

    python tools/analysis/feature_probe.py random \
        work_dirs/benchmark/mocov3_stock_seed0/pretrain/epoch_90.pth \
        --data-root data/bench --out probe.json

Each CHECKPOINT (a pre-training checkpoint whose backbone weights start with
``backbone.``, or ``random`` for an untrained backbone) gets the linear probe
config's backbone and test pipeline; pooled features of the train, val and
test splits are standardised and a logistic regression is fitted, its L2
strength chosen on val macro-F1 (gca_mm.experiments.feature_probe). Printed:
test accuracy, macro-F1 and grade MAE next to the majority-class rate.
"""
import argparse
import json

from mmengine.config import Config
from mmengine.logging import MMLogger

import gca_mm  # noqa: F401  (registers modules)
from gca_mm.experiments import (build_probe_model, extract_features,
                                feature_probe)
from gca_mm.experiments.feature_probe import C_GRID
from gca_mm.engine import cpu_supports_bf16
from gca_mm.utils import atomic_write_text


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('checkpoints', nargs='+', metavar='CHECKPOINT',
                   help="pre-training checkpoints, or 'random'")
    p.add_argument('--config', default='configs/linear_probe_knee.py')
    p.add_argument('--data-root', help="replaces the config's data root")
    p.add_argument('--img-size', type=int,
                   help="replaces the test pipeline's Resize scale")
    p.add_argument('--cache-dir', default='work_dirs/decoded_cache',
                   help='decoded images (shared with the benchmark)')
    p.add_argument('--seed', type=int, default=0,
                   help='initialisation of the random backbone')
    p.add_argument('--c-grid', nargs='+', type=float, default=list(C_GRID),
                   help='inverse L2 strengths tried, chosen on val macro-F1 '
                   '(default: the benchmark\'s)')
    p.add_argument('--out', help='write the results as JSON here')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    # keep mmengine's per-parameter initialisation report off the console
    MMLogger.get_instance('feature_probe', log_level='WARNING')
    cfg = Config.fromfile(args.config)
    dataset = cfg.test_dataloader.dataset
    if args.data_root:
        dataset.data_root = args.data_root
    dataset.decoded_cache = dict(cache_dir=args.cache_dir, max_side=224)
    if args.img_size:
        for t in dataset.pipeline:
            if t.type == 'Resize':
                t.scale = (args.img_size, args.img_size)
    rows = []
    for ckpt in args.checkpoints:
        model = build_probe_model(cfg, None if ckpt == 'random' else ckpt,
                                  args.seed)
        splits = [extract_features(model, dataset, s, batch_size=128,
                                   bf16=cpu_supports_bf16())
                  for s in ('train', 'val', 'test')]
        rows.append(dict(checkpoint=ckpt,
                         **feature_probe(*splits, c_grid=args.c_grid)))
        r = rows[-1]
        print(f'{ckpt}: accuracy {r["accuracy"]:.2f} % (majority class '
              f'{r["majority_accuracy"]:.2f} %), macro-F1 '
              f'{r["macro_f1"]:.2f} %, grade MAE {r["grade_mae"]:.3f}; val '
              f'macro-F1 {r["val_macro_f1"]:.2f} %, C {r["C"]:g} (val macro-F1 '
              'by C: ' + ', '.join(f'{c:g}: {f:.1f}' for c, f in
                                   r['val_by_c'].items()) + ')', flush=True)
    if args.out:
        atomic_write_text(args.out, json.dumps(rows, indent=2) + '\n')
        print(f'results written to {args.out}')


if __name__ == '__main__':
    main()
