# Stock MoCo v3 of the legacy stack (mmselfsup 1.x + mmcls 1.0.0rc) on knee
# X-rays, sized for a CPU. Needs `pip install -e .[mmselfsup]`.
#   python tools/train.py configs/mmselfsup/mocov3_knee.py
_base_ = 'mmselfsup::selfsup/mocov3/mocov3_resnet50_8xb512-amp-coslr-100e_in1k.py'  # noqa: E501
custom_imports = dict(imports=['gca_mm'], allow_failed_imports=False)
default_scope = 'mmselfsup'

data_root = 'data/demo'
img_size = 112
max_epochs = 20

view_pipeline1 = [
    dict(type='RandomResizedCrop', size=img_size, scale=(0.2, 1.),
         backend='pillow'),
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                          saturation=0.2, hue=0.1)],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='RandomGaussianBlur', sigma_min=0.1, sigma_max=2.0, prob=1.),
    dict(type='RandomSolarize', prob=0.),
    dict(type='RandomFlip', prob=0.5),
]
view_pipeline2 = [
    dict(type='RandomResizedCrop', size=img_size, scale=(0.2, 1.),
         backend='pillow'),
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                          saturation=0.2, hue=0.1)],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='RandomGaussianBlur', sigma_min=0.1, sigma_max=2.0, prob=0.1),
    dict(type='RandomSolarize', prob=0.2),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadXrayFromFile'),
    dict(type='MultiView', num_views=[1, 1],
         transforms=[view_pipeline1, view_pipeline2]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    pin_memory=False,
    drop_last=True,
    # `mmpretrain::` inheritance tags dicts with `_scope_`, which the
    # collate function would receive as an argument
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(
        _delete_=True,
        type='KneeXrayDataset',
        data_root=data_root,
        split='train',
        with_label=False,
        pipeline=train_pipeline))

model = dict(
    data_preprocessor=dict(mean=(118.0, ) * 3, std=(66.0, ) * 3,
                           bgr_to_rgb=False),
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512, hid_channels=1024),
    # temperature 0.2 as MoCo v3 uses with smaller batches (its ViT
    # configs); the stock ResNet value 1.0 assumes batches of 4096
    head=dict(
        predictor=dict(hid_channels=1024),
        temperature=0.2,
        loss=dict(loss_weight=2 * 0.2)))

# The stock LARS settings are tuned for batches of 4096 and hundreds of
# epochs; at batch 32 these configs use AdamW. What a CPU budget learns:
# docs/cpu_training.md.
# AMP only on a GPU: tools/train.py --amp
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0),
            'bias': dict(decay_mult=0),
            'downsample.1': dict(decay_mult=0),
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, by_epoch=True,
         begin=1, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
# Views are a pure function of (seed, epoch, image): the same for any number
# of workers or processes, and after --resume (docs/reliability.md).
custom_hooks = [dict(type='DeterministicAugmentationHook')]
