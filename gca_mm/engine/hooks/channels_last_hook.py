"""``ChannelsLastHook``: the model in the channels-last memory format."""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Train (and evaluate) in the channels-last memory format.

    Converts the model's 4-D parameters and buffers to
    ``torch.channels_last`` before training, validation and testing; the
    activations follow, since a convolution with channels-last weights
    returns channels-last outputs. oneDNN's CPU convolutions, bf16 ones
    above all, run faster in this layout; on GPUs it helps tensor-core
    convolutions. Numerically it changes only the order of float sums.
    Checkpoints are unaffected (``state_dict`` tensors keep their values;
    loading copies into whatever layout the model has).

    Usage::

        custom_hooks = [dict(type='ChannelsLastHook')]
    """

    priority = 'VERY_HIGH'

    @staticmethod
    def _convert(runner):
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        model.to(memory_format=torch.channels_last)

    def before_train(self, runner):
        self._convert(runner)

    def before_val(self, runner):
        self._convert(runner)

    def before_test(self, runner):
        self._convert(runner)
