# GPU-sized byol on knee X-rays: mmpretrain's stock recipe unchanged
# (byol/byol_resnet50_16xb256-coslr-200e_in1k.py: ResNet-50, 224 px, SyncBN, LARS, batch 256 per GPU, its
# schedule) on the knee data. Train with mixed precision:
#   tools/dist_train.sh configs/gpu/byol_resnet50_knee.py 8 --amp
# On a CPU use configs/byol_knee.py (docs/cpu_training.md).
_base_ = ['mmpretrain::byol/byol_resnet50_16xb256-coslr-200e_in1k.py', '../_base_/knee_ssl_gpu.py']

data_root = _base_.knee_data_root
data_preprocessor = _base_.knee_data_preprocessor
# the stock views, after an X-ray loader instead of LoadImageFromFile
train_pipeline = [dict(type='LoadXrayFromFile')] + _base_.train_pipeline[1:]
train_dataloader = dict(
    dataset=dict(_base_.knee_dataset, pipeline=train_pipeline),
    **_base_.knee_loader)
# checkpoints written atomically (gca_mm's file backend)
default_hooks = dict(checkpoint=dict(backend_args=dict(backend='atomic_local')))
