"""The benchmark's probe (logistic regression on frozen features): it finds
a grade that the features carry, reports chance when they carry none,
chooses its L2 strength on val only, and reads the probe config's data and
backbone."""
import numpy as np
import pytest
from mmengine.config import Config

from gca_mm.experiments import (build_probe_model, extract_features,
                                feature_probe)
from gca_mm.experiments.feature_probe import C_GRID, grade_scores
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
    assert result['accuracy'] > 95 and result['macro_f1'] > 95
    assert result['grade_mae'] < 0.05
    assert result['C'] in C_GRID
    assert set(result['val_by_c']) == set(C_GRID)
    assert result['val_macro_f1'] == max(result['val_by_c'].values())


def test_probe_chooses_c_on_val_never_on_test():
    """The test split's labels do not change the choice of C nor the
    predictions: scrambling them changes only the test scores."""
    rng = np.random.default_rng(2)
    train, val, test = (_split(rng, n, True) for n in (300, 100, 200))
    test = (test[0] + rng.normal(scale=8, size=test[0].shape), test[1])
    a = feature_probe(train, val, test)
    b = feature_probe(train, val, (test[0], rng.permutation(test[1])))
    assert a['C'] == b['C'] and a['val_by_c'] == b['val_by_c']
    assert a['accuracy'] != b['accuracy']


def test_grade_scores_on_known_predictions():
    s = grade_scores([0, 0, 1, 4], [0, 1, 1, 2])
    assert s['accuracy'] == 50.0
    assert s['grade_mae'] == pytest.approx(0.75)  # (0 + 1 + 0 + 2) / 4
    # F1 per grade: KL0 2/3, KL1 2/3, KL2 0, KL3 0 (absent), KL4 0
    assert s['macro_f1'] == pytest.approx(100 * (2 / 3 + 2 / 3) / 5)


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
    dataset.decoded_cache = None
    for t in dataset.pipeline:
        if t.type == 'Resize':
            t.scale = (32, 32)
    model = build_probe_model(cfg, seed=0)
    feats, labels = extract_features(model, dataset, 'val', batch_size=4)
    assert feats.shape == (10, 256) and np.isfinite(feats).all()
    assert sorted(labels.tolist()) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    again, _ = extract_features(build_probe_model(cfg, seed=0), dataset,
                                'val', batch_size=10)
    np.testing.assert_allclose(feats, again, rtol=1e-4, atol=1e-5)
