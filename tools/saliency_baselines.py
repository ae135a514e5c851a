"""Score the centre-bias and mean-map baselines of a saliency config on its
held-out images with gaze (same metric code and images as tools/test.py).

    python tools/saliency_baselines.py configs/gaze_saliency_resnet18_knee.py \
        [--split test] [--out baselines.json] [--cfg-options key=value ...]
"""
import argparse
import json

from mmengine.config import Config, DictAction

import gca_mm  # noqa: F401  (registers modules)
from gca_mm.evaluation import evaluate_saliency_baselines
from gca_mm.utils import atomic_write_text

METRICS = ('cc', 'kld', 'nss', 'sim', 'auc_judd')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='saliency model config')
    p.add_argument(
        '--split',
        help="held-out split (default: the test dataloader's, e.g. test)")
    p.add_argument('--out', help='write the scores as JSON here')
    p.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. data_root=...')
    return p.parse_args(argv)


def format_table(result):
    """Markdown table of the two baselines' mean scores."""
    lines = ['| baseline | ' + ' | '.join(METRICS) + ' |',
             '|---' * (len(METRICS) + 1) + '|']
    sigma = result['center_bias']['sigma']
    for name, label in (('center_bias', f'centre bias (sigma {sigma:g})'),
                        ('mean_map', 'mean train map')):
        scores = result[name]
        lines.append(f'| {label} | ' + ' | '.join(
            f'{scores[m]:.3f}' if m in scores else '-'
            for m in METRICS) + ' |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    result = evaluate_saliency_baselines(cfg, split=args.split)
    print(f'{result["num_train"]} train / {result["num_test"]} held-out '
          'images with gaze')
    print(format_table(result))
    if args.out:
        atomic_write_text(args.out, json.dumps(result, indent=2) + '\n')
        print(f'scores written to {args.out}')


if __name__ == '__main__':
    main()
