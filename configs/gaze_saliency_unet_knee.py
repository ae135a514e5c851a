# Gaze-saliency model with the paper's architecture: a U-Net (4 down and 4
# up stages) trained 30 epochs with Adam. Everything else is the ResNet-18
# recipe of the base: 128 px, the same augmentations, KLD + CC losses,
# SaliencyMetric at the original image size, batch 16, checkpoints by the
# best val CC. 16 channels at full resolution (256 at the 8 px
# bottleneck), 1.8 M parameters (the ResNet-18 model: 11.3 M); ~5 min for
# the 30 epochs on 2 CPU cores. base_channels=8 (0.45 M parameters, ~2.5x
# faster per iteration) scored lower on the demo test split (CC 0.878
# against 0.894).
# Comparison with the ResNet-18 model: docs/saliency.md, "U-Net vs
# ResNet-18".
_base_ = './gaze_saliency_resnet18_knee.py'

max_epochs = 30
base_channels = 16

model = dict(
    backbone=dict(
        _delete_=True,  # none of the ResNet's arguments apply
        type='SaliencyUNet',
        in_channels=3,
        base_channels=base_channels,
        num_stages=4,  # img_size (128) must be a multiple of 2**4
        upsample='bilinear',
        norm_cfg=dict(type='BN')),
    # One full-resolution level: no top-down fusion and no 3x3 blocks (the
    # U-Net decoder did that); 1x1 convs to the logits, as in the paper.
    head=dict(in_channels=(base_channels, ), channels=base_channels,
              num_convs=0))

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Adam', lr=1e-3))
# The base's list is tied to its 60 epochs (lists replace, not merge).
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, by_epoch=True,
         begin=1, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
