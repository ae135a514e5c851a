"""Compare stock and GCA views: attention kept, findings surviving the crop,
throughput of the training pipelines.

    python tools/analysis/view_stats.py [--stock configs/mocov3_knee.py] \
        [--gca configs/mocov3_gca_knee.py] --data-root data/demo \
        [--gaze-map-root MAPS] [--gaze-map-suffix .png] [--split train] \
        [--num-images 200] [--views-per-image 4] [--seed 0] \
        [--throughput-images 60] [--throughput-rounds 5] \
        [--out report.json] [--plot hist.png]

Attention kept = fraction of the image's attention map mass inside a view's
crop box. A finding survives a view when >= --survival-fraction of its box
lies inside the crop box (``findings.csv`` of the data root, when present).
Throughput: the full stock and GCA training pipelines on the same images,
one thread, timed in interleaved rounds.
"""
import argparse
import json

import gca_mm  # noqa: F401  (registers modules)
from gca_mm.experiments import (SURVIVAL_FRACTION, format_report,
                             plot_attention_histogram, view_statistics)
from gca_mm.utils import atomic_write_text


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--stock', default='configs/mocov3_knee.py')
    p.add_argument('--gca', default='configs/mocov3_gca_knee.py')
    p.add_argument('--data-root', help="replaces the configs' data root")
    p.add_argument('--gaze-map-root',
                   help="replaces the GCA config's attention map root")
    p.add_argument('--gaze-map-suffix',
                   help="replaces the GCA config's map extension (.png, .npy)")
    p.add_argument('--split', help="replaces the configs' split")
    p.add_argument('--num-images', type=int, default=200,
                   help='images sampled among those with a map; 0 for all')
    p.add_argument('--views-per-image', type=int, default=4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--findings', default='auto',
                   help="findings.csv ('auto': <data root>/findings.csv if "
                   "present; 'none' to skip)")
    p.add_argument('--keep-threshold', type=float, default=0.9,
                   help='report the share of views keeping at least this')
    p.add_argument('--survival-fraction', type=float,
                   default=SURVIVAL_FRACTION)
    p.add_argument('--throughput-images', type=int, default=0,
                   help='images to time the training pipelines on (0: skip)')
    p.add_argument('--throughput-rounds', type=int, default=5)
    p.add_argument('--out', help='write the report as JSON here')
    p.add_argument('--plot', help='write a histogram of attention kept here')
    args = p.parse_args(argv)
    if args.num_images < 0 or args.views_per_image < 1 \
            or args.throughput_images < 0 or args.throughput_rounds < 1:
        p.error('--num-images and --throughput-images must be >= 0, '
                '--views-per-image and --throughput-rounds >= 1')
    return args


def main(argv=None):
    args = parse_args(argv)
    report = view_statistics(
        args.stock, args.gca, data_root=args.data_root,
        gaze_map_root=args.gaze_map_root, split=args.split,
        gaze_map_suffix=args.gaze_map_suffix,
        num_images=args.num_images or None,
        views_per_image=args.views_per_image, seed=args.seed,
        findings=None if args.findings == 'none' else args.findings,
        keep_threshold=args.keep_threshold,
        survival_fraction=args.survival_fraction,
        throughput_images=args.throughput_images,
        throughput_rounds=args.throughput_rounds, show_progress=True)
    print()
    print(format_report(report))
    if args.out:
        atomic_write_text(args.out, json.dumps(report, indent=2) + '\n')
        print(f'report written to {args.out}')
    if args.plot:
        plot_attention_histogram(report, args.plot)
        print(f'histogram written to {args.plot}')


if __name__ == '__main__':
    main()
