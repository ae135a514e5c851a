"""Choose the fine-tune's learning rate, epochs and image size on val.

    python tools/analysis/search_finetune.py CHECKPOINT --data-root data/bench \
        [--lrs 3e-3 1e-3 3e-4] [--epochs 15 30] [--sizes 64] \
        [--fractions 100 10] [--work-dir work_dirs/finetune_search]

CHECKPOINT is a pre-training checkpoint of the benchmark (e.g. the stock
arm's, seed 0: work_dirs/benchmark_cpu/mocov3_stock_seed0/pretrain/
epoch_90.pth). Every (lr, epochs, size) fine-tunes it with
configs/finetune_knee.py at each label fraction; the one with the best mean
**val** macro-F1 (ties: lower val MAE, then the earlier) is printed as the
tools/benchmark.py options that use it, and written with every candidate's
val figures to <work-dir>/search.json. Test figures are not read.
Resumable: finished fine-tunes are read back.
"""
import argparse
import json
import os.path as osp
import sys
from dataclasses import asdict

import gca_mm  # noqa: F401  (registers modules)
from gca_mm.experiments.finetune import search_finetune
from gca_mm.utils import atomic_write_text, native_mixed_precision

HERE = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(osp.dirname(HERE), 'configs')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('checkpoint', help='a pre-training checkpoint')
    p.add_argument('--data-root', default='data/bench')
    p.add_argument('--lrs', nargs='+', type=float, default=[3e-3, 1e-3, 3e-4])
    p.add_argument('--epochs', nargs='+', type=int, default=[15, 30])
    p.add_argument('--sizes', nargs='+', type=int, default=[64])
    p.add_argument('--fractions', nargs='+', type=float, default=[100, 10])
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--no-amp', action='store_true')
    p.add_argument('--config-dir', default=CONFIGS)
    p.add_argument('--cache-dir', default='work_dirs/decoded_cache')
    p.add_argument('--work-dir', default='work_dirs/finetune_search')
    args = p.parse_args(argv)
    if not osp.isfile(args.checkpoint):
        p.error(f'checkpoint {args.checkpoint} does not exist')
    if not osp.isdir(args.data_root):
        p.error(f'--data-root {args.data_root} does not exist')
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    chosen, candidates = search_finetune(
        args.checkpoint, args.data_root, args.work_dir, args.lrs,
        args.epochs, args.sizes, args.fractions, args.seed, args.config_dir,
        HERE, args.cache_dir, native_mixed_precision() and not args.no_amp)
    rows = [dict(settings=asdict(c['settings']),
                 val={pct: {k: r[k] for k in ('val_accuracy', 'val_macro_f1',
                                              'val_grade_mae', 'best_epoch')}
                      for pct, r in c['results'].items()})
            for c in candidates]
    atomic_write_text(osp.join(args.work_dir, 'search.json'), json.dumps(dict(
        command='python tools/analysis/search_finetune.py ' + ' '.join(argv),
        checkpoint=args.checkpoint, chosen=asdict(chosen['settings']),
        candidates=rows), indent=2))
    print('lr | epochs | size | val macro-F1 per label fraction')
    for row in rows:
        s = row['settings']
        print(f"{s['lr']:g} | {s['epochs']} | {s['img_size']} | " + ', '.join(
            f"{pct} %: {v['val_macro_f1']:.2f}" for pct, v in
            row['val'].items()))
    s = chosen['settings']
    print(f'chosen on val: --finetune --finetune-lr {s.lr:g} '
          f'--finetune-epochs {s.epochs} --finetune-size {s.img_size}')


if __name__ == '__main__':
    main()
