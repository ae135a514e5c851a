# Stock SimCLR (mmpretrain) on knee X-rays, sized for a 2-core CPU.
# The algorithm, its loss and its augmentations are mmpretrain's; the
# backbone, image size, batch, optimiser and data come from the CPU recipe
# in _base_/knee_ssl_cpu.py (docs/cpu_training.md). Train fast with
#   python tools/train.py configs/simclr_knee.py --amp
# GPU-sized version (ResNet-50, 224 px): configs/gpu/simclr_resnet50_knee.py
_base_ = [
    'mmpretrain::simclr/simclr_resnet50_16xb256-coslr-200e_in1k.py',
    './_base_/knee_ssl_cpu.py'
]

img_size = _base_.knee_img_size
data_root = _base_.knee_data_root
data_preprocessor = _base_.knee_data_preprocessor

# mmpretrain's stock SimCLR views with two strengths taken from its stock
# MoCo v3 / BYOL views: crops of 20-100 % of the image (stock SimCLR: 8-100 %)
# and colour jitter 0.4 (stock: 0.8). With the stock strengths SimCLR's loss
# stayed at chance (ln 255) for all 75 epochs of a 10-minute run; with these
# it fell, and the val probe rose (docs/cpu_training.md, "What did not
# work"). The crop resize goes through OpenCV (16x faster than Pillow here).
# the inherited stock views: crop, flip, jitter, grey, blur
view_pipeline = _base_.train_pipeline[1]['transforms'][0]
view_pipeline[0].update(scale=img_size, crop_ratio_range=(0.2, 1.),
                        backend='cv2')
view_pipeline[2].transforms[0].update(brightness=0.4, contrast=0.4,
                                      saturation=0.2, hue=0.1)
train_pipeline = [
    dict(type='LoadXrayFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
# the recipe's data loader, optimiser, schedule, hooks and seed
(train_dataloader, optim_wrapper, param_scheduler, train_cfg, default_hooks,
 randomness, auto_scale_lr) = _base_.knee_recipe
train_dataloader.dataset.pipeline = train_pipeline

model = dict(
    backbone=_base_.knee_backbone,
    neck=dict(in_channels=_base_.knee_feature_channels, hid_channels=512,
              out_channels=128),
    # 0.2 for batch 64 (stock 0.1 assumes batch 4096)
    head=dict(temperature=0.2))
