"""The logistic-regression feature probe: it finds a grade that the features
carry, reports chance when they carry none, and reads the probe config's
data and backbone."""
import numpy as np
import pytest
from mmengine.config import Config

from gca_mm.analysis import build_probe_model, extract_features, feature_probe
from runner_utils import REPO


def _split(rng, n, informative):
    y = rng.integers(0, 5, n)
    x = rng.normal(size=(n, 16))
    if informative:
        x[:, 0] += 5.0 * y  # the grade along one of 16 noisy features
    return x.astype(np.float32), y


def test_probe_reads_a_grade_the_features_carry():
    rng = np.random.default_rng(0)
    train, val, test = (_split(rng, n, True) for n in (400, 100, 200))
    result = feature_probe(train, val, test)
    assert result['accuracy'] > 95
    assert result['grade_mae'] < 0.05
    assert result['weight_decay'] in (1e-4, 1e-3, 1e-2, 1e-1)


def test_probe_stays_near_majority_without_signal():
    rng = np.random.default_rng(1)
    train, val, test = (_split(rng, n, False) for n in (400, 100, 2000))
    result = feature_probe(train, val, test)
    assert result['majority_accuracy'] == pytest.approx(20, abs=3)
    assert result['accuracy'] < 27


def test_features_of_the_probe_config(tiny_knee_root):
    cfg = Config.fromfile(f'{REPO}/configs/linear_probe_knee.py')
    dataset = cfg.test_dataloader.dataset
    dataset.data_root = tiny_knee_root
    for t in dataset.pipeline:
        if t.type == 'Resize':
            t.scale = (32, 32)
    model = build_probe_model(cfg, seed=0)
    feats, labels = extract_features(model, dataset, 'val', batch_size=4)
    assert feats.shape == (10, 512) and np.isfinite(feats).all()
    assert sorted(labels.tolist()) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    again, _ = extract_features(build_probe_model(cfg, seed=0), dataset,
                                'val', batch_size=10)
    np.testing.assert_allclose(feats, again, rtol=1e-4, atol=1e-5)
