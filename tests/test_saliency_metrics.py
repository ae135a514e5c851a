"""Saliency metrics: the pure functions, ``score_saliency`` and
``SaliencyMetric``."""
import logging

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

from gca_mm.evaluation import (SaliencyMetric, auc_judd, cc, fixation_mask,
                               kld, nss, rescale_fixations, score_saliency,
                               sim)


def _blob(shape, cy, cx, sigma):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    return np.exp(-((yy - cy)**2 + (xx - cx)**2) / (2 * sigma**2))


@pytest.fixture
def maps():
    rng = np.random.default_rng(0)
    gt = _blob((24, 32), 10, 12, 4)
    pred = gt + 0.3 * rng.random(gt.shape)
    return pred, gt


# ----------------------------------------------------------------------------
# pure functions
# ----------------------------------------------------------------------------
def test_identical_maps_are_perfect(maps):
    _, gt = maps
    assert cc(gt, gt) == pytest.approx(1.0)
    assert sim(gt, gt) == pytest.approx(1.0)
    assert kld(gt, gt) == pytest.approx(0.0, abs=1e-9)


def test_imperfect_prediction_scores_worse(maps):
    pred, gt = maps
    assert 0 < cc(pred, gt) < 1
    assert 0 < sim(pred, gt) < 1
    assert kld(pred, gt) > 1e-3


def test_kld_worked_example():
    # pred [1, 3] -> [1/4, 3/4]; gt [1, 1] -> [1/2, 1/2]
    # KLD = 1/2 ln(2) + 1/2 ln(2/3) = 1/2 ln(4/3)
    assert kld([[1.0, 3.0]], [[1.0, 1.0]]) == pytest.approx(
        0.5 * np.log(4 / 3), rel=1e-9)


def test_sim_worked_example():
    # pred min-max -> [0, .5, .5, 1], / 2 -> [0, .25, .25, .5];
    # constant gt -> [.25] * 4; sum of minima = 0 + .25 + .25 + .25
    assert sim([[0.0, 1.0], [1.0, 2.0]], np.ones((2, 2))) == pytest.approx(
        0.75)


def test_cc_of_inverted_map_is_minus_one(maps):
    _, gt = maps
    assert cc(-gt, gt) == pytest.approx(-1.0)


def test_nss_worked_example():
    # values 0, 1, 2, 3: mean 1.5, std sqrt(1.25); fixated values 2 and 3
    # z = 0.5 / sqrt(1.25) and 1.5 / sqrt(1.25); mean = 1 / sqrt(1.25)
    pred = np.array([[0.0, 1.0], [2.0, 3.0]])
    fix = np.array([[0, 0], [1, 1]])
    assert nss(pred, fix) == pytest.approx(1 / np.sqrt(1.25))


def test_auc_judd_worked_example():
    # fixated values 0.8 and 0.35; non-fixated 0.1 and 0.4.
    # threshold 0.8:  1 pixel >= it -> TP 1/2, FP 0/2
    # threshold 0.35: 3 pixels >= it -> TP 2/2, FP 1/2
    # ROC (0,0) (0,.5) (.5,1) (1,1): area = .5 * (.5 + 1) / 2 + .5 * 1
    pred = np.array([[0.1, 0.4], [0.35, 0.8]])
    fix = np.array([[0, 0], [1, 1]])
    assert auc_judd(pred, fix) == pytest.approx(0.875)


def test_auc_judd_extremes():
    pred = _blob((16, 16), 8, 8, 2)
    centre = np.zeros_like(pred)
    centre[8, 8] = 1
    corner = np.zeros_like(pred)
    corner[0, 0] = 1
    assert auc_judd(pred, centre) == pytest.approx(1.0)
    # one fixation on the lowest value: every pixel is above the threshold,
    # ROC (0,0) (1,1): chance level
    assert auc_judd(pred, corner) == pytest.approx(0.5)


@pytest.mark.parametrize('scale, shift', [(3.0, 0.0), (0.01, 5.0),
                                          (250.0, -7.0)])
