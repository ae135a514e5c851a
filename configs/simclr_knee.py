# Stock SimCLR (mmpretrain) on knee X-rays, sized for a CPU.
# The algorithm, its loss and its augmentations are unchanged; only the
# backbone (ResNet-18), image size, batch, schedule and data differ.
_base_ = 'mmpretrain::simclr/simclr_resnet50_16xb256-coslr-200e_in1k.py'
custom_imports = dict(imports=['gca_mm'], allow_failed_imports=False)

data_root = 'data/demo'
img_size = 112
max_epochs = 20
# grey-level statistics of the demo data (0..255), replicated to 3 channels
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[118.0] * 3,
    std=[66.0] * 3,
    to_rgb=False)

view_pipeline = [
    dict(type='RandomResizedCrop', scale=img_size, backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.8, contrast=0.8,
                          saturation=0.8, hue=0.2)],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
         magnitude_std='inf', prob=0.5),
]
train_pipeline = [
    dict(type='LoadXrayFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
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
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512, hid_channels=512))

# The stock LARS settings are tuned for batches of 4096 and hundreds of
# epochs; at batch 32 these configs use AdamW. What a CPU budget learns:
# docs/benchmark_analysis.md.
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
auto_scale_lr = dict(base_batch_size=32)
randomness = dict(seed=0)
# Views are a pure function of (seed, epoch, image): the same for any number
# of workers or processes, and after --resume (docs/reliability.md).
custom_hooks = [dict(type='DeterministicAugmentationHook')]
