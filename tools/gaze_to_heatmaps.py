"""Turn eye-tracking recordings into attention heat maps, one per image.

    python tools/gaze_to_heatmaps.py FIXATIONS --format generic \
        --images data/knee --out data/knee_maps --sigma-px 10
    python tools/gaze_to_heatmaps.py reflacx-1.0.0 --format reflacx \
        --images mimic-cxr-jpg --out maps --suffix .npy --normalize sum
    python tools/gaze_to_heatmaps.py egd-cxr/fixations.csv --format egd-cxr \
        --images mimic-cxr-jpg --out maps

Maps mirror the image tree under --out (16-bit PNG of the 0..1 map, or
float32 .npy). Image sizes are read from the image headers under --images.
REFLACX and EGD-CXR images are found by their dicom_id anywhere under
--images (or through --image-map). See docs/own_gaze_data.md.
"""
import argparse

from gca_mm.gaze import (DEFAULT_SIGMA_PX, FORMATS, NORMALIZATIONS,
                         OUTSIDE_POLICIES, REFLACX_SOURCES, RENDER_METHODS,
                         ImageSizes, ScreenGeometry, image_lookup,
                         read_egd_master_sheet, read_fixations,
                         write_heatmaps)

# REFLACX's reference heat maps (the dataset's generate_heatmaps.py): a
# Gaussian of 1 degree per row and axis, weighted by duration, evaluated
# at the pixel centres, zero outside the shown part of the image, every
# fixation kept
REFLACX_DEFAULTS = dict(
    sigma_deg=1.0,
    duration_weighting=True,
    shown_rect=True,
    render='pdf',
    outside='keep')
OTHER_DEFAULTS = dict(
    sigma_px=DEFAULT_SIGMA_PX,
    duration_weighting=False,
    shown_rect=False,
    render='blur',
    outside='error')


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n', 1)[1])
    p.add_argument(
        'fixations',
        help='fixation file; for --format reflacx the downloaded dataset '
        'folder (or its main_data/), or one reading\'s fixations.csv / '
        'gaze.csv with --image')
    p.add_argument('--format', required=True, choices=FORMATS)
    p.add_argument('--images', required=True, help='root of the image tree')
    p.add_argument('--out', required=True, help='root of the map tree')
    p.add_argument(
        '--image-map',
        help='reflacx, egd-cxr: CSV dicom_id,image (image relative to '
        '--images) instead of finding <dicom_id>.{dcm,jpg,png} under '
        '--images')
    p.add_argument(
        '--image',
        help='reflacx, one reading\'s file: its image, relative to --images')
    p.add_argument(
        '--reflacx-source',
        choices=REFLACX_SOURCES,
        default='fixations',
        help='reflacx dataset folder: main_data/<id>/fixations.csv or '
        'gaze_data/<id>/gaze.csv (raw gaze, one point per sample)')
    p.add_argument(
        '--sample-ms',
        type=float,
        default=1.0,
        help='reflacx gaze.csv: duration of one sample in ms (1000 Hz: 1)')
    sigma = p.add_mutually_exclusive_group()
    sigma.add_argument(
        '--sigma-px',
        type=float,
        help=f'Gaussian sigma in image px (default {DEFAULT_SIGMA_PX}; '
        'reflacx: 1 degree)')
    sigma.add_argument(
        '--sigma-deg',
        type=float,
        help='Gaussian sigma in degrees of visual angle (needs pixels per '
        'degree: REFLACX rows, or --ppd)')
    p.add_argument(
        '--ppd', type=float, help='pixels per degree for --sigma-deg')
    p.add_argument(
        '--duration-weighting',
        action=argparse.BooleanOptionalAction,
        help='weight each fixation by its duration (default: on for '
        'reflacx, off otherwise)')
    p.add_argument(
        '--shown-rect',
        action=argparse.BooleanOptionalAction,
        help='zero each Gaussian outside the part of the image on screen '
        '(REFLACX records it; default: on for reflacx)')
    p.add_argument(
        '--render',
        choices=RENDER_METHODS,
        help='pdf: Gaussians evaluated at the pixel centres (exact, the '
        'REFLACX reference; default for reflacx); blur: splat + blur '
        '(default otherwise)')
    p.add_argument('--suffix', default='.png', choices=('.png', '.npy'))
    p.add_argument(
        '--normalize',
        default='max',
        choices=NORMALIZATIONS,
        help='max: maximum 1 (default); sum: sum 1 as REFLACX\'s reference '
        '(.npy only)')
    p.add_argument(
        '--outside',
        choices=OUTSIDE_POLICIES,
        help='fixations outside their image: clip, drop, error (default) or '
        'keep (with --render pdf; default for reflacx)')
    p.add_argument(
        '--reader',
        help='reader id (egd-cxr, toolkit, one reflacx reading; default per '
        'format)')
    p.add_argument(
        '--master-sheet',
        help='egd-cxr: the dataset\'s master_sheet.csv with each image\'s '
        'place on screen (default: beside the fixations file)')
    p.add_argument(
        '--screen-size',
        type=int,
        nargs=2,
        metavar=('W', 'H'),
        help='egd-cxr: give the geometry yourself instead of the master '
        'sheet: the screen size in px (default 1920 1080 with --image-rect)')
    p.add_argument(
        '--image-rect',
        type=float,
        nargs=4,
        metavar=('LEFT', 'TOP', 'RIGHT', 'BOTTOM'),
        help='egd-cxr: where every image was shown on screen (with '
        '--screen-size alone: fitted and centred)')
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
    if args.format == 'reflacx':
        defaults = REFLACX_DEFAULTS
    else:
        defaults = OTHER_DEFAULTS
        if args.image:
            p.error('--image applies to --format reflacx')
        if args.image_map and args.format != 'egd-cxr':
            p.error('--image-map applies to --format reflacx and egd-cxr')
    if args.sigma_px is None and args.sigma_deg is None:
        args.sigma_px = defaults.get('sigma_px')
        args.sigma_deg = defaults.get('sigma_deg')
    for name in ('duration_weighting', 'shown_rect', 'render', 'outside'):
        if getattr(args, name) is None:
            setattr(args, name, defaults[name])
    if args.outside == 'keep' and args.render != 'pdf':
        p.error('--outside keep needs --render pdf (the blur renders only '
                'fixations on the image)')
    if args.normalize == 'sum' and args.suffix != '.npy':
        p.error('--normalize sum needs --suffix .npy')
    if args.format != 'egd-cxr' and (args.master_sheet or args.screen_size
                                     or args.image_rect):
        p.error('--master-sheet, --screen-size and --image-rect apply to '
                '--format egd-cxr')
    return args


