"""Multi-scale decoder that turns backbone features into attention logits."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

DEFAULT_LOSSES = (dict(type='SaliencyKLDLoss', loss_weight=1.0),
                  dict(type='SaliencyCCLoss', loss_weight=0.5))


def logits_to_map(logits):
    """``(..., H, W)`` logits -> the per-image softmax over pixels rescaled
    to a maximum of 1, i.e. ``exp(logits - max)``: a map in (0, 1]."""
    flat = logits.flatten(-2)
    flat = flat - flat.amax(-1, keepdim=True)
    return flat.exp().view_as(logits)


@MODELS.register_module()
class GazeSaliencyHead(BaseModule):
    """FPN-like saliency decoder.

    1x1 lateral convs bring every feature map to ``channels``; a top-down
    path upsamples the coarser map and adds it to the finer one; ``num_convs``
    3x3 conv-norm-act blocks refine the finest map and a 1x1 conv gives one
    channel of logits. Logits are resized to the target (``loss``) or the
    network input (``predict``) resolution. With a single level (e.g. the
    full-resolution features of :class:`SaliencyUNet`) there is no top-down
    path, and ``num_convs=0`` leaves only the 1x1 convs.

    Args:
        in_channels (Sequence[int]): Channels of the input features, finest
            first. Defaults to ResNet-18/34 ``(64, 128, 256, 512)``.
        channels (int): Width of the decoder. Defaults to 64.
        num_convs (int): Number of 3x3 blocks after the fusion (0: none).
            Defaults to 2.
        norm_cfg (dict): Norm layer of the 3x3 blocks. Defaults to BN.
        act_cfg (dict): Activation of the 3x3 blocks. Defaults to ReLU.
        loss (dict | Sequence[dict]): Loss config(s); their sum is trained.
            Defaults to KLD (weight 1.0) + CC (weight 0.5).
        align_corners (bool): Of the bilinear resizes. Defaults to False.
        init_cfg (dict): Defaults to a N(0, 0.01) init of the logits conv, so
            the first prediction is nearly uniform.
    """

    def __init__(self,
                 in_channels=(64, 128, 256, 512),
                 channels=64,
                 num_convs=2,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'),
                 loss=DEFAULT_LOSSES,
                 align_corners=False,
                 init_cfg=dict(
                     type='Normal', std=0.01,
                     override=dict(name='conv_logits'))):
        super().__init__(init_cfg=init_cfg)
        if isinstance(in_channels, int) or len(in_channels) == 0:
            raise ValueError('in_channels must be a non-empty sequence of '
                             f'channel counts, got {in_channels!r}')
        self.in_channels = tuple(in_channels)
        self.align_corners = align_corners
        self.lateral_convs = nn.ModuleList(
            ConvModule(c, channels, 1, act_cfg=None)
            for c in self.in_channels)
        self.fuse_convs = nn.Sequential(*[
            ConvModule(
                channels, channels, 3, padding=1, norm_cfg=norm_cfg,
                act_cfg=act_cfg) for _ in range(num_convs)
        ])
        self.conv_logits = nn.Conv2d(channels, 1, 1)
        if isinstance(loss, dict):
            loss = [loss]
        self.losses = nn.ModuleList(MODELS.build(cfg) for cfg in loss)
        names = [loss.loss_name for loss in self.losses]
        if not names or len(set(names)) != len(names):
            raise ValueError('GazeSaliencyHead needs at least one loss and '
                             f'distinct loss names, got {names}')

    def _resize(self, x, size):
        if tuple(x.shape[-2:]) == tuple(size):
            return x
        return F.interpolate(
            x, size=tuple(size), mode='bilinear',
            align_corners=self.align_corners)

    def forward(self, feats):
        """Features (finest first) -> ``(N, 1, h, w)`` logits at the finest
        feature resolution."""
        feats = tuple(feats)
        if len(feats) != len(self.in_channels):
            raise ValueError(
                f'GazeSaliencyHead got {len(feats)} feature maps but '
                f'in_channels has {len(self.in_channels)} entries '
                f'{self.in_channels}; check the backbone out_indices')
        laterals = [conv(f) for conv, f in zip(self.lateral_convs, feats)]
        for i in range(len(laterals) - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + self._resize(
                laterals[i], laterals[i - 1].shape[-2:])
        return self.conv_logits(self.fuse_convs(laterals[0]))

    def loss(self, feats, data_samples):
        """Sum of the configured losses against the ``gt_saliency`` maps of
        ``data_samples`` (all of one shape); one entry per loss."""
        missing = [i for i, s in enumerate(data_samples)
                   if 'gt_saliency' not in s]
        if missing:
            raise KeyError(f'data samples {missing} have no gt_saliency map '
                           'to train the saliency head on')
        shapes = {tuple(s.gt_saliency.shape[-2:]) for s in data_samples}
        if len(shapes) != 1:
            raise ValueError('gt_saliency maps of one batch must share a '
                             f'shape, got {sorted(shapes)}')
        logits = self(feats)
        shape = shapes.pop()
        target = torch.stack([
            torch.as_tensor(s.gt_saliency).reshape(shape)
            for s in data_samples
        ]).to(logits.device)
        logits = self._resize(logits, shape)
        return {loss.loss_name: loss(logits, target) for loss in self.losses}

    def predict(self, feats, data_samples):
        """Attach ``pred_saliency``, an HxW map in (0, 1] at the network input
        resolution (metainfo ``batch_input_shape``), to every data sample;
        where ``ori_shape`` is in the metainfo also ``pred_saliency_ori``,
        the map resized to the original image size."""
        input_shape = data_samples[0].metainfo.get('batch_input_shape')
        if input_shape is None:
            raise KeyError('GazeSaliencyHead.predict needs the metainfo '
                           'batch_input_shape (set by GazeSaliencyModel)')
        logits = self._resize(self(feats), input_shape)
        for logit, sample in zip(logits, data_samples):
            sample.pred_saliency = logits_to_map(logit[0])
            if 'ori_shape' in sample:
                ori = tuple(sample.ori_shape[:2])
                sample.pred_saliency_ori = logits_to_map(
                    self._resize(logit[None], ori)[0, 0])
        return data_samples
