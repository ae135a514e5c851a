"""Centre-bias and mean-map baselines, scored like the model."""
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from gca_mm.evaluation import (center_bias_map, evaluate_saliency_baselines,
                               fit_center_sigma, mean_gaze_map,
                               score_baseline, score_saliency)

REPO = osp.join(osp.dirname(__file__), '..')
CONFIG = osp.join(REPO, 'configs', 'gaze_saliency_resnet18_knee.py')


def _blob(shape, cy, cx, sigma):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    return np.exp(-((yy - cy)**2 + (xx - cx)**2) / (2 * sigma**2))


def test_center_bias_peaks_at_the_centre():
    cb = center_bias_map((31, 41), 0.2)
    assert cb.dtype == np.float32 and cb.shape == (31, 41)
    assert np.unravel_index(cb.argmax(), cb.shape) == (15, 20)
    assert cb.max() == pytest.approx(1.0)
    np.testing.assert_allclose(cb, cb[::-1, ::-1], atol=1e-6)
    # a wider sigma spreads the mass: higher values off centre
    assert center_bias_map((31, 41), 0.4)[0, 0] > cb[0, 0]
    with pytest.raises(ValueError, match='sigma_frac must be > 0'):
        center_bias_map((8, 8), 0)


def test_mean_map_of_identical_maps_is_the_map():
    gaze = _blob((20, 30), 7, 20, 4)
    gaze = (gaze / gaze.max()).astype(np.float32)
    np.testing.assert_allclose(mean_gaze_map([gaze, gaze * 3, gaze]), gaze,
                               rtol=1e-5, atol=1e-6)


def test_mean_map_averages_distributions_at_one_size():
    a = np.zeros((10, 10)), np.zeros((20, 20))
    a[0][2, 3] = 5.0  # a single spike: half of the averaged mass
    a[1][:] = 1.0  # uniform, at twice the size: resized to 10x10
    mean = mean_gaze_map(a)
    assert mean.shape == (10, 10)
    expected = (a[0] / 5.0 + np.full((10, 10), 0.01)) / 2
    np.testing.assert_allclose(mean, expected / expected.max(), rtol=1e-5)
    assert mean_gaze_map(a, shape=(5, 8)).shape == (5, 8)
    with pytest.raises(ValueError, match='map 1 must be a finite'):
        mean_gaze_map([a[0], np.zeros((10, 10))])
    with pytest.raises(ValueError, match='at least one map'):
        mean_gaze_map([])


def _samples():
    rng = np.random.default_rng(0)
    samples = []
    for i, shape in enumerate([(24, 32), (24, 32), (30, 20)]):
        gt = _blob(shape, shape[0] * 0.4, shape[1] * 0.6, 3)
        gt += 0.05 * rng.random(shape)
        fix = np.array([[shape[1] * 0.6, shape[0] * 0.4], [3.0, 4.0]])
        if i == 2:
            fix = np.array([[-10.0, -10.0]])  # all outside: no NSS/AUC
        samples.append(dict(gt_saliency=gt.astype(np.float32),
                            gt_fixations=fix, ori_shape=shape,
                            img_path=f'img{i}.png'))
    return samples


def test_scores_equal_score_saliency_on_hand_made_inputs():
    samples = _samples()

    def make_map(shape):
        return center_bias_map(shape, 0.3)

    scores = score_baseline(samples, make_map)
    per_image = [
        score_saliency(make_map(s['ori_shape']), s['gt_saliency'],
                       s['gt_fixations'] if i < 2 else None)
        for i, s in enumerate(samples)
    ]
    for key in ('cc', 'kld', 'sim'):
        assert scores[key] == pytest.approx(
            np.mean([p[key] for p in per_image]))
    for key in ('nss', 'auc_judd'):  # the image without fixations is left out
        assert scores[key] == pytest.approx(
            np.mean([p[key] for p in per_image[:2]]))
    assert not scores.keys() - {'cc', 'kld', 'sim', 'nss', 'auc_judd'}


def test_fit_center_sigma_recovers_the_generating_sigma():
    samples = [dict(gt_saliency=center_bias_map(shape, 0.2), ori_shape=shape)
               for shape in [(40, 40), (30, 50)]]
    sigma, search = fit_center_sigma(samples, sigmas=(0.1, 0.2, 0.4))
    assert sigma == 0.2
    assert search[0.2] == pytest.approx(1.0)
    assert search[0.1] < 1 and search[0.4] < 1


@pytest.fixture
def tiny_gaze_config(tmp_path):
    """Images with one bright spot at a fixed place, its attention map and
    fixations there, for train and test; config pointing at them."""
    root = tmp_path / 'data'
    rows = ['image,x,y,reader']
    for split, n in (('train', 3), ('test', 2)):
        for i in range(n):
            rel = f'{split}/{i % 5}/knee_{i}.png'
            img = np.full((36, 48), 40, np.uint8)
            cv2.circle(img, (34, 12), 4, 220, -1)
            gaze = _blob((36, 48), 12, 34, 3)
            for path, data in ((root / rel, img),
                               (root / 'maps' / rel,
                                np.round(gaze / gaze.max() * 65535).astype(
                                    np.uint16))):
                os.makedirs(path.parent, exist_ok=True)
                cv2.imwrite(str(path), data)
            rows += [f'{rel},34,12,r1', f'{rel},33,13,r2']
    (root / 'fixations.csv').write_text('\n'.join(rows) + '\n')
    cfg = Config.fromfile(CONFIG)
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(root)
        cfg[loader].dataset.gaze_map_root = str(root / 'maps')
    for step in cfg.test_dataloader.dataset.pipeline:
        if step.type == 'LoadFixations':
            step.update(fixation_file=str(root / 'fixations.csv'),
                        data_root=str(root))
    return cfg


def test_evaluate_baselines_on_a_tiny_set(tiny_gaze_config):
    result = evaluate_saliency_baselines(tiny_gaze_config)
    assert result['num_train'] == 3 and result['num_test'] == 2
    # every map is the same: the mean training map is perfect
    assert result['mean_map']['cc'] == pytest.approx(1.0, abs=1e-3)
    assert result['mean_map']['kld'] == pytest.approx(0.0, abs=1e-3)
    # the attention is off centre: the centre bias is clearly worse
    assert result['center_bias']['cc'] < 0.9
    assert result['center_bias']['sigma'] == max(
        result['center_sigma_search'], key=result['center_sigma_search'].get)
    assert result['center_bias']['nss'] < result['mean_map']['nss']


def test_baseline_tool_writes_json(tiny_gaze_config, tmp_path, capsys):
    cfg_path = str(tmp_path / 'cfg.py')
    tiny_gaze_config.dump(cfg_path)
    spec = importlib.util.spec_from_file_location(
        'saliency_baselines_tool',
        osp.join(REPO, 'tools', 'saliency_baselines.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'baselines.json')
    tool.main([cfg_path, '--split', 'train', '--out', out])
    text = capsys.readouterr().out
    assert '3 train / 3 held-out images with gaze' in text
    assert '| mean train map | 1.000 |' in text
    with open(out) as f:
        result = json.load(f)
    assert set(result['center_bias']) == {
        'cc', 'kld', 'sim', 'nss', 'auc_judd', 'sigma'
    }
    with pytest.raises(FileNotFoundError, match='split folder .*val'):
        tool.main([cfg_path, '--split', 'val'])
