"""Do predicted attention maps fall on the findings? Finding-attention
measures of saliency models, the baselines and the readers' own maps.

    python tools/analysis/saliency_findings.py \
        [--config configs/gaze_saliency_resnet18_knee.py] \
        [--model NAME CONFIG CHECKPOINT ...] [--maps NAME DIR ...] \
        [--split test] [--findings FINDINGS.csv] [--no-baselines] \
        [--out PREFIX] [--cfg-options key=value ...]

The images: the held-out split of ``--config`` (its test dataloader,
``--split`` overriding the split) that have a gaze map, as scored by
``tools/test.py`` and ``tools/saliency_baselines.py``. Per map, on those with
at least one lesion in ``findings.csv`` (default: ``<data root>/
findings.csv``; landmark rows of kind ``compartment`` are not lesions):
mass in the lesion boxes, its ratio to their area share (1.0 = no better
than a uniform map) and the boxes' share above the map's median (and, as a
stricter variant, above its 90th percentile)
(``gca_mm.evaluation.finding_attention``). Also the five saliency metrics
over all those images (``SaliencyMetric``, as ``tools/test.py``), except for
the readers' maps, which are the target.

Maps:

- ``--model NAME CONFIG CHECKPOINT``: predicted with
  ``gca_mm.apis.predict_saliency_maps`` (the config's test pipeline, maps at
  the original image size) into a temporary folder;
- ``--maps NAME DIR``: maps already predicted (``tools/predict_saliency.py``
  layout, ``.png`` or ``.npy``);
- unless ``--no-baselines``: the mean training map and the centre bias with
  the sigma fitted on the training maps (``tools/saliency_baselines.py``),
  and the readers' own (reader-averaged) gaze maps of the images.

Writes ``PREFIX.json`` (summary, per-image values) and ``PREFIX.md`` (the
table), each atomically.
"""
import argparse
import json
import os
import os.path as osp
import tempfile

import numpy as np
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

import gca_mm  # noqa: F401  (registers modules)
from gca_mm.apis import predict_saliency_maps
from gca_mm.datasets.transforms.gca_functional import resize_map
from gca_mm.evaluation import (SaliencyMetric, above_quantile_share,
                               center_bias_map, finding_attention,
                               fit_center_sigma, load_lesion_boxes,
                               mean_gaze_map, summarize_finding_attention)
from gca_mm.evaluation.finding_attention import MEASURES
from gca_mm.evaluation.saliency_baselines import (gaze_dataset_cfg,
                                                  gaze_samples)
from gca_mm.gaze.heatmap import MAP_SUFFIXES, heatmap_path, load_heatmap
from gca_mm.utils import atomic_write_text

METRICS = ('cc', 'kld', 'nss', 'sim', 'auc_judd')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config',
                   default='configs/gaze_saliency_resnet18_knee.py',
                   help='saliency config whose data (train maps for the '
                   'baselines, held-out images) is used')
    p.add_argument('--model', nargs=3, action='append', default=[],
                   metavar=('NAME', 'CONFIG', 'CHECKPOINT'),
                   help='a trained saliency model (repeatable)')
    p.add_argument('--maps', nargs=2, action='append', default=[],
                   metavar=('NAME', 'DIR'),
                   help='a folder of predicted maps (repeatable)')
    p.add_argument('--split', help="held-out split (default: the test "
                   "dataloader's)")
    p.add_argument('--findings', help='findings table (default: '
                   '<data root of the held-out images>/findings.csv)')
    p.add_argument('--no-baselines', action='store_true',
                   help='leave out the mean map, centre bias and readers')
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--num-workers', type=int, default=2)
    p.add_argument('--out', help='write PREFIX.json and PREFIX.md')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override settings of --config')
    args = p.parse_args(argv)
    names = [m[0] for m in args.model] + [m[0] for m in args.maps]
    if len(set(names)) != len(names):
        p.error(f'map names must be distinct, got {names}')
    if not names and args.no_baselines:
        p.error('nothing to measure: give --model or --maps, or drop '
                '--no-baselines')
    return args


def _rel(img_path, data_root):
    return osp.relpath(img_path, data_root).replace(os.sep, '/')


def _map_file(map_dir, rel):
    for suffix in MAP_SUFFIXES:
        path = heatmap_path(map_dir, rel, suffix)
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'no map of {rel} in {map_dir} (looked for '
        f'{", ".join(heatmap_path(map_dir, rel, s) for s in MAP_SUFFIXES)})')


def _folder_maps(map_dir, data_root):
    return lambda sample: load_heatmap(
        _map_file(map_dir, _rel(sample['img_path'], data_root)))


def _predicted_maps(name, config, checkpoint, data_root, samples, tmp, args):
    """Predict the maps of ``samples`` with one model into ``tmp``."""
    ann = osp.join(tmp, f'{name}_images.csv')
    with open(ann, 'w') as f:
        f.write('path\n' + ''.join(
            _rel(s['img_path'], data_root) + '\n' for s in samples))
    out = osp.join(tmp, name)
    stats = predict_saliency_maps(
        config, checkpoint, data_root, out, ann_file=ann,
        batch_size=args.batch_size, num_workers=args.num_workers,
        suffix='.npy', device='cpu', show_progress=False)
    print(f'{name}: {stats["written"]} maps predicted in '
          f'{stats["seconds"]:.1f} s', flush=True)
    return _folder_maps(out, data_root)


