"""Inter-reader consistency (leave one reader out): the ceiling for saliency
models, with a centre-bias baseline for context.

    python tools/gaze_ceiling.py data/demo/gaze/fixations.csv \
        --images data/demo --sigma-px 10 --out ceiling.json
"""
import argparse
import json

from gca_mm.evaluation import inter_reader_consistency
from gca_mm.gaze import (DEFAULT_SIGMA_PX, OUTSIDE_POLICIES, ImageSizes,
                         read_generic)
from gca_mm.utils import atomic_write_text


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('gaze_csv', help='fixations in the generic CSV format')
    p.add_argument('--images', required=True, help='root of the image tree')
    sigma = p.add_mutually_exclusive_group()
    sigma.add_argument(
        '--sigma-px',
        type=float,
        help=f'Gaussian sigma in image px (default {DEFAULT_SIGMA_PX})')
    sigma.add_argument(
        '--sigma-deg',
        type=float,
        help='Gaussian sigma in degrees (needs --ppd)')
    p.add_argument('--ppd', type=float, help='pixels per degree')
    p.add_argument('--duration-weighting', action='store_true')
    p.add_argument(
        '--center-sigma',
        type=float,
        default=0.25,
        help='centre-bias sigma as a fraction of each image side')
    p.add_argument('--outside', default='error', choices=OUTSIDE_POLICIES)
    p.add_argument('--out', help='write the report as JSON here')
    args = p.parse_args(argv)
    if args.sigma_deg is not None and args.ppd is None:
        p.error('--sigma-deg needs --ppd (the generic CSV has no pixels per '
                'degree)')
    if args.sigma_deg is None and args.sigma_px is None:
        args.sigma_px = DEFAULT_SIGMA_PX
    return args


def main(argv=None):
    args = parse_args(argv)
    sizes = ImageSizes(args.images)
    table = read_generic(
        args.gaze_csv, image_sizes=sizes, outside=args.outside)
    report = inter_reader_consistency(
        table,
        sizes,
        sigma_px=args.sigma_px,
        sigma_deg=args.sigma_deg,
        ppd=args.ppd,
        duration_weighting=args.duration_weighting,
        center_sigma=args.center_sigma,
        show_progress=True)
    if not report.images:
        raise SystemExit(f'{args.gaze_csv}: no image has two or more readers')
    print()
    print(report.format_table())
    if args.out:
        result = dict(
            report.to_dict(),
            fixations=args.gaze_csv,
            sigma_px=args.sigma_px,
            sigma_deg=args.sigma_deg,
            ppd=args.ppd,
            duration_weighting=args.duration_weighting,
            center_sigma=args.center_sigma)
        atomic_write_text(args.out, json.dumps(result, indent=2) + '\n')
        print(f'report written to {args.out}')


if __name__ == '__main__':
    main()
