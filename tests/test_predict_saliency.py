"""Predicting attention maps for an image tree: one aligned map per image,
mirrored, loadable, and resumable after an interruption."""
import copy
import glob
import importlib.util
import os
import os.path as osp
from unittest import mock

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import gca_mm.apis.saliency_inference as inference
from gca_mm.apis import predict_saliency_maps
from gca_mm.apis.saliency_inference import (config_splits,
                                            init_saliency_model,
                                            predict_pipeline)
from gca_mm.datasets.transforms import LoadGazeMap
from gca_mm.gaze import load_heatmap
from gca_mm.utils import atomic_open

REPO = osp.join(osp.dirname(__file__), '..')
CONFIG = osp.join(REPO, 'configs', 'gaze_saliency_resnet18_knee.py')
# (relative path, height, width): class-folder splits, varied sizes
IMAGES = [('train/0/a.png', 48, 64), ('train/0/b.png', 64, 48),
          ('train/3/c.png', 40, 40), ('val/2/f.png', 50, 50),
          ('test/1/d.png', 56, 72), ('test/4/e.png', 32, 80)]


def _write_images(root, images=IMAGES, seed=0):
    rng = np.random.default_rng(seed)
    for rel, h, w in images:
        img = rng.integers(0, 80, (h, w)).astype(np.uint8)
        cy, cx = int(rng.integers(h // 4, 3 * h // 4)), int(
            rng.integers(w // 4, 3 * w // 4))
        cv2.circle(img, (cx, cy), max(h, w) // 8, 230, -1)
        path = osp.join(root, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, img)


@pytest.fixture(scope='module')
def cfg():
    cfg = Config.fromfile(CONFIG)
    # small inputs keep the test fast
    for step in cfg.test_dataloader.dataset.pipeline:
        if step.type == 'Resize':
            step.scale = (64, 64)
    return cfg


@pytest.fixture(scope='module')
def checkpoint(cfg, tmp_path_factory):
    """Untrained weights; a large logits layer makes maps image-dependent,
    so a map written for the wrong image would show."""
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    state = model.state_dict()
    state['head.conv_logits.weight'] = state['head.conv_logits.weight'] * 300
    path = str(tmp_path_factory.mktemp('ckpt') / 'saliency.pth')
    torch.save({'state_dict': state, 'meta': {}}, path)
    return path


@pytest.fixture
def root(tmp_path):
    _write_images(str(tmp_path / 'data'))
    return str(tmp_path / 'data')


def _predict(cfg, checkpoint, root, out, **kwargs):
    kwargs.setdefault('split', ('train', 'val', 'test'))
    return predict_saliency_maps(
        cfg, checkpoint, root, out, batch_size=2, num_workers=0,
        device='cpu', show_progress=False, **kwargs)


def _map_files(out):
    return sorted(
        osp.relpath(p, out)
        for p in glob.glob(osp.join(out, '**', '*.*'), recursive=True))


def _expected_map(cfg, checkpoint, img_path):
    """The model's prediction for one image, outside the batched tool."""
    init_default_scope('mmpretrain')
    model = init_saliency_model(cfg, checkpoint)
    pipeline = Compose(predict_pipeline(cfg.test_dataloader.dataset.pipeline))
    data = pipeline(dict(img_path=img_path))
    with torch.no_grad():
        sample = model.test_step(
            dict(inputs=[data['inputs']], data_samples=[data['data_samples']]))
    return sample[0].pred_saliency_ori.numpy()


def test_one_aligned_loadable_map_per_image(cfg, checkpoint, root, tmp_path):
    out = str(tmp_path / 'maps')
    summary = _predict(cfg, checkpoint, root, out)
    assert summary['written'] == len(IMAGES) and summary['skipped'] == 0
    assert summary['images_per_s'] > 0 and summary['seconds'] > 0
    assert _map_files(out) == sorted(rel for rel, _, _ in IMAGES)
    loader = LoadGazeMap()
    for rel, h, w in IMAGES:
        raw = cv2.imread(osp.join(out, rel), cv2.IMREAD_UNCHANGED)
        assert raw.dtype == np.uint16 and raw.shape == (h, w)
        results = loader(
            dict(img=cv2.imread(osp.join(root, rel), cv2.IMREAD_GRAYSCALE),
                 gaze_map_path=osp.join(out, rel), img_path=rel))
        assert results['gaze_map'].shape == (h, w)
        assert results['gaze_map'].max() == pytest.approx(1.0)
    # the map of each image is that image's prediction (batching kept order)
    for rel in ('train/3/c.png', 'test/4/e.png'):
        expected = _expected_map(cfg, checkpoint, osp.join(root, rel))
        np.testing.assert_allclose(
            load_heatmap(osp.join(out, rel)), expected, atol=2 / 65535)
    maps = [load_heatmap(osp.join(out, rel)) for rel in ('train/0/a.png',
                                                         'test/1/d.png')]
    assert maps[0].std() > 0.01 and maps[1].std() > 0.01


def test_npy_maps_and_a_csv_listing(cfg, checkpoint, root, tmp_path):
    with open(osp.join(root, 'list.csv'), 'w') as f:
        f.write('path\ntest/1/d.png\ntrain/0/b.png\n')
    out = str(tmp_path / 'maps')
    summary = _predict(cfg, checkpoint, root, out, split=None,
                       ann_file='list.csv', suffix='.npy')
    assert summary['written'] == 2
    assert _map_files(out) == ['test/1/d.npy', 'train/0/b.npy']
    pred = np.load(osp.join(out, 'test/1/d.npy'))
    assert pred.dtype == np.float32 and pred.shape == (56, 72)
    assert 0 < pred.min() and pred.max() == pytest.approx(1.0)


def test_whole_tree_ignores_maps_already_under_the_output(
        cfg, checkpoint, root):
    out = osp.join(root, 'saliency_maps')
    first = _predict(cfg, checkpoint, root, out, split=None)
    assert first['written'] == len(IMAGES)
    again = _predict(cfg, checkpoint, root, out, split=None)
    assert again == dict(written=0, skipped=len(IMAGES), seconds=0.0,
                         images_per_s=0.0)
    assert len(_map_files(out)) == len(IMAGES)


def test_prediction_ignores_mmengines_shared_copy_memo(cfg, checkpoint,
                                                      root, tmp_path):
    """mmengine's ``BaseDataset._copy_without_annotation`` (behind
    ``get_subset``) keeps one deepcopy memo for the whole process, keyed by
    ``id``; an id reused by a later transform came back as a stale dataset
    ('KneeXrayDataset' object is not callable, seen in a full test run).
    Predicting must not go through it."""
    from mmengine.dataset import BaseDataset
    memo = BaseDataset._copy_without_annotation.__defaults__[0]
    init_default_scope('mmpretrain')
    dataset = inference.build_predict_dataset(cfg, root, ('test', ))
    # every object of the pipeline already "copied", as a stale entry
    stale = {id(t): 'stale' for t in dataset.pipeline.transforms}
    stale[id(dataset.pipeline)] = 'stale'
    stale[id(dataset.pipeline.transforms)] = 'stale'
    memo.update(stale)
    try:
        with mock.patch.object(inference, 'build_predict_dataset',
                               lambda *a, **k: dataset):
            result = _predict(cfg, checkpoint, root, str(tmp_path / 'maps'),
                              split=('test', ))
    finally:
        for key in stale:
            memo.pop(key, None)
    assert result['written'] == 2
    assert _map_files(str(tmp_path / 'maps')) == ['test/1/d.png',
                                                  'test/4/e.png']


def test_resume_after_interruption(cfg, checkpoint, root, tmp_path,
                                   monkeypatch):
    out = str(tmp_path / 'maps')
    real_save, calls = inference.save_heatmap, []

    def save_then_die(path, heatmap):
        calls.append(path)
        if len(calls) <= 3:
            return real_save(path, heatmap)
        # killed in the middle of the 4th write
        with atomic_open(path) as f:
            f.write(b'partial')
            raise KeyboardInterrupt

    monkeypatch.setattr(inference, 'save_heatmap', save_then_die)
    with pytest.raises(KeyboardInterrupt):
        _predict(cfg, checkpoint, root, out)
    monkeypatch.undo()
    done = _map_files(out)
    assert len(done) == 3
    before = {
        rel: (os.stat(osp.join(out, rel)).st_mtime_ns,
              open(osp.join(out, rel), 'rb').read())
        for rel in done
    }
    # a temporary file as a hard kill (no clean-up) would leave it
    pending = sorted(set(rel for rel, _, _ in IMAGES) - set(done))[0]
    stale = osp.join(out, osp.dirname(pending),
                     '.' + osp.basename(pending) + '.k1ll3d.tmp')
    os.makedirs(osp.dirname(stale), exist_ok=True)
    open(stale, 'wb').close()

    summary = _predict(cfg, checkpoint, root, out)
    assert summary['skipped'] == 3
    assert summary['written'] == len(IMAGES) - 3
    assert _map_files(out) == sorted(rel for rel, _, _ in IMAGES)
    for rel, (mtime, data) in before.items():
        assert os.stat(osp.join(out, rel)).st_mtime_ns == mtime
        assert open(osp.join(out, rel), 'rb').read() == data
    leftovers = glob.glob(osp.join(out, '**', '.*'), recursive=True)
    assert leftovers == []
    for rel, h, w in IMAGES:
        assert load_heatmap(osp.join(out, rel)).shape == (h, w)


def test_predict_pipeline_drops_the_gaze_targets(cfg):
    steps = predict_pipeline(cfg.test_dataloader.dataset.pipeline)
    assert [s['type'] for s in steps] == [
        'LoadXrayFromFile', 'Resize', 'PackInputs'
    ]
    assert steps[-1]['algorithm_keys'] == ()
    # the config itself is left untouched
    assert 'LoadGazeMap' in [
        s.type for s in cfg.test_dataloader.dataset.pipeline
    ]
    with pytest.raises(ValueError, match='CenterCrop changes the geometry'):
        predict_pipeline([dict(type='LoadXrayFromFile'),
                          dict(type='CenterCrop', crop_size=32),
                          dict(type='PackInputs')])
    with pytest.raises(ValueError, match='must end with PackInputs'):
        predict_pipeline([dict(type='LoadXrayFromFile')])


def test_bad_arguments_and_checkpoints(cfg, checkpoint, root, tmp_path):
    with pytest.raises(ValueError, match='must differ from data_root'):
        _predict(cfg, checkpoint, root, root)
    with pytest.raises(ValueError, match='suffix must be one of'):
        _predict(cfg, checkpoint, root, str(tmp_path / 'o'), suffix='.jpg')
    with pytest.raises(FileNotFoundError, match='split folder .*auto_test'):
        _predict(cfg, checkpoint, root, str(tmp_path / 'o'),
                 split='auto_test')
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="'cuda' needs a CUDA GPU"):
            predict_saliency_maps(cfg, checkpoint, root, str(tmp_path / 'o'),
                                  device='cuda')
    partial = str(tmp_path / 'partial.pth')
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    torch.save({'state_dict': {k: v for k, v in state.items()
                               if not k.startswith('head.')}}, partial)
    with pytest.raises(RuntimeError, match='missing keys.*head'):
        _predict(cfg, partial, root, str(tmp_path / 'o'))


def test_tool_reports_written_skipped_and_speed(checkpoint, root, tmp_path,
                                                capsys):
    spec = importlib.util.spec_from_file_location(
        'predict_saliency_tool', osp.join(REPO, 'tools',
                                          'predict_saliency.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'maps')
    argv = [CONFIG, checkpoint, '--data-root', root, '--out', out,
            '--split', 'test', '--batch-size', '4', '--num-workers', '0',
            '--device', 'cpu']
    tool.main(argv)
    text = capsys.readouterr().out
    assert '2 maps written, 0 already present (skipped)' in text
    assert 'images/s' in text
    assert _map_files(out) == ['test/1/d.png', 'test/4/e.png']
    # without --split: the config's train, val and test splits
    tool.main(argv[:6] + argv[8:])
    assert f'{len(IMAGES) - 2} maps written, 2 already present (skipped)' \
        in capsys.readouterr().out
    assert _map_files(out) == sorted(rel for rel, _, _ in IMAGES)


def test_config_splits(cfg):
    assert config_splits(cfg) == ['train', 'val', 'test']
    flat = copy.deepcopy(cfg)
    flat.test_dataloader = dict(dataset=dict(split=None))
    assert config_splits(flat) is None
