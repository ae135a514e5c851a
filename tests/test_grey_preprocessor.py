"""Grey X-rays to one-channel backbones: the stock (3-channel) views in,
one normalised channel out; colour images are refused."""
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample


def _grey(n, size=8):
    x = torch.randint(0, 256, (n, 1, size, size), dtype=torch.uint8)
    return x.expand(n, 3, size, size).contiguous()


def test_selfsup_views_become_one_normalised_channel():
    pre = MODELS.build(dict(type='GreySelfSupDataPreprocessor', mean=[100.],
                            std=[50.], to_rgb=False))
    views = [_grey(2), _grey(2)]
    out = pre(dict(inputs=views, data_samples=[DataSample()] * 2))
    assert [v.shape for v in out['inputs']] == [(2, 1, 8, 8)] * 2
    expected = (views[1][:, :1].float() - 100) / 50
    assert torch.allclose(out['inputs'][1], expected)


def test_classifier_inputs_become_one_channel_and_colour_is_refused():
    pre = MODELS.build(dict(type='GreyClsDataPreprocessor', num_classes=5,
                            mean=[100.], std=[50.]))
    imgs = list(_grey(3))
    samples = [DataSample().set_gt_label(1) for _ in imgs]
    out = pre(dict(inputs=imgs, data_samples=samples))
    assert out['inputs'].shape == (3, 1, 8, 8)
    colour = _grey(1)[0]
    colour[2] = 0
    colour[2, 0, 0] = 255  # at least one pixel far off
    with pytest.raises(ValueError, match='channels differ'):
        pre(dict(inputs=[colour], data_samples=samples[:1]))


def test_resize_rounding_between_channels_is_tolerated():
    """OpenCV's bicubic resize of a grey image replicated to 3 channels
    rounds a channel one level off at a few pixels now and then (and a
    solarize threshold can widen such a pixel); that is still grey, and the
    first channel is what the backbone gets."""
    pre = MODELS.build(dict(type='GreySelfSupDataPreprocessor', mean=[100.],
                            std=[50.], to_rgb=False))
    view = _grey(2)
    rounded = view.clone()
    rounded[1, 2, 3, 4] = (int(rounded[1, 2, 3, 4]) + 100) % 256
    rounded[0, 1, 0, 0] //= 2
    out = pre(dict(inputs=[rounded], data_samples=[DataSample()] * 2))
    assert torch.equal(out['inputs'][0], (view[:, :1].float() - 100) / 50)
    tinted = view.clone().clamp(0, 249)
    tinted[1, 2] += 6  # a whole channel 6 levels off: not grey any more
    with pytest.raises(ValueError, match='channels differ'):
        pre(dict(inputs=[tinted], data_samples=[DataSample()] * 2))