def measure(name, make_map, samples, boxes, with_metrics=True):
    """Finding attention (images with lesions) and saliency metrics (all
    ``samples``) of the maps ``make_map(sample)``."""
    metric = SaliencyMetric(prefix='')
    per_image = []
    for sample in samples:
        gt = np.asarray(sample['gt_saliency'])
        shape = gt.shape[-2:]
        pred = np.asarray(make_map(sample), dtype=np.float32)
        if with_metrics:
            metric.process(None, [dict(
                sample, pred_saliency_ori=pred if pred.shape == shape else
                resize_map(pred, (shape[1], shape[0])))])
        lesions = boxes[sample['rel']]
        if lesions:
            image_shape = sample.get('ori_shape', shape)[:2]
            per_image.append(dict(
                finding_attention(pred, lesions, image_shape),
                above_p90_share=above_quantile_share(pred, lesions, 0.9,
                                                     image_shape),
                image=sample['rel']))
    summary = summarize_finding_attention(per_image)
    summary['above_p90_share'] = float(
        np.mean([r['above_p90_share'] for r in per_image]))
    row = dict(name=name, finding_attention=summary, per_image=per_image)
    if with_metrics:
        row['metrics'] = {
            k: float(v)
            for k, v in metric.compute_metrics(metric.results).items()
        }
    return row


def format_table(result):
    """Markdown table: finding attention, then the saliency metrics."""
    head = ['map', 'mass in boxes', 'area share', 'mass ratio',
            'above-median share', 'above-p90 share'] + list(METRICS)
    lines = ['| ' + ' | '.join(head) + ' |', '|---' * len(head) + '|']
    for row in result['rows']:
        fa = row['finding_attention']
        cells = [row['name']] + [
            f'{fa[k]:.3f}' for k in MEASURES + ('above_p90_share', )]
        cells += [f'{row["metrics"][m]:.3f}' if 'metrics' in row else '-'
                  for m in METRICS]
        lines.append('| ' + ' | '.join(cells) + ' |')
    first = result['rows'][0]['finding_attention']
    lines.append('')
    lines.append(
        f'Finding attention on the {first["num_images"]} of '
        f'{result["num_images"]} {result["split"]} images with gaze that '
        f'have lesions ({first["num_boxes"]} lesion boxes); saliency metrics '
        f'on all {result["num_images"]}. Mass ratio 1.0 = no better than a '
        'uniform map; above-median (-p90) share 0.5 (0.1) = boxes no '
        'brighter than the rest of the map.')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    # keep mmengine's per-parameter initialisation report off the console
    MMLogger.get_instance('saliency_findings', log_level='WARNING')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    test_cfg = gaze_dataset_cfg(cfg, 'test_dataloader', args.split)
    data_root = test_cfg['data_root']
    findings = args.findings or osp.join(data_root, 'findings.csv')
    if not osp.isfile(findings):
        raise FileNotFoundError(
            f'findings table {findings} not found (--findings, default '
            '<data root>/findings.csv)')
    boxes = load_lesion_boxes(findings)
    samples = gaze_samples(test_cfg)
    if not samples:
        raise ValueError(f'no held-out images with gaze in {data_root}')
    for sample in samples:
        sample['rel'] = _rel(sample['img_path'], data_root)
        if sample['rel'] not in boxes:
            raise KeyError(f'image {sample["rel"]} is not listed in the '
                           f'findings table {findings}')
    rows = []
    with tempfile.TemporaryDirectory(prefix='saliency_findings_') as tmp:
        for name, config, checkpoint in args.model:
            rows.append(measure(name, _predicted_maps(
                name, config, checkpoint, data_root, samples, tmp, args),
                samples, boxes))
        for name, map_dir in args.maps:
            rows.append(measure(name, _folder_maps(map_dir, data_root),
                                samples, boxes))
    settings = {}
    if not args.no_baselines:
        train = gaze_samples(gaze_dataset_cfg(cfg, 'train_dataloader'))
        mean_map = mean_gaze_map(s['gt_saliency'] for s in train)
        sigma, _ = fit_center_sigma(train)
        settings = dict(num_train=len(train), center_sigma=float(sigma))
        rows.append(measure('mean training map', lambda s: mean_map,
                            samples, boxes))
        rows.append(measure(
            f'centre bias (sigma {sigma:g})',
            lambda s: center_bias_map(np.shape(s['gt_saliency'])[-2:],
                                      sigma), samples, boxes))
        rows.append(measure('readers (reader-averaged gaze map)',
                            lambda s: s['gt_saliency'], samples, boxes,
                            with_metrics=False))
    result = dict(config=args.config, split=test_cfg.get('split'),
                  data_root=data_root, findings=findings,
                  num_images=len(samples), **settings, rows=rows)
    table = format_table(result)
    print(table)
    if args.out:
        atomic_write_text(args.out + '.json',
                          json.dumps(result, indent=2) + '\n')
        atomic_write_text(args.out + '.md', table + '\n')
        print(f'written to {args.out}.json and {args.out}.md')


if __name__ == '__main__':
    main()