def test_cc_and_nss_invariant_to_affine_rescale(maps, scale, shift):
    pred, gt = maps
    fix = gt > 0.8
    assert cc(scale * pred + shift, gt) == pytest.approx(cc(pred, gt))
    assert nss(scale * pred + shift, fix) == pytest.approx(nss(pred, fix))


@pytest.mark.parametrize('fn', [cc, kld, sim])
def test_shape_mismatch_raises(fn):
    with pytest.raises(ValueError, match='must have the same shape'):
        fn(np.ones((4, 4)), np.ones((4, 5)))


@pytest.mark.parametrize('fn', [cc, kld, sim])
def test_nan_raises(fn):
    bad = np.ones((4, 4))
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        fn(bad, np.ones((4, 4)))


@pytest.mark.parametrize('fn', [nss, auc_judd])
def test_empty_fixations_raise(fn):
    with pytest.raises(ValueError, match='no fixated pixel'):
        fn(np.ones((4, 4)), np.zeros((4, 4)))


@pytest.mark.parametrize('fn', [nss, auc_judd])
def test_fixation_mask_shape_mismatch_raises(fn):
    with pytest.raises(ValueError, match='must match the map'):
        fn(np.ones((4, 4)), np.ones((4, 3)))


# ----------------------------------------------------------------------------
# fixation coordinates and score_saliency
# ----------------------------------------------------------------------------
def test_fixation_mask_rounds_to_pixel_centres_and_drops_outside():
    fixations = np.array([[0.4, 0.0], [2.6, 1.2], [-0.6, 1.0], [4.5, 0.0],
                          [1.0, 2.49]])
    mask = fixation_mask(fixations, (3, 5))
    expected = np.zeros((3, 5), bool)
    expected[0, 0] = expected[1, 3] = expected[2, 1] = True
    np.testing.assert_array_equal(mask, expected)


def test_fixation_mask_rejects_bad_input():
    with pytest.raises(ValueError, match=r'\(N, 2\)'):
        fixation_mask(np.zeros((3, 3)), (4, 4))
    with pytest.raises(ValueError, match='NaN or infinite'):
        fixation_mask(np.array([[np.nan, 1.0]]), (4, 4))


def test_rescale_fixations_keeps_the_field_of_view():
    # pixel edges are at -0.5 and w - 0.5: centre 4.5 of a 10-wide image
    # lies at 5 / 10 of the width, i.e. at 9.5 of a 20-wide one
    out = rescale_fixations([[4.5, 2.0]], (10, 10), (20, 40))
    np.testing.assert_allclose(out, [[19.5, 4.5]])
    assert rescale_fixations([[-0.5, 9.5]], (10, 10), (5, 5)).tolist() == [[
        -0.5, 4.5
    ]]


def test_score_saliency_matches_the_functions(maps):
    pred, gt = maps
    fixations = np.array([[12.0, 10.0], [13.0, 9.0], [30.0, 2.0]])
    mask = fixation_mask(fixations, gt.shape)
    scores = score_saliency(torch.from_numpy(pred), gt, fixations)
    assert scores == pytest.approx(
        dict(cc=cc(pred, gt), kld=kld(pred, gt), sim=sim(pred, gt),
             nss=nss(pred, mask), auc_judd=auc_judd(pred, mask)))
    assert set(score_saliency(pred, gt)) == {'cc', 'kld', 'sim'}


def test_score_saliency_fixations_outside_raise(maps):
    pred, gt = maps
    with pytest.raises(ValueError, match='no fixated pixel'):
        score_saliency(pred, gt, np.array([[100.0, 100.0]]))


# ----------------------------------------------------------------------------
# SaliencyMetric
# ----------------------------------------------------------------------------
class _Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def log_records():
    logger = MMLogger.get_current_instance()
    handler = _Records()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def _sample(gt, pred=None, pred_ori=None, fixations=None, ori_shape=None):
    sample = DataSample(gt_saliency=torch.as_tensor(gt))
    if pred is not None:
        sample.pred_saliency = torch.as_tensor(pred)
    if pred_ori is not None:
        sample.pred_saliency_ori = torch.as_tensor(pred_ori)
    if fixations is not None:
        sample.gt_fixations = np.asarray(fixations, np.float32)
    if ori_shape is not None:
        sample.set_metainfo(dict(ori_shape=ori_shape))
    return sample.to_dict()  # what mmengine's Evaluator hands to a metric