def egd_geometry(args):
    """The geometry the arguments ask for; None: the master sheet beside
    the fixations file."""
    if args.screen_size or args.image_rect:
        if args.master_sheet:
            raise SystemExit('give either --master-sheet or --screen-size/'
                             '--image-rect, not both')
        return ScreenGeometry(
            tuple(args.screen_size or (1920, 1080)),
            tuple(args.image_rect) if args.image_rect else None)
    if args.master_sheet:
        return read_egd_master_sheet(args.master_sheet)
    return None


def read_table(args, sizes):
    kwargs = dict(image_sizes=sizes, outside=args.outside)
    if args.format == 'reflacx':
        if args.image:
            kwargs.update(image=args.image, reader=args.reader)
            if args.fixations.endswith('gaze.csv'):
                kwargs['sample_ms'] = args.sample_ms
        else:
            kwargs.update(
                images_root=args.images,
                image_map=args.image_map,
                source=args.reflacx_source,
                sample_ms=args.sample_ms)
    elif args.format == 'egd-cxr':
        kwargs.update(
            geometry=egd_geometry(args),
            image_ids=image_lookup(args.images, args.image_map))
    elif args.format == 'toolkit':
        kwargs.update(scale=args.scale, display_height=args.display_height)
    if args.reader and args.format in ('egd-cxr', 'toolkit'):
        kwargs['reader'] = args.reader
    return read_fixations(args.fixations, args.format, **kwargs)


def main(argv=None):
    args = parse_args(argv)
    sizes = ImageSizes(args.images)
    table = read_table(args, sizes)
    if not len(table):
        raise SystemExit(f'no fixations left in {args.fixations} '
                         f'({table.counts()})')
    paths = write_heatmaps(
        table,
        sizes,
        args.out,
        sigma_px=args.sigma_px,
        sigma_deg=args.sigma_deg,
        ppd=args.ppd,
        duration_weighting=args.duration_weighting,
        suffix=args.suffix,
        method=args.render,
        use_shown=args.shown_rect,
        normalize=args.normalize)
    c = table.counts()
    print(f'\nimages: {len(table.images())}  readers: '
          f'{len(table.readers())}  fixations: {len(table)}  clipped: '
          f'{c["n_clipped"]}  dropped: {c["n_dropped"]}  invalid: '
          f'{c["n_invalid"]}  discarded readings: {c["n_discarded"]}  '
          f'without an image: {c["n_unmatched"]}')
    print(f'rendering: sigma {args.sigma_deg} deg' if args.sigma_deg else
          f'rendering: sigma {args.sigma_px} px', f'| {args.render}',
          f'| duration weighting {"on" if args.duration_weighting else "off"}',
          f'| shown rectangle {"on" if args.shown_rect else "off"}',
          f'| outside: {args.outside} | normalised to {args.normalize} 1')
    print(f'maps written: {len(paths)} under {args.out}')


if __name__ == '__main__':
    main()
