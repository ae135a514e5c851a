"""Write the GCA version of a config as an explicit config file.

IN is a config with ``runner_type = 'GCARunner'`` and a ``gca`` dict (e.g.
``configs/mocov3_gca_knee.py``) or any stock multi-view config (give the
maps with ``--gaze-map-root``). OUT holds the converted config in full:
``GazeConditionedAugment`` views, ``LoadGazeMap``, no ``runner_type`` and
no ``gca`` dict, so that it can be read, diffed against the stock config
and run by any train script (ours, mmpretrain's, mmselfsup's) without
``GCARunner``.

    python tools/misc/gca_convert_config.py configs/mocov3_gca_knee.py \
        work_dirs/mocov3_gca_knee_explicit.py
    python tools/misc/gca_convert_config.py \
        mmpretrain::simsiam/simsiam_resnet50_8xb32-coslr-100e_in1k.py \
        simsiam_gca.py --gaze-map-root data/maps --gca-options min_attention=0.8
"""
import argparse
import sys

from mmengine.config import Config, DictAction

import gca_mm  # noqa: F401  (registers modules)
from gca_mm.apis import apply_gca
from gca_mm.utils import atomic_write_text


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='the config to convert (IN)')
    p.add_argument('out', help='the explicit GCA config to write (OUT, .py)')
    p.add_argument('--gaze-map-root',
                   help="attention maps (replaces the gca dict's)")
    p.add_argument('--gca-options', nargs='+', action=DictAction,
                   help='GCA arguments replacing those of the gca dict, '
                   'e.g. min_attention=0.8 erase_prob=0')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings before converting')
    args = p.parse_args(argv)
    if not args.out.endswith('.py'):
        p.error(f'OUT must be a .py config file, got {args.out}')
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    gca_args = dict(cfg.get('gca') or {}, **(args.gca_options or {}))
    if args.gaze_map_root is not None:
        gca_args['gaze_map_root'] = args.gaze_map_root
    out = apply_gca(cfg, **gca_args)
    command = ' '.join(['python tools/misc/gca_convert_config.py'] +
                       (sys.argv[1:] if argv is None else list(argv)))
    header = (f'# The GCA version of {args.config}, written by\n'
              f'#   {command}\n'
              '# Explicit: runs with any train script, without GCARunner.\n')
    atomic_write_text(args.out, header + out.pretty_text)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
