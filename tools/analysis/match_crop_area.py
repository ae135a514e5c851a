"""The crop-area range of the `stock-matched` arm: the stock crop whose mean
area equals GCA's on the same data and maps.

    python tools/analysis/match_crop_area.py STOCK_CONFIG GCA_CONFIG \
        --data-root data/demo [--gaze-map-root MAPS] [--num-images 200]

Prints both mean crop areas (view_stats.py's measurement of the configs'
training views) and the `crop_ratio_range` to put in the stock crop
(configs/benchmark/*_stock_matched_knee.py), found by drawing mmpretrain's
own RandomResizedCrop parameters.
"""
import argparse
import json

import gca_mm  # noqa: F401  (registers modules)
from gca_mm.experiments.crop_area import matched_crop_area


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('stock')
    p.add_argument('gca')
    p.add_argument('--data-root', help="replaces the configs' data root")
    p.add_argument('--gaze-map-root',
                   help="replaces the GCA config's attention map root")
    p.add_argument('--num-images', type=int, default=200)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', help='write the result as JSON here too')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    result = matched_crop_area(args.stock, args.gca, args.data_root,
                               args.gaze_map_root, args.num_images, args.seed)
    print(f'mean crop area: stock {result["stock_area"]:.3f}, GCA '
          f'{result["gca_area"]:.3f}; matched stock crop: crop_ratio_range='
          f'{tuple(result["crop_ratio_range"])} (mean area '
          f'{result["matched_area"]:.3f})')
    if args.out:
        from gca_mm.utils import atomic_write_text
        atomic_write_text(args.out, json.dumps(result, indent=2))


if __name__ == '__main__':
    main()
