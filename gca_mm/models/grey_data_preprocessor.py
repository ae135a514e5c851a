"""Data preprocessors that feed grey X-rays to one-channel backbones."""
import torch
from mmpretrain.models.utils import (ClsDataPreprocessor,
                                     SelfSupDataPreprocessor)
from mmpretrain.registry import MODELS


def _first_channel(inputs, name):
    """``inputs[:, :1]`` after checking that every channel is equal (a grey
    image replicated to 3 channels, as ``LoadXrayFromFile`` gives)."""
    if inputs.dim() != 4:
        raise ValueError(f'{name} expects image batches N x C x H x W, got '
                         f'shape {tuple(inputs.shape)}')
    if inputs.shape[1] > 1 and not torch.equal(inputs[:, :1].expand_as(
            inputs), inputs):
        raise ValueError(
            f'{name} got images whose channels differ: it feeds grey '
            'images (one channel, or grey replicated to 3) to a one-channel '
            'backbone; use SelfSupDataPreprocessor / ClsDataPreprocessor '
            'and in_channels=3 for colour images')
    return inputs[:, :1]


@MODELS.register_module()
class GreySelfSupDataPreprocessor(SelfSupDataPreprocessor):
    """``SelfSupDataPreprocessor`` whose output has one channel.

    The stock view pipelines (colour jitter, grayscale, solarize, ...) work
    on 3-channel images, so X-rays are loaded as grey replicated to 3
    channels and the augmentations stay exactly mmpretrain's; this
    preprocessor normalises them and keeps one channel for a backbone with
    ``in_channels=1`` (for grey images saturation, hue and grayscale changes
    leave the 3 channels equal). ``mean`` and ``std`` have one value each.
    Raises ``ValueError`` when the channels of an image differ.
    """

    def forward(self, data, training=False):
        out = super().forward(data, training)
        name = type(self).__name__
        inputs = out['inputs']
        out['inputs'] = [_first_channel(x, name) for x in inputs] \
            if isinstance(inputs, list) else _first_channel(inputs, name)
        return out


@MODELS.register_module()
class GreyClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` whose output has one channel, for linear
    probes and fine-tuning of backbones pre-trained with
    :class:`GreySelfSupDataPreprocessor`."""

    def forward(self, data, training=False):
        out = super().forward(data, training)
        out['inputs'] = _first_channel(out['inputs'], type(self).__name__)
        return out
