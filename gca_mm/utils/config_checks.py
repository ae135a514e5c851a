"""Pre-flight checks of a config, run by ``tools/train.py`` and
``tools/test.py`` before anything is built, so that a wrong data path or a
GCA view without its attention map fails in seconds with the config field
to fix instead of deep inside a Runner."""
import os
import os.path as osp

from .config_walk import (DATALOADERS, loader_datasets, transform_type,
                          walk_pipeline)


def _missing(field, path, kind):
    """A problem line if the local ``path`` (a folder or a file) is absent;
    remote paths (``s3://`` & co.) are left to their file backend."""
    if not isinstance(path, (str, os.PathLike)) or '://' in str(path):
        return None
    exists = osp.isdir if kind == 'folder' else osp.isfile
    if exists(path):
        return None
    return (f'{field} = {str(path)!r}: {kind} {osp.abspath(path)} does not '
            'exist')


def check_data_paths(cfg, loaders=DATALOADERS):
    """Raise ``FileNotFoundError`` naming every config field whose data path
    does not exist.

    Checked for each dataset (wrapped ones included) of the given
    dataloaders: ``data_root`` (folder), ``ann_file`` (file, relative to
    ``data_root`` unless absolute), ``gaze_map_root`` (folder) and the
    ``gaze_map_root`` of ``LoadGazeMap`` steps; and, for GCA configs,
    ``gca.gaze_map_root`` (folder). Relative paths are taken from the
    current directory, as the Runner does.

    Args:
        cfg (Config | dict): the config.
        loaders (Sequence[str]): dataloader fields to check; missing or None
            ones are skipped. Defaults to train, val and test.
    """
    problems = []
    for field, dataset in loader_datasets(cfg, loaders):
        data_root = dataset.get('data_root') or ''
        if data_root:
            problems.append(
                _missing(f'{field}.data_root', data_root, 'folder'))
        ann_file = dataset.get('ann_file')
        if ann_file:
            path = (ann_file if osp.isabs(ann_file) or '://' in ann_file
                    else osp.join(data_root, ann_file))
            problems.append(_missing(f'{field}.ann_file', path, 'file'))
        if dataset.get('gaze_map_root'):
            problems.append(
                _missing(f'{field}.gaze_map_root', dataset['gaze_map_root'],
                         'folder'))
        for where, step in walk_pipeline(dataset.get('pipeline'),
                                         f'{field}.pipeline'):
            if isinstance(step, dict) and step.get('gaze_map_root'):
                problems.append(_missing(f'{where}.gaze_map_root',
                                         step['gaze_map_root'], 'folder'))
    gca = cfg.get('gca')
    if isinstance(gca, dict) and gca.get('gaze_map_root'):
        problem = _missing('gca.gaze_map_root', gca['gaze_map_root'],
                           'folder')
        if problem:
            problems.append(
                problem + ' (write the maps with tools/predict_saliency.py '
                'or point it to an existing map folder)')
    problems = [p for p in problems if p]
    if problems:
        raise FileNotFoundError('data paths of the config do not exist:\n  '
                                + '\n  '.join(problems))


def check_gca_pipelines(cfg):
    """Raise ``ValueError`` if a dataloader pipeline of ``cfg`` uses
    ``GazeConditionedAugment`` without a ``LoadGazeMap`` before it; the
    error names the config field."""
    for field, dataset in loader_datasets(cfg):
        if 'pipeline' not in dataset:
            continue
        loaded = False
        for where, step in walk_pipeline(dataset['pipeline'],
                                         field + '.pipeline'):
            kind = transform_type(step)
            loaded = loaded or kind == 'LoadGazeMap'
            if kind == 'GazeConditionedAugment' and not loaded:
                raise ValueError(
                    f'{where} is GazeConditionedAugment but no LoadGazeMap '
                    f'comes before it in {field}.pipeline: add '
                    "dict(type='LoadGazeMap') after the image loading step "
                    '(and set gaze_map_root on the dataset)')
