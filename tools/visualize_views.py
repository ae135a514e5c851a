"""Draw stock and GCA views of one X-ray side by side.

    python tools/visualize_views.py [CONFIG_STOCK] [CONFIG_GCA] \
        --image PATH_OR_INDEX [--data-root ROOT] [--gaze-map-root MAPS] \
        [--gaze-map-suffix .png] [--split train] [--num-views 4] [--seed 0] \
        --out views.png

CONFIG_STOCK / CONFIG_GCA default to configs/mocov3_knee.py and
configs/mocov3_gca_knee.py. The image is an index among the training images
that have an attention map, or an image path (absolute or relative to the
data root). The figure shows the X-ray with its attention map and findings
(``findings.csv`` of the data root, when present), every view's crop box, a
row of stock views and a row of GCA views, each titled with the fraction of
attention its crop keeps.
"""
import argparse

import gca_mm  # noqa: F401  (registers modules)
from gca_mm.experiments import figure_size, visualize_views


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('stock', nargs='?', default='configs/mocov3_knee.py',
                   help='stock config (default: %(default)s)')
    p.add_argument('gca', nargs='?', default='configs/mocov3_gca_knee.py',
                   help='GCA config (default: %(default)s)')
    p.add_argument('--image', default='0',
                   help='index among the images with a map, or image path '
                   '(default: %(default)s)')
    p.add_argument('--data-root', help="replaces the configs' data root")
    p.add_argument('--gaze-map-root',
                   help="replaces the GCA config's attention map root")
    p.add_argument('--gaze-map-suffix',
                   help="replaces the GCA config's map extension (.png, .npy)")
    p.add_argument('--split', help="replaces the configs' split")
    p.add_argument('--num-views', type=int, default=4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--panel-px', type=int, default=160,
                   help='width of one view panel in pixels')
    p.add_argument('--out', required=True, help='PNG to write')
    args = p.parse_args(argv)
    if args.num_views < 1 or args.panel_px < 16:
        p.error('--num-views must be >= 1 and --panel-px >= 16')
    return args


def main(argv=None):
    args = parse_args(argv)
    visualize_views(args.stock, args.gca, image=args.image,
                    data_root=args.data_root,
                    gaze_map_root=args.gaze_map_root, split=args.split,
                    gaze_map_suffix=args.gaze_map_suffix,
                    num_views=args.num_views, seed=args.seed, out=args.out,
                    panel_px=args.panel_px)
    width, height = figure_size(args.num_views, args.panel_px)
    print(f'{width}x{height} figure written to {args.out}')


if __name__ == '__main__':
    main()
