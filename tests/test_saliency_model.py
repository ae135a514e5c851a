"""Gaze-saliency model: head, losses, data preprocessor, model, config and
the target transforms."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from gca_mm.evaluation import SaliencyMetric, cc, kld
from gca_mm.models import SaliencyCCLoss, SaliencyKLDLoss

CONFIG = osp.join(
    osp.dirname(__file__), '..', 'configs', 'gaze_saliency_resnet18_knee.py')


def _blob(shape, cy, cx, sigma):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    return np.exp(-((yy - cy)**2 + (xx - cx)**2) /
                  (2 * sigma**2)).astype(np.float32)


@pytest.fixture(scope='module')
def cfg():
    init_default_scope('mmpretrain')  # as the Runner does, for Compose
    return Config.fromfile(CONFIG)


@pytest.fixture
def model():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='GazeSaliencyModel'))
    model.init_weights()
    return model


def _batch(n, h, w, ori_shape=None, seed=0):
    """Grey uint8 images with a bright disc where the target map peaks."""
    rng = np.random.default_rng(seed)
    inputs, samples = [], []
    for _ in range(n):
        cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
        target = _blob((h, w), cy, cx, h / 10)
        img = 60 + 150 * (target > 0.5) + rng.integers(0, 30, (h, w))
        inputs.append(torch.from_numpy(img.astype(np.uint8))[None])
        sample = DataSample(gt_saliency=target)
        if ori_shape is not None:
            sample.set_metainfo(dict(ori_shape=ori_shape))
        samples.append(sample)
    return dict(inputs=torch.stack(inputs), data_samples=samples)


# ----------------------------------------------------------------------------
# losses
# ----------------------------------------------------------------------------
def _positive_maps(n=3, h=8, w=10, seed=0):
    return torch.from_numpy(
        np.random.default_rng(seed).random((n, h, w)).astype(np.float32) +
        0.05)


def test_kld_loss_is_zero_for_identical_distributions():
    gt = _positive_maps()
    loss = SaliencyKLDLoss()(torch.log(gt * 7.0)[:, None], gt)
    assert loss.item() == pytest.approx(0.0, abs=1e-5)


def test_kld_loss_matches_the_metric():
    gt, logits = _positive_maps(seed=0), torch.randn(3, 8, 10)
    pred = torch.softmax(logits.flatten(1), 1).view_as(logits)
    expected = np.mean([kld(p.numpy(), g.numpy()) for p, g in zip(pred, gt)])
    assert SaliencyKLDLoss(loss_weight=2.0)(logits, gt).item() == \
        pytest.approx(2 * expected, rel=1e-4)


def test_cc_loss_is_zero_for_identical_maps_and_matches_the_metric():
    gt, logits = _positive_maps(), torch.randn(3, 1, 8, 10)
    assert SaliencyCCLoss()(torch.log(gt)[:, None], gt * 3).item() == \
        pytest.approx(0.0, abs=1e-5)
    pred = torch.softmax(logits.flatten(1), 1).view(3, 8, 10)
    expected = np.mean(
        [1 - cc(p.numpy(), g.numpy()) for p, g in zip(pred, gt)])
    assert SaliencyCCLoss(loss_weight=0.5)(logits, gt).item() == \
        pytest.approx(0.5 * expected, rel=1e-4)


@pytest.mark.parametrize('loss_cls', [SaliencyKLDLoss, SaliencyCCLoss])
def test_loss_leaves_out_blank_targets(loss_cls):
    gt, logits = _positive_maps(n=2), torch.randn(2, 8, 10)
    blank = gt.clone()
    blank[1] = 0
    loss = loss_cls()
    assert loss(logits, blank).item() == pytest.approx(
        loss(logits[:1], gt[:1]).item())
    logits.requires_grad_(True)
    zero = loss(logits, torch.zeros_like(gt))
    zero.backward()
    assert zero.item() == 0 and torch.all(logits.grad == 0)


@pytest.mark.parametrize('loss_cls', [SaliencyKLDLoss, SaliencyCCLoss])
def test_loss_rejects_bad_targets(loss_cls):
    with pytest.raises(ValueError, match='same shape'):
        loss_cls()(torch.zeros(2, 8, 10), torch.ones(2, 8, 9))
    with pytest.raises(ValueError, match='finite and non-negative'):
        loss_cls()(torch.zeros(2, 8, 10), -torch.ones(2, 8, 10))


# ----------------------------------------------------------------------------
# head and model
# ----------------------------------------------------------------------------
@pytest.mark.parametrize('hw', [(64, 64), (96, 96), (128, 128), (64, 96),
                                (100, 72)])
def test_output_shapes(model, hw):
    inputs = torch.rand(2, 3, *hw)
    logits = model(inputs, mode='tensor')
    assert logits.shape == (2, 1, -(-hw[0] // 4), -(-hw[1] // 4))
    model.eval()
    with torch.no_grad():
        out = model(inputs, mode='predict')
    assert [tuple(s.pred_saliency.shape) for s in out] == [hw, hw]
    assert 'pred_saliency_ori' not in out[0]


def test_predict_maps_in_unit_range_at_input_and_original_size(model):
    data = model.data_preprocessor(_batch(2, 64, 96, ori_shape=(150, 200)))
    model.eval()
    with torch.no_grad():
        out = model(**data, mode='predict')
    for sample in out:
        for key, shape in (('pred_saliency', (64, 96)),
                           ('pred_saliency_ori', (150, 200))):
            pred = sample.get(key)
            assert tuple(pred.shape) == shape
            assert pred.min() > 0 and pred.max().item() == pytest.approx(1.0)
    # the full-size map is the input-size one, resized
    small = torch.nn.functional.interpolate(
        out[0].pred_saliency_ori[None, None], size=(64, 96), mode='area')[0, 0]
    assert cc(small.numpy(), out[0].pred_saliency.numpy()) > 0.99


def test_loss_mode_returns_weighted_losses(model):
    data = model.data_preprocessor(_batch(2, 64, 64), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_kld', 'loss_cc'}
    assert all(v.requires_grad and v.item() > 0 for v in losses.values())


def test_overfits_a_few_maps():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='GazeSaliencyModel',
            data_preprocessor=dict(mean=[128.0], std=[64.0])))
    model.init_weights()
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    data = _batch(4, 64, 64, seed=1)
    history = []
    for _ in range(25):
        log_vars = model.train_step(data, optim)
        history.append(log_vars['loss'].item())
    assert np.mean(history[-3:]) < 0.3 * history[0]
    model.eval()
    with torch.no_grad():
        out = model.test_step(data)
    targets = [s.gt_saliency for s in data['data_samples']]
    assert np.mean([
        cc(s.pred_saliency.numpy(), t) for s, t in zip(out, targets)
    ]) > 0.8


def test_head_rejects_mismatched_features():
    head = MODELS.build(dict(type='GazeSaliencyHead'))
    with pytest.raises(ValueError, match='got 3 feature maps'):
        head([torch.rand(1, 64, 8, 8)] * 3)


def test_head_rejects_duplicate_loss_names():
    with pytest.raises(ValueError, match='distinct loss names'):
        MODELS.build(
            dict(
                type='GazeSaliencyHead',
                loss=[dict(type='SaliencyKLDLoss'),
                      dict(type='SaliencyKLDLoss')]))


def test_model_builds_from_the_configs(cfg):
    model = MODELS.build(cfg.model)
    assert model.data_preprocessor.mean.flatten().tolist() == [118.0]
    model.eval()
    with torch.no_grad():
        out = model.test_step(_batch(1, 64, 64, ori_shape=(80, 80)))
    assert tuple(out[0].pred_saliency_ori.shape) == (80, 80)
    r50 = Config.fromfile(CONFIG.replace('resnet18', 'resnet50'))
    assert r50.model.backbone.depth == 50
    assert r50.model.head.in_channels == (256, 512, 1024, 2048)
    assert r50.train_pipeline[2]['transforms'][1]['crop_size'] == 224
    assert r50.test_dataloader.dataset.pipeline[4]['scale'] == (224, 224)


# ----------------------------------------------------------------------------
# data preprocessor
# ----------------------------------------------------------------------------
def test_preprocessor_normalises_grey_to_three_channels():
    pre = MODELS.build(
        dict(type='SaliencyDataPreprocessor', mean=[100.0], std=[50.0]))
    data = pre(_batch(2, 16, 16))
    raw = _batch(2, 16, 16)['inputs'].float()
    assert data['inputs'].shape == (2, 3, 16, 16)
    torch.testing.assert_close(data['inputs'][:, 2], (raw[:, 0] - 100) / 50)
    target = data['data_samples'][0].gt_saliency
    assert isinstance(target, torch.Tensor) and target.dtype == torch.float32


def test_preprocessor_checks_channels_against_mean():
    pre = MODELS.build(
        dict(type='SaliencyDataPreprocessor', mean=[1, 2, 3], std=[1, 1, 1],
             grey_to_rgb=False))
    with pytest.raises(ValueError, match='3 values but the images have 1'):
        pre(_batch(1, 16, 16))


def test_preprocessor_rejects_misaligned_training_targets():
    pre = MODELS.build(dict(type='SaliencyDataPreprocessor'))
    data = _batch(2, 16, 16)
    data['data_samples'][1].gt_saliency = np.ones((20, 20), np.float32)
    data['data_samples'][1].set_metainfo(dict(img_path='train/1/k.png'))
    with pytest.raises(ValueError, match=r'train/1/k.png is \(20, 20\) but '
                       r'the input is \(16, 16\)'):
        pre(data, training=True)
    pre(data, training=False)  # evaluation targets may keep their own size


def test_preprocessor_requires_targets_for_training():
    pre = MODELS.build(dict(type='SaliencyDataPreprocessor'))
    data = _batch(1, 16, 16)
    data['data_samples'] = [DataSample()]
    with pytest.raises(KeyError, match='no gt_saliency map to train on'):
        pre(data, training=True)


# ----------------------------------------------------------------------------
# pipelines and target transforms
# ----------------------------------------------------------------------------
def test_train_pipeline_moves_image_and_map_together(cfg):
    # the map's content drawn into the image: after random crops, resizes and
    # flips both must still agree pixel for pixel
    pipeline = Compose(cfg.train_pipeline[2:])  # after the two loaders
    yy, xx = np.mgrid[:90, :120]
    gaze_map = (_blob((90, 120), 30, 85, 12) + xx / 240 +
                yy / 360).astype(np.float32)
    gaze_map /= gaze_map.max()
    img = np.rint(gaze_map * 255).astype(np.uint8)
    seen = set()
    for seed in range(8):
        np.random.seed(seed)
        out = pipeline(
            dict(img=img.copy(), gaze_map=gaze_map.copy(),
                 img_shape=img.shape))
        target = out['data_samples'].gt_saliency
        assert out['inputs'].shape == (1, 128, 128)
        assert target.shape == (128, 128)
        assert out['data_samples'].img_shape[:2] == (128, 128)
        np.testing.assert_allclose(
            out['inputs'][0].numpy() / 255, target, atol=0.01)
        seen.add(round(float(target.mean()), 3))
        seen.add(bool(target[:, :64].sum() > target[:, 64:].sum()))
    assert len(seen) > 4  # crops and flips did vary


def test_test_pipeline_keeps_targets_at_original_size(cfg, tmp_path):
    csv = tmp_path / 'fixations.csv'
    csv.write_text('image,x,y,reader\nval/0/k.png,10,20,a\n'
                   'val/0/k.png,30.5,5,b\nval/1/other.png,1,1,a\n')
    steps = [dict(s) for s in cfg.test_pipeline[2:]]
    steps[0].update(fixation_file=str(csv), data_root=str(tmp_path))
    gaze_map = _blob((60, 80), 20, 30, 8)
    out = Compose(steps)(
        dict(img=np.zeros((60, 80), np.uint8), gaze_map=gaze_map,
             img_path=str(tmp_path / 'val' / '0' / 'k.png'),
             ori_shape=(60, 80), img_shape=(60, 80)))
    sample = out['data_samples']
    assert out['inputs'].shape == (1, 128, 128)
    np.testing.assert_array_equal(sample.gt_saliency, gaze_map)
    np.testing.assert_array_equal(sample.gt_fixations,
                                  [[10, 20], [30.5, 5]])
    assert sample.ori_shape == (60, 80)


def test_model_and_metric_on_the_test_pipeline(cfg, tmp_path, model):
    csv = tmp_path / 'fixations.csv'
    csv.write_text('image,x,y\nk.png,30,20\nk.png,31,21\n')
    steps = [dict(s) for s in cfg.test_pipeline[2:]]
    steps[0].update(fixation_file=str(csv), data_root=str(tmp_path))
    packed = Compose(steps)(
        dict(img=np.full((60, 80), 90, np.uint8),
             gaze_map=_blob((60, 80), 20, 30, 8),
             img_path=str(tmp_path / 'k.png'), ori_shape=(60, 80)))
    model.eval()
    with torch.no_grad():
        out = model.test_step(
            dict(inputs=packed['inputs'][None],
                 data_samples=[packed['data_samples']]))
    metric = SaliencyMetric()
    metric.process(None, [s.to_dict() for s in out])
    assert set(metric.evaluate(1)) == {
        f'saliency/{k}' for k in ('cc', 'kld', 'sim', 'nss', 'auc_judd')
    }


def test_load_fixations_missing_image(tmp_path):
    from gca_mm.datasets.transforms import LoadFixations
    csv = tmp_path / 'fixations.csv'
    csv.write_text('image,x,y\na.png,1,2\n')
    with pytest.raises(KeyError, match="no fixations for image 'b.png'"):
        LoadFixations(str(csv), data_root=str(tmp_path))(
            dict(img_path=str(tmp_path / 'b.png')))
    out = LoadFixations(str(csv), data_root=str(tmp_path),
                        allow_missing=True)(
                            dict(img_path=str(tmp_path / 'b.png')))
    assert out['gt_fixations'].shape == (0, 2)


def test_load_fixations_rejects_a_bad_csv(tmp_path):
    from gca_mm.datasets.transforms import LoadFixations
    csv = tmp_path / 'fixations.csv'
    csv.write_text('image,col,row\na.png,1,2\n')
    with pytest.raises(ValueError, match='fixations.csv'):
        LoadFixations(str(csv))


def test_gaze_map_to_target_validates():
    from gca_mm.datasets.transforms import GazeMapToTarget
    with pytest.raises(KeyError, match="k.png has no 'gaze_map'"):
        GazeMapToTarget()(dict(img_path='k.png'))
    # the map's values are validated once, by LoadGazeMap, when it is read;
    # here only that the target is a 2-D map
    with pytest.raises(ValueError, match='must be HxW'):
        GazeMapToTarget()(dict(gaze_map=np.ones((4, 4, 3))))
    out = GazeMapToTarget()(dict(gaze_map=np.ones((4, 4), np.float64)))
    assert out['gt_saliency'].dtype == np.float32
