"""Catalogue of bad input, end to end: each case fails with an error that
names the file or the config field to fix (docs/troubleshooting.md).

Data errors go through the datasets and pipelines the repo configs build;
config errors through ``tools/train.py`` / ``tools/test.py``."""
import os
import os.path as osp
import pickle
import re
import runpy
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import DATASETS

from conftest import write_tiny_knee_tree
from gca_mm.apis import apply_gca
from gca_mm.utils import check_data_paths
from runner_utils import REPO, tiny_cfg
from test_xray_loading import write_dicom


@pytest.fixture
def root(tmp_path):
    """5 training images (one per grade) of 64 px with 16-bit maps."""
    write_tiny_knee_tree(str(tmp_path / 'data'), splits=('train', ),
                         per_grade=1)
    return tmp_path / 'data'


def _dataset(config, root, **dataset_args):
    """The training dataset of a repo config, on ``root``, reading the files
    (no decoded cache, unless ``decoded_cache`` is given); GCA configs get
    their GCA pipeline (maps from ``<root>/maps``)."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    if 'gca' in cfg:
        cfg = apply_gca(cfg, **dict(cfg.gca, gaze_map_root=str(root / 'maps')))
    dataset = cfg.train_dataloader.dataset
    dataset.update(data_root=str(root), decoded_cache=None)
    dataset.update(dataset_args)
    return DATASETS.build(dataset)


def _load_all(dataset):
    for i in range(len(dataset)):
        dataset[i]


def _run_tool(monkeypatch, tool, *args):
    """Run ``tools/<tool>`` in this process, as from the command line."""
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setattr(sys, 'argv', [tool] + [str(a) for a in args])
    runpy.run_path(osp.join(REPO, 'tools', tool), run_name='__main__')


# ---- image files --------------------------------------------------------


def test_corrupt_png(root):
    bad = root / 'train' / '2' / 'knee_000.png'
    bad.write_bytes(b'\x89PNG\r\n\x1a\n not really a png')
    with pytest.raises(OSError, match='failed to decode image file ' +
                       re.escape(str(bad))):
        _load_all(_dataset('mocov3_knee.py', root))


def test_truncated_dicom(root, tmp_path):
    data = write_dicom(tmp_path / 'ok.dcm',
                       np.full((64, 64), 900, np.uint16)).read_bytes()
    bad = root / 'train' / '3' / 'knee_100.dcm'
    bad.write_bytes(data[:len(data) // 2])
    with pytest.raises(OSError, match=re.escape(str(bad))):
        _load_all(_dataset('mocov3_knee.py', root))


# ---- attention maps (GCA pre-training) ----------------------------------


def test_missing_attention_map(root):
    missing = root / 'maps' / 'train' / '1' / 'knee_000.png'
    os.remove(missing)
    with pytest.raises(FileNotFoundError,
                       match=f'attention map {re.escape(repr(str(missing)))}'
                       ' of image .*knee_000.png.* does not exist'):
        _load_all(_dataset('mocov3_gca_knee.py', root))


def test_nan_attention_map(root):
    maps = root / 'maps'
    for png in maps.rglob('*.png'):  # .npy maps; one of them has a NaN
        m = cv2.imread(str(png), cv2.IMREAD_UNCHANGED).astype(np.float32)
        np.save(png.with_suffix('.npy'), m)
    bad = maps / 'train' / '4' / 'knee_000.npy'
    m = np.load(bad)
    m[3, 3] = np.nan
    np.save(bad, m)
    dataset = _dataset('mocov3_gca_knee.py', root, gaze_map_suffix='.npy')
    with pytest.raises(ValueError, match=re.escape(repr(str(bad))) +
                       '.* contains NaN or inf'):
        _load_all(dataset)
    # with decoded images in memory the same error comes when the cache is
    # built, before training
    with pytest.raises(ValueError, match=re.escape(repr(str(bad))) +
                       '.* contains NaN or inf'):
        _dataset('mocov3_gca_knee.py', root, gaze_map_suffix='.npy',
                 decoded_cache=dict(cache_dir=str(root / 'cache')))


def test_attention_map_of_the_wrong_size(root):
    bad = root / 'maps' / 'train' / '0' / 'knee_000.png'
    cv2.imwrite(str(bad), np.full((32, 48), 1000, np.uint16))
    with pytest.raises(ValueError, match=re.escape(repr(str(bad))) +
                       r' has shape \(32, 48\) but image .* has \(64, 64\)'):
        _load_all(_dataset('mocov3_gca_knee.py', root))


# ---- annotations --------------------------------------------------------


def test_empty_annotation_file(root):
    ann = root / 'train.csv'
    ann.write_text('')
    with pytest.raises(ValueError, match=re.escape(str(ann)) +
                       ': header misses column'):
        _dataset('linear_probe_knee.py', root, split=None,
                 ann_file='train.csv')


def test_unknown_grade_in_annotation_file(root):
    ann = root / 'train.csv'
    ann.write_text('path,grade\ntrain/0/knee_000.png,0\n'
                   'train/1/knee_000.png,7\n')
    with pytest.raises(ValueError, match=re.escape(str(ann)) +
                       ", line 3: unknown grade '7'"):
        _dataset('linear_probe_knee.py', root, split=None,
                 ann_file='train.csv')


def test_unknown_grade_folder(root):
    os.makedirs(root / 'train' / '5')
    with pytest.raises(ValueError, match=re.escape(
            str(root / 'train' / '5')) + ' is not a KL grade folder'):
        _dataset('linear_probe_knee.py', root)


# ---- configs, through tools/train.py and tools/test.py -------------------


def test_gca_pipeline_without_load_gaze_map(root, tmp_path, monkeypatch):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'mocov3_gca_knee.py'))
    cfg = apply_gca(cfg, **dict(cfg.gca, gaze_map_root=str(root / 'maps')))
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert pipeline.pop(1)['type'] == 'LoadGazeMap'
    # a plain config with GCA views
    assert 'runner_type' not in cfg and 'gca' not in cfg
    cfg.train_dataloader.dataset.data_root = str(root)
    cfg.dump(str(tmp_path / 'no_map.py'))
    with pytest.raises(ValueError, match=re.escape(
            'train_dataloader.dataset.pipeline[1].transforms[0][0] is '
            'GazeConditionedAugment but no LoadGazeMap comes before it')):
        _run_tool(monkeypatch, 'train.py', tmp_path / 'no_map.py')


@pytest.mark.parametrize('config,options,fields', [
    ('mocov3_knee.py', ['train_dataloader.dataset.data_root={missing}'],
     ['train_dataloader.dataset.data_root']),
    ('mocov3_gca_knee.py', ['train_dataloader.dataset.data_root={missing}',
                            'gca.gaze_map_root={missing}'],
     ['train_dataloader.dataset.data_root', 'gca.gaze_map_root']),
    ('gaze_saliency_resnet18_knee.py',
     ['train_dataloader.dataset.data_root={root}',
      'train_dataloader.dataset.gaze_map_root={missing}', '--no-validate'],
     ['train_dataloader.dataset.gaze_map_root']),
])
def test_missing_data_paths_name_the_config_field(root, tmp_path,
                                                  monkeypatch, config,
                                                  options, fields):
    missing = str(tmp_path / 'missing')
    args = [o.format(root=root, missing=missing) for o in options]
    flags = [a for a in args if a.startswith('--')]
    overrides = [a for a in args if not a.startswith('--')]
    with pytest.raises(FileNotFoundError) as error:
        _run_tool(monkeypatch, 'train.py', osp.join(REPO, 'configs', config),
                  '--work-dir', tmp_path / 'work', *flags, '--cfg-options',
                  *overrides)
    for field in fields:
        assert f"{field} = '{missing}': folder {missing} does not exist" in \
            str(error.value)
    assert not osp.exists(tmp_path / 'work')  # failed before the Runner


def test_test_tool_checks_the_test_data_root(tmp_path, monkeypatch):
    missing = str(tmp_path / 'missing')
    with pytest.raises(FileNotFoundError,
                       match=re.escape(f"test_dataloader.dataset.data_root = "
                                       f"'{missing}'")):
        _run_tool(monkeypatch, 'test.py',
                  osp.join(REPO, 'configs', 'linear_probe_knee.py'),
                  tmp_path / 'ckpt.pth', '--cfg-options',
                  f'test_dataloader.dataset.data_root={missing}')


def test_data_path_check_follows_wrappers_and_pipelines(root, tmp_path):
    missing = str(tmp_path / 'missing')
    inner = dict(type='KneeXrayDataset', data_root=str(root),
                 ann_file='train.csv',
                 pipeline=[dict(type='LoadXrayFromFile'),
                           dict(type='LoadGazeMap', gaze_map_root=missing)])
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(type='RepeatDataset', times=2,
                                           dataset=inner)),
        val_dataloader=dict(dataset=dict(data_root='s3://bucket/knees')),
        test_dataloader=None))
    with pytest.raises(FileNotFoundError) as error:
        check_data_paths(cfg)
    lines = str(error.value).split('\n')[1:]
    assert [line.split(' = ')[0].strip() for line in lines] == [
        'train_dataloader.dataset.dataset.ann_file',
        'train_dataloader.dataset.dataset.pipeline[1].gaze_map_root'
    ]
    assert f"file {root / 'train.csv'} does not exist" in lines[0]
    (root / 'train.csv').write_text('path\n')
    cfg.train_dataloader.dataset.dataset.pipeline[1].gaze_map_root = str(
        root / 'maps')
    check_data_paths(cfg)  # remote paths are left to their backend


# ---- checkpoints ---------------------------------------------------------


class _RunsCode:
    """Unpickling this would call os.system."""

    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_resume_from_malicious_checkpoint_is_refused(root, tmp_path,
                                                     monkeypatch, capfd):
    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': _RunsCode()}, evil)
    cfg = tiny_cfg('configs/mocov3_knee.py', root, tmp_path / 'work')
    cfg.dump(str(tmp_path / 'tiny.py'))
    refused = f'Refused to load checkpoint {re.escape(str(evil))}'
    with pytest.raises(pickle.UnpicklingError,
                       match=refused + '.*posix.system'):
        _run_tool(monkeypatch, 'train.py', tmp_path / 'tiny.py', '--resume',
                  evil)
    assert 'pwned' not in capfd.readouterr().out
