# Linear probe of a GPU-sized backbone (configs/gpu/*_resnet50_knee.py) on
# KL grade: linear_probe_knee.py with mmpretrain's ResNet-50 (2048-d
# features; the grey X-ray replicated to three channels, as the GPU
# pre-training configs read it) at 224 px. The benchmark's GPU preset
# (tools/benchmark.py --preset gpu) probes with this config.
#   python tools/train.py configs/gpu/linear_probe_resnet50_knee.py --cfg-options \
#       model.backbone.init_cfg.checkpoint=work_dirs/byol_resnet50_knee/epoch_200.pth
_base_ = ['../linear_probe_knee.py']

img_size = 224
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint=None,
                      prefix='backbone.')),
    neck=[dict(type='GlobalAveragePooling'),
          dict(type='ClsBatchNormNeck', input_features=2048)],
    head=dict(in_channels=2048))
data_preprocessor = dict(
    _delete_=True, type='ClsDataPreprocessor', num_classes=5,
    mean=[118.0] * 3, std=[66.0] * 3, to_rgb=False)
test_pipeline = [
    dict(type='LoadXrayFromFile'),
    dict(type='Resize', scale=(img_size, img_size), interpolation='area'),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
