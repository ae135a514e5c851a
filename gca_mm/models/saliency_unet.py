"""U-Net backbone of the gaze-saliency model (the paper's: 4 down and 4 up
stages), returning features at the input resolution."""
import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, build_upsample_layer
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

UPSAMPLE_MODES = ('bilinear', 'deconv')


def _double_conv(in_channels, out_channels, norm_cfg, act_cfg):
    """Two 3x3 conv-norm-act blocks, the unit of every U-Net stage."""
    return nn.Sequential(
        ConvModule(in_channels, out_channels, 3, padding=1,
                   norm_cfg=norm_cfg, act_cfg=act_cfg),
        ConvModule(out_channels, out_channels, 3, padding=1,
                   norm_cfg=norm_cfg, act_cfg=act_cfg))


def _upsample(mode, in_channels, out_channels, norm_cfg, act_cfg):
    """x2 upsampling from ``in_channels`` to ``out_channels``: bilinear
    interpolation + a 1x1 conv-norm-act block, or a 2x2 transposed conv
    (the original U-Net's "up-convolution": no norm or activation of its
    own; the two 3x3 conv-norm-act blocks after the concatenation follow)."""
    if mode == 'bilinear':
        return nn.Sequential(
            build_upsample_layer(
                dict(type='bilinear', scale_factor=2, align_corners=False)),
            ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg,
                       act_cfg=act_cfg))
    return build_upsample_layer(
        dict(type='deconv', in_channels=in_channels,
             out_channels=out_channels, kernel_size=2, stride=2))


class _UpStage(nn.Module):
    """Upsample the deeper features, concatenate the encoder's features of
    the same resolution (skip connection), two 3x3 blocks."""

    def __init__(self, in_channels, out_channels, upsample, norm_cfg,
                 act_cfg):
        super().__init__()
        self.up = _upsample(upsample, in_channels, out_channels, norm_cfg,
                            act_cfg)
        self.convs = _double_conv(2 * out_channels, out_channels, norm_cfg,
                                  act_cfg)

    def forward(self, x, skip):
        return self.convs(torch.cat([skip, self.up(x)], dim=1))


@MODELS.register_module()
class SaliencyUNet(BaseModule):
    """U-Net encoder-decoder for dense saliency prediction.

    Encoder: two 3x3 conv-norm-act blocks at the input resolution
    (``base_channels`` wide), then ``num_stages`` down stages, each a 2x2
    max-pool and two 3x3 blocks that double the width. Decoder:
    ``num_stages`` up stages, each a x2 upsampling that halves the width,
    the concatenation with the encoder features of that resolution and two
    3x3 blocks. The output is a 1-tuple holding the ``(N, base_channels, H,
    W)`` features at the input resolution, for a single-level
    :class:`GazeSaliencyHead` (``in_channels=(base_channels, )``).

    Args:
        in_channels (int): Input channels. Defaults to 3 (the
            ``SaliencyDataPreprocessor`` repeats grey images to 3).
        base_channels (int): Width at the input resolution; stage ``i`` is
            ``base_channels * 2**i`` wide. Defaults to 16.
        num_stages (int): Down (and up) stages; the input height and width
            must be divisible by ``2**num_stages``. Defaults to 4.
        upsample (str): ``'bilinear'`` (bilinear x2 + 1x1 conv-norm-act) or
            ``'deconv'`` (2x2 transposed conv, stride 2). Defaults to
            ``'bilinear'``.
        norm_cfg (dict): Norm layer of the conv blocks. Defaults to BN.
        act_cfg (dict): Activation of the conv blocks. Defaults to ReLU.
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (``ConvModule``'s Kaiming init of the convs, norm weights 1).
    """

    def __init__(self,
                 in_channels=3,
                 base_channels=16,
                 num_stages=4,
                 upsample='bilinear',
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        for name, value in (('in_channels', in_channels),
                            ('base_channels', base_channels),
                            ('num_stages', num_stages)):
            # bool is an int subclass: True would pass as 1
            if isinstance(value, bool) or not isinstance(value, int) \
                    or value < 1:
                raise ValueError(f'SaliencyUNet {name} must be an integer '
                                 f'>= 1, got {value!r}')
        if upsample not in UPSAMPLE_MODES:
            raise ValueError(f'SaliencyUNet upsample must be one of '
                             f'{UPSAMPLE_MODES}, got {upsample!r}')
        self.num_stages = num_stages
        self.out_channels = base_channels
        widths = [base_channels * 2**i for i in range(num_stages + 1)]
        self.stem = _double_conv(in_channels, widths[0], norm_cfg, act_cfg)
        self.down_stages = nn.ModuleList(
            nn.Sequential(
                nn.MaxPool2d(2),
                _double_conv(widths[i], widths[i + 1], norm_cfg, act_cfg))
            for i in range(num_stages))
        # deepest first
        self.up_stages = nn.ModuleList(
            _UpStage(widths[i + 1], widths[i], upsample, norm_cfg, act_cfg)
            for i in reversed(range(num_stages)))

    @property
    def size_divisor(self):
        """What the input height and width must be divisible by."""
        return 2**self.num_stages

    def forward(self, x):
        """``(N, C, H, W)`` -> ``((N, base_channels, H, W), )``; H and W
        divisible by :attr:`size_divisor`."""
        if x.dim() != 4:
            raise ValueError('SaliencyUNet expects an (N, C, H, W) batch, got '
                             f'shape {tuple(x.shape)}')
        h, w = x.shape[-2:]
        if h % self.size_divisor or w % self.size_divisor:
            raise ValueError(
                f'SaliencyUNet with {self.num_stages} down stages needs an '
                f'input height and width divisible by {self.size_divisor}, '
                f'got {h}x{w}; resize the images to a multiple of '
                f'{self.size_divisor} (img_size of the saliency config: the '
                'train crop and the test Resize)')
        skips = [self.stem(x)]
        for stage in self.down_stages:
            skips.append(stage(skips[-1]))
        x = skips.pop()
        for stage in self.up_stages:
            x = stage(x, skips.pop())
        return (x, )
