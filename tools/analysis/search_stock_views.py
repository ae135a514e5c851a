"""Search the `stock-tuned` arm on val: the stock views' crop-area range and
a cutout (the paper's "Searched"), one pre-training cell per candidate.

    python tools/analysis/search_stock_views.py --algorithm byol \
        --data-root data/bench --no-amp [--crop-lows 0.08 0.2 0.35 0.5] \
        [--cutout-sides none 0.214] [--epochs 90]

Each candidate is pre-trained once (seed 0, the benchmark's budget, as
`tools/benchmark.py` trains a cell) and probed; the one with the best
**val** macro-F1 (ties: lower val MAE, then the more stock-like) is written
to configs/benchmark/<algorithm>_stock_tuned_knee.py with every candidate's
val figures in its header. Resumable: finished candidates are read back.
8 candidates of 7-11 min each on the 2-core CPU of docs/cpu_training.md;
SimCLR's took 17.4-19.2 min each in fp32 on the benchmark's 2-core EPYC
(AVX2 only, 2026-12-06).
"""
import argparse
import os.path as osp
import sys

import gca_mm  # noqa: F401  (registers modules)
from gca_mm.experiments.benchmark import ALGORITHMS, Budget, Prober
from gca_mm.experiments.stock_search import (CROP_LOWER_BOUNDS,
                                             CUTOUT_SIDES, candidates,
                                             search_stock_views)

HERE = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(osp.dirname(HERE), 'configs')
DEFAULT = Budget()


def _side(text):
    return None if text.lower() == 'none' else float(text)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--algorithm', required=True, choices=ALGORITHMS)
    p.add_argument('--data-root', default='data/bench')
    p.add_argument('--crop-lows', nargs='+', type=float,
                   default=list(CROP_LOWER_BOUNDS))
    p.add_argument('--cutout-sides', nargs='+', type=_side,
                   default=list(CUTOUT_SIDES),
                   help='fractions of the view side; "none": no cutout')
    p.add_argument('--epochs', type=int, default=DEFAULT.epochs)
    p.add_argument('--batch-size', type=int, default=DEFAULT.batch_size)
    p.add_argument('--img-size', type=int, default=DEFAULT.img_size)
    p.add_argument('--probe-size', type=int, default=DEFAULT.probe_size)
    p.add_argument('--no-amp', action='store_true')
    p.add_argument('--config-dir', default=CONFIGS)
    p.add_argument('--cache-dir', default='work_dirs/decoded_cache')
    p.add_argument('--work-dir', default=None,
                   help='default: work_dirs/stock_search/<algorithm>')
    p.add_argument('--out', default=None,
                   help='default: <config-dir>/benchmark/'
                   '<algorithm>_stock_tuned_knee.py')
    args = p.parse_args(argv)
    if not osp.isdir(args.data_root):
        p.error(f'--data-root {args.data_root} does not exist; make it with '
                'tools/make_demo_data.py')
    args.work_dir = args.work_dir or osp.join('work_dirs', 'stock_search',
                                              args.algorithm)
    args.out = args.out or osp.join(args.config_dir, 'benchmark',
                                    f'{args.algorithm}_stock_tuned_knee.py')
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    budget = Budget(epochs=args.epochs, img_size=args.img_size,
                    batch_size=args.batch_size,
                    amp=DEFAULT.amp and not args.no_amp, curve_every=0,
                    probe_size=args.probe_size)
    prober = Prober(budget, args.data_root, args.config_dir, args.cache_dir)
    cands = candidates(args.crop_lows, args.cutout_sides)
    best, results = search_stock_views(
        args.algorithm, budget, args.data_root, args.work_dir,
        args.config_dir, args.out, cands,
        command='python tools/analysis/search_stock_views.py ' +
        ' '.join(argv), tools=HERE, prober=prober, cache_dir=args.cache_dir)
    print('candidate | val accuracy / macro-F1 / MAE')
    for r in results:
        mark = '  <- chosen' if r is best else ''
        print(f'{r["candidate"]} | {r["val_accuracy"]:.2f} / '
              f'{r["val_macro_f1"]:.2f} / {r["val_grade_mae"]:.3f}{mark}')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
