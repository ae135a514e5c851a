"""Print the effective config: what the runner builds from CONFIG.

A config with ``runner_type = 'GCARunner'`` is printed as that runner
converts it (``gca_mm.apis.effective_config``: its views made by
``GazeConditionedAugment``, ``LoadGazeMap`` inserted), which mmengine's own
``print_config`` cannot show. ``tools/train.py`` also adapts the optimiser
wrapper and the distributed backend to the machine (``--amp``, no GPU);
that is left out here.

    python tools/misc/print_config.py configs/mocov3_gca_knee.py \
        [--cfg-options key=value ...] [--gca-options min_attention=0.8 ...]
"""
import argparse

from mmengine.config import Config, DictAction

import gca_mm  # noqa: F401  (registers modules)
from gca_mm.apis import effective_config


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='config file path')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings first, as tools/train.py')
    p.add_argument('--gca-options', nargs='+', action=DictAction,
                   help='GCA arguments replacing those of the gca dict')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    effective = effective_config(cfg, **(args.gca_options or {}))
    if cfg.get('runner_type') == 'GCARunner':
        print(f'# {args.config} as GCARunner runs it (views made by '
              'GazeConditionedAugment)')
    print(effective.pretty_text)


if __name__ == '__main__':
    main()
