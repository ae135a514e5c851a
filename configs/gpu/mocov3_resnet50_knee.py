# GPU-sized mocov3 on knee X-rays: mmpretrain's stock recipe unchanged
# (mocov3/mocov3_resnet50_8xb512-amp-coslr-100e_in1k.py: ResNet-50, 224 px, SyncBN, LARS, batch 512 per GPU, its
# schedule) on the knee data. Train with mixed precision:
#   tools/dist_train.sh configs/gpu/mocov3_resnet50_knee.py 8 --amp
# On a CPU use configs/mocov3_knee.py (docs/cpu_training.md).
_base_ = ['mmpretrain::mocov3/mocov3_resnet50_8xb512-amp-coslr-100e_in1k.py', '../_base_/knee_ssl_gpu.py']

data_root = _base_.knee_data_root
data_preprocessor = _base_.knee_data_preprocessor
# the stock views, after an X-ray loader instead of LoadImageFromFile
train_pipeline = [dict(type='LoadXrayFromFile')] + _base_.train_pipeline[1:]
train_dataloader = dict(
    dataset=dict(_base_.knee_dataset, pipeline=train_pipeline),
    **_base_.knee_loader)
# checkpoints written atomically (gca_mm's file backend)
default_hooks = dict(checkpoint=dict(backend_args=dict(backend='atomic_local')))
