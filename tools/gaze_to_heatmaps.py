"""Turn eye-tracking fixations into attention heat maps, one per image.

    python tools/gaze_to_heatmaps.py FIXATIONS --format generic \
        --images data/knee --out data/knee_maps --sigma-px 10

Maps mirror the image tree under --out (16-bit PNG of the 0..1 map, or
float32 .npy). Image sizes are read from the image headers under --images.
"""
import argparse

from gca_mm.gaze import (DEFAULT_SIGMA_PX, FORMATS, OUTSIDE_POLICIES,
                         ImageSizes, ScreenGeometry, read_fixations,
                         write_heatmaps)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        'fixations',
        help='fixation file (for --format reflacx also a folder of '
        '<reader>/<image>/fixations.csv)')
    p.add_argument('--format', required=True, choices=FORMATS)
    p.add_argument('--images', required=True, help='root of the image tree')
    p.add_argument('--out', required=True, help='root of the map tree')
    sigma = p.add_mutually_exclusive_group()
    sigma.add_argument(
        '--sigma-px',
        type=float,
        help=f'Gaussian sigma in image px (default {DEFAULT_SIGMA_PX})')
    sigma.add_argument(
        '--sigma-deg',
        type=float,
        help='Gaussian sigma in degrees of visual angle (needs pixels per '
        'degree: REFLACX rows, or --ppd)')
    p.add_argument(
        '--ppd', type=float, help='pixels per degree for --sigma-deg')
    p.add_argument(
        '--duration-weighting',
        action='store_true',
        help='weight each fixation by its duration')
    p.add_argument('--suffix', default='.png', choices=('.png', '.npy'))
    p.add_argument(
        '--outside',
        default='error',
        choices=OUTSIDE_POLICIES,
        help='fixations outside their image: clip, drop or error')
    p.add_argument(
        '--reader', help='reader id (egd-cxr, toolkit; default per format)')
    p.add_argument(
        '--screen-size',
        type=int,
        nargs=2,
        default=(1920, 1080),
        metavar=('W', 'H'),
        help='egd-cxr: screen size in px')
    p.add_argument(
        '--image-rect',
        type=float,
        nargs=4,
        metavar=('LEFT', 'TOP', 'RIGHT', 'BOTTOM'),
        help='egd-cxr: where the image was shown on screen (default: '
        'fitted and centred)')
    p.add_argument(
        '--display-height',
        type=int,
        default=800,
        help='toolkit: height in px at which images were shown')
    p.add_argument(
        '--scale',
        type=float,
        help='toolkit: image px per shown px (default: image height / '
        '--display-height)')
    args = p.parse_args(argv)
    if args.ppd is not None and args.sigma_deg is None:
        p.error('--ppd only applies with --sigma-deg')
    if args.sigma_deg is None and args.sigma_px is None:
        args.sigma_px = DEFAULT_SIGMA_PX
    return args


def main(argv=None):
    args = parse_args(argv)
    sizes = ImageSizes(args.images)
    kwargs = dict(image_sizes=sizes, outside=args.outside)
    if args.format == 'egd-cxr':
        kwargs['geometry'] = ScreenGeometry(
            tuple(args.screen_size),
            tuple(args.image_rect) if args.image_rect else None)
    if args.format == 'toolkit':
        kwargs.update(scale=args.scale, display_height=args.display_height)
    if args.reader and args.format in ('egd-cxr', 'toolkit'):
        kwargs['reader'] = args.reader
    table = read_fixations(args.fixations, args.format, **kwargs)
    if not len(table):
        raise SystemExit(f'no fixations left in {args.fixations}')
    paths = write_heatmaps(
        table,
        sizes,
        args.out,
        sigma_px=args.sigma_px,
        sigma_deg=args.sigma_deg,
        ppd=args.ppd,
        duration_weighting=args.duration_weighting,
        suffix=args.suffix)
    print(f'\nimages: {len(table.images())}  readers: '
          f'{len(table.readers())}  fixations: {len(table)}  clipped: '
          f'{table.n_clipped}  dropped: {table.n_dropped}  invalid: '
          f'{table.n_invalid}')
    print(f'maps written: {len(paths)} under {args.out}')


if __name__ == '__main__':
    main()
