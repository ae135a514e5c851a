"""Batch preparation for the gaze-saliency model."""
import numpy as np
import torch
from mmengine.model import ImgDataPreprocessor
from mmpretrain.registry import MODELS


def _sample_name(sample, index):
    return sample.metainfo.get('img_path', f'data sample {index}')


@MODELS.register_module()
class SaliencyDataPreprocessor(ImgDataPreprocessor):
    """Stack and normalise X-ray images; check and move the target maps.

    Grey images (1 channel) are repeated to 3 channels when
    ``grey_to_rgb=True`` (before normalisation, so a 1- or 3-value
    ``mean``/``std`` both work). Every ``gt_saliency`` of the data samples
    becomes a float32 ``(H, W)`` tensor on the model's device; in training it
    must be present and have the input's height and width (a map that was
    not cropped/flipped with its image would be a silent misalignment). Its
    values were validated once, by ``LoadGazeMap``.
    ``gt_fixations`` and other fields are moved along unchanged. The head
    stacks the maps into one batch tensor for the loss.

    Args:
        mean (Sequence[float], optional): Pixel mean, 1 or 3 values.
            Defaults to None (no normalisation).
        std (Sequence[float], optional): Pixel std, 1 or 3 values.
        grey_to_rgb (bool): Repeat 1-channel inputs to 3 channels.
            Defaults to True.
        bgr_to_rgb (bool): Reverse the channel order of 3-channel inputs.
            Defaults to False.
        non_blocking (bool): Of the host-to-device copies. Defaults to False.
    """

    def __init__(self,
                 mean=None,
                 std=None,
                 grey_to_rgb=True,
                 bgr_to_rgb=False,
                 non_blocking=False):
        super().__init__(
            mean=mean, std=std, bgr_to_rgb=bgr_to_rgb,
            non_blocking=non_blocking)
        self.grey_to_rgb = grey_to_rgb

    def _check_channels(self, inputs):
        if isinstance(inputs, torch.Tensor):
            if inputs.dim() != 4:
                raise ValueError('inputs must be an (N, C, H, W) batch, got '
                                 f'shape {tuple(inputs.shape)}')
            images = inputs
        else:
            images = list(inputs)
            shapes = {tuple(img.shape) for img in images}
            if len(shapes) != 1:
                raise ValueError('all images of a batch must have one shape '
                                 f'(no padding is done), got {sorted(shapes)}')
            images = torch.stack(images)
        if images.size(1) == 1 and self.grey_to_rgb:
            images = images.expand(-1, 3, -1, -1)
        if self._enable_normalize and self.mean.numel() != 1 and \
                self.mean.numel() != images.size(1):
            raise ValueError(
                f'mean/std have {self.mean.numel()} values but the images '
                f'have {images.size(1)} channels')
        return images

    def forward(self, data, training=False):
        data = self.cast_data(data)
        data['inputs'] = self._check_channels(data['inputs'])
        data = super().forward(data, training)
        height, width = data['inputs'].shape[-2:]
        for i, sample in enumerate(data['data_samples'] or []):
            if 'gt_saliency' not in sample:
                if training:
                    raise KeyError(f'{_sample_name(sample, i)} has no '
                                   'gt_saliency map to train on')
                continue
            target = sample.gt_saliency
            if isinstance(target, np.ndarray):
                target = torch.from_numpy(np.ascontiguousarray(target))
            target = target.to(self.device, torch.float32)
            if target.dim() == 3 and target.size(0) == 1:
                target = target[0]
            if target.dim() != 2:
                raise ValueError(
                    f'gt_saliency of {_sample_name(sample, i)} must be a '
                    f'2-D map, got shape {tuple(target.shape)}')
            if training and tuple(target.shape) != (height, width):
                raise ValueError(
                    f'gt_saliency of {_sample_name(sample, i)} is '
                    f'{tuple(target.shape)} but the input is '
                    f'{(height, width)}: crop, flip and resize the map with '
                    "its image (TransformBroadcaster mapping img -> ['img', "
                    "'gaze_map'])")
            sample.gt_saliency = target
        return data
