# Gaze-saliency model with a ResNet-50 backbone at 224 px (GPU-sized).
_base_ = './gaze_saliency_resnet18_knee.py'

img_size = 224

model = dict(
    backbone=dict(depth=50),
    head=dict(in_channels=(256, 512, 1024, 2048), channels=128))

# Pipelines were expanded in the base: rebuild them for the new size.
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
test_pipeline = [
    dict(type='LoadXrayFromFile', color_type='grayscale'),
    dict(type='LoadGazeMap'),
    dict(
        type='LoadFixations',
        fixation_file={{_base_.fixation_file}},
        data_root={{_base_.data_root}}),
    dict(type='GazeMapToTarget'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs', algorithm_keys=('gt_saliency', 'gt_fixations')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
