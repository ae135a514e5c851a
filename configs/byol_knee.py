# Stock BYOL (mmpretrain) on knee X-rays, sized for a 2-core CPU.
# The algorithm, its loss and its augmentations are mmpretrain's; the
# backbone, image size, batch, optimiser and data come from the CPU recipe
# in _base_/knee_ssl_cpu.py (docs/cpu_training.md). Train fast with
#   python tools/train.py configs/byol_knee.py --amp
# GPU-sized version (ResNet-50, 224 px): configs/gpu/byol_resnet50_knee.py
_base_ = [
    'mmpretrain::byol/byol_resnet50_16xb256-coslr-200e_in1k.py',
    './_base_/knee_ssl_cpu.py'
]

img_size = _base_.knee_img_size
data_root = _base_.knee_data_root
data_preprocessor = _base_.knee_data_preprocessor

# mmpretrain's stock views (the inherited `train_pipeline`), at this size;
# only the crop's resize backend is OpenCV (the same bilinear / bicubic
# resize, 16x faster than Pillow on this CPU)
view_pipeline1, view_pipeline2 = [[
    dict(t, scale=img_size, backend='cv2')
    if t['type'] == 'RandomResizedCrop' else t for t in view
] for view in _base_.train_pipeline[1]['transforms']]
train_pipeline = [
    dict(type='LoadXrayFromFile'),
    dict(type='MultiView', num_views=[1, 1],
         transforms=[view_pipeline1, view_pipeline2]),
    dict(type='PackInputs'),
]
# the recipe's data loader, optimiser, schedule, hooks and seed
(train_dataloader, optim_wrapper, param_scheduler, train_cfg, default_hooks,
 randomness, auto_scale_lr) = _base_.knee_recipe
train_dataloader.dataset.pipeline = train_pipeline

model = dict(
    backbone=_base_.knee_backbone,
    neck=dict(in_channels=_base_.knee_feature_channels, hid_channels=1024),
    head=dict(predictor=dict(hid_channels=1024)))
