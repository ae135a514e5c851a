"""GCA / stock training-pipeline throughput at the demo's image size and at
the size of a knee DICOM (2048 x 2560), in one run.

    python tools/analysis/gca_throughput.py --data-root data/demo \
        --gaze-map-root data/demo/gaze/maps --out work_dirs/gca_throughput.json

Each pipeline is the training dataset's, as the Runner builds it from the
configs (``--stock`` and the effective ``--gca``: decoded images in memory,
``LoadFromDecodedCache``, both views, ``PackInputs``), timed on the same
images with :func:`gca_mm.experiments.pipeline_throughput` (one thread, its
CPU time, interleaved rounds). Rows:

- ``demo``: the demo's images (224 px) as the configs train on them;
- ``demo, from files``: the same pipelines decoding the PNG files for every
  sample (no decoded cache), as ``tools/analysis/view_stats.py`` times them;
- ``DICOM size``: the first ``--dicom-images`` images and their maps
  upscaled to 2560 x 2048 (H x W) and cached at full resolution, as
  ``configs/gpu/`` do (``decoded_cache.max_side=None``); the GCA pipeline
  is also timed with its map at full resolution
  (``LoadGazeMap(max_side=None)``) to show what the bounded map saves.
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import time

import cv2
import numpy as np
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS

import gca_mm  # noqa: F401  (registers modules)
from gca_mm.experiments import (load_view_configs, machine_info,
                                pipeline_throughput, speed_ratio,
                                training_pipeline)
from gca_mm.utils import atomic_write_text, transform_type

DICOM_SHAPE = (2560, 2048)  # (H, W) of an OAI knee radiograph


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--stock', default='configs/mocov3_knee.py')
    p.add_argument('--gca', default='configs/mocov3_gca_knee.py')
    p.add_argument('--data-root', default='data/demo')
    p.add_argument('--gaze-map-root', default=None,
                   help="attention maps (default: the GCA config's)")
    p.add_argument('--images', type=int, default=30,
                   help='demo-size images timed')
    p.add_argument('--rounds', type=int, default=20)
    p.add_argument('--no-files', action='store_true',
                   help='skip the demo pipelines that decode the files')
    p.add_argument('--dicom-images', type=int, default=6,
                   help='DICOM-size images timed (0: skip)')
    p.add_argument('--dicom-rounds', type=int, default=6)
    p.add_argument('--work-dir', default='work_dirs/gca_throughput',
                   help='decoded caches and the DICOM-size images')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', help='write the report as JSON here')
    return p.parse_args(argv)


def _dataset(cfg, data_root, gaze_map_root, num, cache_dir, max_side='keep',
             map_max_side='keep'):
    """The training dataset of ``cfg`` as the Runner builds it, on the
    first ``num`` images that have a map (the same images for every
    config); ``cache_dir=None``: without its decoded cache."""
    dataset = dict(cfg.train_dataloader.dataset)
    dataset.update(data_root=data_root, gaze_map_root=gaze_map_root,
                   require_gaze_map=True, indices=num)
    cache = dataset.get('decoded_cache')
    if cache_dir is None:
        dataset['decoded_cache'] = None
    elif cache:
        cache = dict(cache, cache_dir=cache_dir)
        if max_side != 'keep':
            cache['max_side'] = max_side
        dataset['decoded_cache'] = cache
    pipeline = [dict(t) for t in training_pipeline(cfg)]
    if map_max_side != 'keep':
        for t in pipeline:
            if transform_type(t) == 'LoadGazeMap':
                t['max_side'] = map_max_side
    dataset['pipeline'] = pipeline
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        built = DATASETS.build(dataset)
        built.full_init()
    return built


def _time(datasets, rounds, seed):
    infos = [datasets['gca'].get_data_info(i)
             for i in range(len(datasets['gca']))]
    for name, ds in datasets.items():
        paths = [ds.get_data_info(i)['img_path'] for i in range(len(ds))]
        if paths != [i['img_path'] for i in infos]:
            raise RuntimeError(f'{name} lists other images than gca')
    load = os.getloadavg()
    result = pipeline_throughput(
        {name: ds.pipeline for name, ds in datasets.items()}, infos,
        rounds=rounds, seed=seed)
    result['load_average'] = [load[0], os.getloadavg()[0]]
    result['gca_over_stock'] = speed_ratio(result, 'gca', 'stock')
    if 'gca_full_map' in datasets:
        result['gca_full_map_over_stock'] = speed_ratio(
            result, 'gca_full_map', 'stock')
    loaded = datasets['gca'].pipeline.transforms[0](copy.deepcopy(infos[0]))
    if 'gaze_map' not in loaded:  # LoadXrayFromFile, then LoadGazeMap
        loaded = datasets['gca'].pipeline.transforms[1](loaded)
    result['image_shape'] = list(loaded['img'].shape[:2])
    result['map_shape'] = list(loaded['gaze_map'].shape)
    return result


def write_dicom_size(dataset, root, num):
    """The first ``num`` images (and maps) of ``dataset`` upscaled to
    :data:`DICOM_SHAPE`, in the same tree below ``root``."""
    h, w = DICOM_SHAPE
    for i in range(num):
        info = dataset.get_data_info(i)
        rel = osp.relpath(info['img_path'], dataset.data_root)
        for src, dst, interp in (
                (info['img_path'], osp.join(root, rel), cv2.INTER_CUBIC),
                (info['gaze_map_path'], osp.join(root, 'maps', rel),
                 cv2.INTER_LINEAR)):
            if osp.isfile(dst):
                continue
            os.makedirs(osp.dirname(dst), exist_ok=True)
            img = cv2.imread(src, cv2.IMREAD_UNCHANGED)
            cv2.imwrite(dst, cv2.resize(img, (w, h), interpolation=interp))
    return root, osp.join(root, 'maps')


def format_row(name, result):
    rate = result['images_per_s']
    row = (f'{name:<22}{result["image_shape"][0]:>5} x '
           f'{result["image_shape"][1]:<5}{rate["stock"]:>9.1f}'
           f'{rate["gca"]:>9.1f}'
           f'{result["gca_over_stock"]["ratio"]:>10.3f}'
           f'{result["gca_over_stock"]["round_ratio_median"]:>10.3f}')
    if 'gca_full_map_over_stock' in result:
        row += (f'   (map at full resolution: '
                f'{result["gca_full_map_over_stock"]["ratio"]:.3f})')
    return row


def main(argv=None):
    args = parse_args(argv)
    stock, gca = load_view_configs(args.stock, args.gca,
                                   data_root=args.data_root,
                                   gaze_map_root=args.gaze_map_root)
    maps = gca.train_dataloader.dataset.gaze_map_root
    cfgs = dict(stock=stock, gca=gca)
    start = time.time()
    report = dict(
        command='python tools/analysis/gca_throughput.py ' +
        ' '.join(argv if argv is not None else sys.argv[1:]),
        measured=time.strftime('%Y-%m-%d %H:%M'), machine=machine_info(),
        stock=args.stock, gca=args.gca, data_root=args.data_root,
        gaze_map_root=maps)
    cache = osp.join(args.work_dir, 'decoded_cache')
    demo = {name: _dataset(cfg, args.data_root, maps, args.images, cache)
            for name, cfg in cfgs.items()}
    report['demo'] = _time(demo, args.rounds, args.seed)
    if not args.no_files:
        files = {name: _dataset(cfg, args.data_root, maps, args.images, None)
                 for name, cfg in cfgs.items()}
        report['demo_from_files'] = _time(files, args.rounds, args.seed)
    if args.dicom_images:
        root, dicom_maps = write_dicom_size(
            demo['gca'], osp.join(args.work_dir, 'dicom_size'),
            args.dicom_images)
        dicom = {name: _dataset(cfg, root, dicom_maps, args.dicom_images,
                                cache, max_side=None)
                 for name, cfg in cfgs.items()}
        dicom['gca_full_map'] = _dataset(gca, root, dicom_maps,
                                         args.dicom_images, cache,
                                         max_side=None, map_max_side=None)
        report['dicom'] = _time(dicom, args.dicom_rounds, args.seed)
    report['seconds'] = time.time() - start
    print(f'{"":<22}{"image":>13}{"stock":>9}{"gca":>9}{"gca/stock":>10}'
          f'{"median":>10}')
    print(format_row('demo', report['demo']))
    if 'demo_from_files' in report:
        print(format_row('demo, from files', report['demo_from_files']))
    if 'dicom' in report:
        print(format_row('DICOM size', report['dicom']))
    print('img/s per pipeline, one thread; median: of the per-round ratios; '
          f'load average {report["demo"]["load_average"][0]:.1f} at the '
          f'start; {report["machine"]["cpu"]}, '
          f'{report["machine"]["cpu_count"]} cores')
    if args.out:
        atomic_write_text(args.out, json.dumps(report, indent=2) + '\n')
        print(f'report written to {args.out}')
    return report


if __name__ == '__main__':
    np.set_printoptions(precision=3)
    main()
