"""Pre-training loss of every benchmark / demo cell, by epoch.

    python tools/analysis/pretrain_losses.py work_dirs/benchmark [--out F]

For each cell (``<work dir>/<algorithm>_<arm>_seed<S>/pretrain``) prints the
mean logged loss of the first and the last epoch and the relative change:
whether the self-supervised objective is being learned at that budget.
"""
import argparse
import glob
import json
import os.path as osp

from gca_mm.experiments.benchmark import epoch_losses
from gca_mm.utils import atomic_write_text


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('work_dir', help='a tools/benchmark.py or demo work dir')
    p.add_argument('--out', help='write {cell: {epoch: loss}} as JSON here')
    args = p.parse_args(argv)
    cells = {}
    for pre in sorted(glob.glob(osp.join(args.work_dir, '*', 'pretrain'))):
        losses = epoch_losses(pre)
        if losses:
            cells[osp.basename(osp.dirname(pre))] = losses
    if not cells:
        raise SystemExit(f'no logged pre-training under {args.work_dir}/*/'
                         'pretrain')
    print('| cell | epochs | first-epoch loss | last-epoch loss | change |')
    print('| --- | --- | --- | --- | --- |')
    for name, losses in cells.items():
        first, last = losses[min(losses)], losses[max(losses)]
        print(f'| {name} | {len(losses)} | {first:.4f} | {last:.4f} | '
              f'{100 * (last - first) / abs(first):+.1f} % |')
    if args.out:
        atomic_write_text(args.out, json.dumps(cells, indent=2) + '\n')


if __name__ == '__main__':
    main()
