# Linear probe of a GPU-sized backbone (configs/gpu/*_resnet50_knee.py) on
# KL grade: linear_probe_knee.py with mmpretrain's ResNet-50
# (_base_/knee_cls_resnet50.py) at 224 px. The benchmark's GPU preset
# (tools/benchmark.py --preset gpu) probes with this config.
#   python tools/train.py configs/gpu/linear_probe_resnet50_knee.py --cfg-options \
#       model.backbone.init_cfg.checkpoint=work_dirs/byol_resnet50_knee/epoch_200.pth
_base_ = ['../linear_probe_knee.py', '../_base_/knee_cls_resnet50.py']

img_size = _base_.knee_r50_img_size
model = dict(
    backbone=dict(_base_.knee_r50_backbone, frozen_stages=4, norm_eval=True),
    neck=[dict(type='GlobalAveragePooling'),
          dict(type='ClsBatchNormNeck',
               input_features=_base_.knee_r50_channels)],
    head=dict(in_channels=_base_.knee_r50_channels))
data_preprocessor = _base_.knee_r50_data_preprocessor
test_pipeline = _base_.knee_r50_test_pipeline
train_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
