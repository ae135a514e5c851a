"""Data preprocessors that feed grey X-rays to one-channel backbones."""
import torch
from mmpretrain.models.utils import (ClsDataPreprocessor,
                                     SelfSupDataPreprocessor)
from mmpretrain.registry import MODELS


#: how far (grey levels, on average over an image) its channels may differ
#: and the image still count as grey: OpenCV's bicubic resize of a
#: 3-channel image (BYOL's stock crop) rounds a channel one level off at a
#: few pixels now and then (2 of 20,000 crops of 64 px), and the views' later
#: steps can widen those pixels (a solarize threshold between them); a
#: colour image differs everywhere
GREY_TOLERANCE = 2


def _first_channel(inputs, name, tolerance=0.):
    """``inputs[:, :1]`` after checking that every channel is equal, up to a
    mean absolute difference of ``tolerance`` per image (a grey image
    replicated to 3 channels, as ``LoadXrayFromFile`` gives)."""
    if inputs.dim() != 4:
        raise ValueError(f'{name} expects image batches N x C x H x W, got '
                         f'shape {tuple(inputs.shape)}')
    if inputs.shape[1] > 1:
        diff = (inputs[:, 1:] - inputs[:, :1]).abs().mean(
            dim=(1, 2, 3)).amax().item()
        if diff > tolerance:
            raise ValueError(
                f'{name} got images whose channels differ (by {diff:.3g} '
                'on average): it feeds grey images (one channel, or grey '
                'replicated to 3) to a one-channel backbone; use '
                'SelfSupDataPreprocessor / ClsDataPreprocessor and '
                'in_channels=3 for colour images')
    return inputs[:, :1]


def _tolerance(preprocessor):
    """:data:`GREY_TOLERANCE` in the units of the preprocessor's output."""
    if getattr(preprocessor, '_enable_normalize', False):
        return GREY_TOLERANCE / float(preprocessor.std.min())
    return float(GREY_TOLERANCE)


@MODELS.register_module()
class GreySelfSupDataPreprocessor(SelfSupDataPreprocessor):
    """``SelfSupDataPreprocessor`` whose output has one channel.

    The stock view pipelines (colour jitter, grayscale, solarize, ...) work
    on 3-channel images, so X-rays are loaded as grey replicated to 3
    channels and the augmentations stay exactly mmpretrain's; this
    preprocessor normalises them and keeps one channel for a backbone with
    ``in_channels=1`` (for grey images saturation, hue and grayscale changes
    leave the 3 channels equal). ``mean`` and ``std`` have one value each.
    Raises ``ValueError`` when the channels of an image differ by more than
    :data:`GREY_TOLERANCE` grey levels on average (resize rounding at a few
    pixels is tolerated).
    """

    def forward(self, data, training=False):
        out = super().forward(data, training)
        name = type(self).__name__
        inputs = out['inputs']
        tol = _tolerance(self)
        out['inputs'] = [_first_channel(x, name, tol) for x in inputs] \
            if isinstance(inputs, list) else _first_channel(inputs, name, tol)
        return out


@MODELS.register_module()
class GreyClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` whose output has one channel, for linear
    probes and fine-tuning of backbones pre-trained with
    :class:`GreySelfSupDataPreprocessor`."""

    def forward(self, data, training=False):
        out = super().forward(data, training)
        out['inputs'] = _first_channel(out['inputs'], type(self).__name__,
                                       _tolerance(self))
        return out