def test_metric_averages_over_samples(maps, log_records):
    pred, gt = maps
    fix = [[12.0, 10.0], [3.0, 20.0]]
    metric = SaliencyMetric()
    metric.process(None, [
        _sample(gt, pred=gt, fixations=fix),
        _sample(gt, pred=pred, fixations=fix),
    ])
    res = metric.evaluate(2)
    mask = fixation_mask(np.array(fix), gt.shape)
    assert res['saliency/cc'] == pytest.approx((1 + cc(pred, gt)) / 2)
    assert res['saliency/kld'] == pytest.approx(kld(pred, gt) / 2, rel=1e-6)
    assert res['saliency/sim'] == pytest.approx((1 + sim(pred, gt)) / 2)
    assert res['saliency/nss'] == pytest.approx(
        (nss(gt, mask) + nss(pred, mask)) / 2)
    assert res['saliency/auc_judd'] == pytest.approx(
        (auc_judd(gt, mask) + auc_judd(pred, mask)) / 2)
    assert not any('SaliencyMetric' in m for m in log_records)


def test_metric_picks_the_prediction_with_the_target_shape(maps):
    pred, gt = maps
    small = torch.rand(12, 16)  # a wrong-size map that must not be used
    metric = SaliencyMetric()
    metric.process(None, [_sample(gt, pred=small, pred_ori=gt)])
    assert metric.evaluate(1)['saliency/cc'] == pytest.approx(1.0)
    metric.process(None, [_sample(gt, pred=gt, pred_ori=small)])
    assert metric.evaluate(1)['saliency/cc'] == pytest.approx(1.0)


def test_metric_without_matching_prediction_raises(maps):
    _, gt = maps
    metric = SaliencyMetric()
    with pytest.raises(ValueError, match='no prediction of .* has the shape'):
        metric.process(None, [_sample(gt, pred=torch.rand(12, 16))])


def test_metric_without_target_raises():
    sample = DataSample(pred_saliency=torch.rand(4, 4))
    sample.set_metainfo(dict(img_path='a/knee.png'))
    with pytest.raises(KeyError, match='a/knee.png has no gt_saliency'):
        SaliencyMetric().process(None, [sample.to_dict()])


def test_metric_skips_fixation_metrics_and_says_so(maps, log_records):
    pred, gt = maps
    metric = SaliencyMetric()
    metric.process(None, [
        _sample(gt, pred=pred),
        _sample(gt, pred=pred, fixations=np.zeros((0, 2))),
        _sample(gt, pred=pred, fixations=[[500.0, 500.0]]),  # off the image
    ])
    res = metric.evaluate(3)
    assert set(res) == {'saliency/cc', 'saliency/kld', 'saliency/sim'}
    notes = [m for m in log_records if 'SaliencyMetric' in m]
    assert len(notes) == 1 and 'skipped' in notes[0]


def test_metric_reports_partial_fixations(maps, log_records):
    pred, gt = maps
    metric = SaliencyMetric()
    fix = [[12.0, 10.0]]
    metric.process(None, [
        _sample(gt, pred=pred, fixations=fix),
        _sample(gt, pred=pred)
    ])
    res = metric.evaluate(2)
    assert res['saliency/nss'] == pytest.approx(
        nss(pred, fixation_mask(np.array(fix), gt.shape)))
    notes = [m for m in log_records if 'SaliencyMetric' in m]
    assert len(notes) == 1 and '1 of 2 samples' in notes[0]


def test_metric_rescales_fixations_from_the_original_image(maps):
    pred, gt = maps  # 24 x 32 maps of an image that was 48 x 64
    fix_ori = np.array([[25.0, 21.0], [6.0, 40.0]])
    metric = SaliencyMetric()
    metric.process(None, [
        _sample(gt, pred=pred, fixations=fix_ori, ori_shape=(48, 64))
    ])
    mask = fixation_mask(rescale_fixations(fix_ori, (48, 64), gt.shape),
                         gt.shape)
    assert mask.sum() == 2
    assert metric.evaluate(1)['saliency/nss'] == pytest.approx(nss(pred, mask))
