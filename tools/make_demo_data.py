"""Generate the synthetic knee demo data set (layout: docs/data_formats.md).

Examples:
    python tools/make_demo_data.py data/demo --num-images 1500 --seed 0
    # the benchmark's data: a test split of 3,000 images (standard error
    # of a test accuracy <= 0.91 points)
    python tools/make_demo_data.py data/bench --num-images 5000 \
        --split-fractions 0.30 0.10 0.60

With gaze (default): simulated readers for ``--gaze-fraction`` of the images
of each split, written to ``OUT_DIR/gaze/`` (``fixations.csv`` and maps).
"""
import argparse

from gca_mm.demo import (format_counts_table, make_demo_dataset,
                         make_demo_gaze)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate synthetic AP knee radiographs with KL grades '
        'and a findings table.')
    parser.add_argument('out_dir', help='output folder (new or empty)')
    parser.add_argument('--num-images', type=int, default=1500)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--image-size', type=int, default=224)
    parser.add_argument(
        '--split-fractions', type=float, nargs=3, default=None,
        metavar=('TRAIN', 'VAL', 'TEST'),
        help='relative sizes of the splits (default: the public data set\'s '
        '0.70 0.10 0.20); grades keep the public class proportions in '
        'every split')
    parser.add_argument(
        '--gaze-fraction', type=float, default=0.12,
        help='share of images with simulated gaze (674 of 5,778 in the '
        'paper\'s data); 0 writes no gaze')
    parser.add_argument('--gaze-readers', type=int, default=3,
                        help='simulated readers per image with gaze')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        summary = make_demo_dataset(
            args.out_dir,
            num_images=args.num_images,
            seed=args.seed,
            image_size=args.image_size,
            **({} if args.split_fractions is None else dict(
                split_fractions=args.split_fractions)))
    except FileExistsError as e:
        raise SystemExit(f'error: {e}')
    action = 'Found complete' if summary['reused'] else 'Wrote'
    print(f'{action} demo data in {args.out_dir}: {args.num_images} images, '
          f'{summary["num_findings"]} findings rows')
    print(format_counts_table(summary['counts']))
    if args.gaze_fraction > 0:
        gaze = make_demo_gaze(args.out_dir, fraction=args.gaze_fraction,
                              readers=args.gaze_readers, seed=args.seed)
        action = 'Found complete' if gaze['reused'] else 'Wrote'
        print(f'{action} simulated gaze: {gaze["n_images"]} images, '
              f'{gaze["n_fixations"]} fixations by {args.gaze_readers} '
              f'readers each, in {args.out_dir}/gaze')


if __name__ == '__main__':
    main()
