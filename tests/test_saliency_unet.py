"""SaliencyUNet backbone and configs/gaze_saliency_unet_knee.py."""
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from gca_mm.models import SaliencyUNet

REPO = osp.join(osp.dirname(__file__), '..')
CONFIG = osp.join(REPO, 'configs', 'gaze_saliency_unet_knee.py')


@pytest.fixture(scope='module')
def cfg():
    return Config.fromfile(CONFIG)


@pytest.mark.parametrize('upsample', ['bilinear', 'deconv'])
@pytest.mark.parametrize('hw', [(32, 32), (48, 64)])
def test_output_has_the_input_size(upsample, hw):
    unet = SaliencyUNet(base_channels=4, num_stages=4, upsample=upsample)
    out = unet(torch.rand(2, 3, *hw))
    assert isinstance(out, tuple) and len(out) == 1
    assert out[0].shape == (2, 4, *hw)
    assert unet.size_divisor == 16


def test_fewer_stages_and_grey_input():
    unet = SaliencyUNet(in_channels=1, base_channels=2, num_stages=2)
    assert unet(torch.rand(1, 1, 12, 8))[0].shape == (1, 2, 12, 8)
    assert len(unet.down_stages) == len(unet.up_stages) == 2


def test_input_size_must_be_divisible():
    unet = SaliencyUNet(base_channels=2)
    with pytest.raises(ValueError, match=re.escape(
            'SaliencyUNet with 4 down stages needs an input height and width '
            'divisible by 16, got 40x32')):
        unet(torch.rand(1, 3, 40, 32))
    with pytest.raises(ValueError, match=r'\(N, C, H, W\) batch'):
        unet(torch.rand(3, 32, 32))


@pytest.mark.parametrize('kwargs,message', [
    (dict(upsample='nearest'), "upsample must be one of ('bilinear', "
     "'deconv'), got 'nearest'"),
    (dict(num_stages=0), 'num_stages must be an integer >= 1, got 0'),
    (dict(base_channels=8.0), 'base_channels must be an integer >= 1'),
    (dict(in_channels=True), 'in_channels must be an integer >= 1, got True'),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        SaliencyUNet(**kwargs)


def test_config_is_the_resnet_recipe_with_a_unet(cfg):
    base = Config.fromfile(CONFIG.replace('unet', 'resnet18'))
    assert cfg.model.backbone == dict(
        type='SaliencyUNet', in_channels=3, base_channels=16, num_stages=4,
        upsample='bilinear', norm_cfg=dict(type='BN'))
    assert cfg.model.head.in_channels == (16, )
    assert cfg.model.head.loss == base.model.head.loss
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-3)
    assert cfg.train_cfg.max_epochs == 30
    cosine = cfg.param_scheduler[-1]
    assert (cosine.T_max, cosine.end) == (29, 30)  # not the base's 60
    for key in ('train_dataloader', 'test_dataloader', 'test_evaluator',
                'default_hooks', 'test_pipeline'):
        assert cfg[key] == base[key], key
    assert cfg.img_size % 2**cfg.model.backbone.num_stages == 0


def test_config_builds_and_takes_a_step(cfg):
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(2):
        target = rng.random((32, 32)).astype(np.float32) + 0.1
        samples.append(DataSample(gt_saliency=target))
    data = dict(
        inputs=torch.from_numpy(rng.integers(0, 255, (2, 1, 32, 32),
                                             dtype=np.uint8)),
        data_samples=samples)
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    log_vars = model.train_step(data, optim)
    assert set(log_vars) == {'loss', 'loss_kld', 'loss_cc'}
    assert torch.isfinite(log_vars['loss'])
    assert model(torch.rand(1, 3, 32, 32), mode='tensor').shape == \
        (1, 1, 32, 32)  # logits at full resolution
    model.eval()
    for s in samples:
        s.set_metainfo(dict(ori_shape=(40, 50)))
    with torch.no_grad():
        out = model.test_step(data)
    assert tuple(out[0].pred_saliency.shape) == (32, 32)
    assert tuple(out[0].pred_saliency_ori.shape) == (40, 50)
    assert out[0].pred_saliency.max().item() == pytest.approx(1.0)
