# Gaze-saliency model: predicts radiologists' attention maps for knee X-rays.
# Sized for a CPU: ResNet-18 from scratch, 128 px, ~200 training images with
# gaze (60 epochs: ~4 min on 2 CPU cores for the demo's 126; 30 epochs score
# about 0.01 CC lower). Trained on the maps (KLD + CC), evaluated at the
# original image size against the maps (CC, KLD, SIM) and the fixations
# (NSS, AUC-Judd).
_base_ = 'mmpretrain::_base_/default_runtime.py'
custom_imports = dict(imports=['gca_mm'], allow_failed_imports=False)
default_scope = 'mmpretrain'

data_root = 'data/demo'
gaze_map_root = 'data/demo/gaze/maps'
fixation_file = 'data/demo/gaze/fixations.csv'
img_size = 128
max_epochs = 60

model = dict(
    type='GazeSaliencyModel',
    # grey-level statistics of the demo data (0..255)
    data_preprocessor=dict(
        type='SaliencyDataPreprocessor', mean=[118.0], std=[66.0]),
    backbone=dict(
        type='ResNet',
        depth=18,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN')),
    head=dict(
        type='GazeSaliencyHead',
        in_channels=(64, 128, 256, 512),
        channels=64,
        num_convs=2,
        loss=[
            dict(type='SaliencyKLDLoss', loss_weight=1.0),
            dict(type='SaliencyCCLoss', loss_weight=0.5),
        ]))

# Image and map are resized, cropped (51-100% of the area) and flipped
# together. mmpretrain's RandomResizedCrop cannot be broadcast with shared
# random parameters: mmpretrain 1.2.0 lists its random method twice, which
# trips mmcv's cache_random_params check.
train_pipeline = [
    dict(type='LoadXrayFromFile', color_type='grayscale'),
    dict(type='LoadGazeMap'),
    dict(
        type='TransformBroadcaster',
        mapping=dict(img=['img', 'gaze_map'], img_shape=['img_shape', ...]),
        auto_remap=True,
        share_random_params=True,
        transforms=[
            dict(
                type='RandomResize',
                scale=(img_size, img_size),
                ratio_range=(1.0, 1.4),
                keep_ratio=False),
            dict(type='RandomCrop', crop_size=img_size),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        ]),
    dict(type='GazeMapToTarget'),
    dict(type='PackInputs', algorithm_keys=('gt_saliency', )),
]
# The target and the fixations keep the original image size: the model's
# prediction is resized back to it for the metrics.
test_pipeline = [
    dict(type='LoadXrayFromFile', color_type='grayscale'),
    dict(type='LoadGazeMap'),
    dict(type='LoadFixations', fixation_file=fixation_file,
         data_root=data_root),
    dict(type='GazeMapToTarget'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs', algorithm_keys=('gt_saliency', 'gt_fixations')),
]


train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='KneeXrayDataset',
        data_root=data_root,
        split='train',
        gaze_map_root=gaze_map_root,
        require_gaze_map=True,
        pipeline=train_pipeline))
# the train loader, in order, on the val split with the test pipeline
val_dataloader = dict(
    train_dataloader,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(train_dataloader['dataset'], split='val',
                 pipeline=test_pipeline))
# the val loader on the test split
test_dataloader = dict(val_dataloader,
                       dataset=dict(val_dataloader['dataset'], split='test'))
val_evaluator = dict(type='SaliencyMetric')
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, by_epoch=True,
         begin=1, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(
        type='CheckpointHook',
        interval=5,
        max_keep_ckpts=2,
        save_best='saliency/cc',
        rule='greater',
        backend_args=dict(backend='atomic_local')))  # atomic writes
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
