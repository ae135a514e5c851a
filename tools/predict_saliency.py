"""Predict an attention map for every image with a trained saliency model.

    python tools/predict_saliency.py CONFIG CHECKPOINT --data-root ROOT \
        --out OUT [--split train val test | --ann-file F] [--batch-size 32] \
        [--suffix .png|.npy] [--device cpu|cuda]

Maps mirror the image tree under OUT at the original image size (16-bit
PNG, 0..1, or float32 .npy). Maps already in OUT are kept: rerun the same
command after an interruption to finish the rest.
"""
import argparse

from mmengine.config import Config

import gca_mm  # noqa: F401  (registers modules, safe checkpoint loading)
from gca_mm.apis import predict_saliency_maps
from gca_mm.apis.saliency_inference import config_splits


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='saliency model config')
    p.add_argument('checkpoint', help='trained weights')
    p.add_argument('--data-root', required=True, help='image root')
    p.add_argument('--out', required=True, help='root of the map tree')
    images = p.add_mutually_exclusive_group()
    images.add_argument(
        '--split', nargs='+',
        help="split folder(s) below the data root (default: the config's "
        'train/val/test splits; none there: all images below the data root '
        'except under --out)')
    images.add_argument(
        '--ann-file', default='',
        help='CSV with a path column (relative to the data root)')
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--num-workers', type=int, default=2)
    p.add_argument('--suffix', default='.png', choices=('.png', '.npy'))
    p.add_argument('--device', choices=('cpu', 'cuda'),
                   help='default: cuda when available')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    split = args.split
    if split is None and not args.ann_file:
        split = config_splits(cfg)
    summary = predict_saliency_maps(
        cfg,
        args.checkpoint,
        args.data_root,
        args.out,
        split=split,
        ann_file=args.ann_file,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        suffix=args.suffix,
        device=args.device)
    print(f'\n{summary["written"]} maps written, {summary["skipped"]} '
          f'already present (skipped), in {args.out}')
    if summary['written']:
        print(f'{summary["images_per_s"]:.1f} images/s '
              f'({summary["seconds"]:.1f} s, model build excluded)')


if __name__ == '__main__':
    main()
