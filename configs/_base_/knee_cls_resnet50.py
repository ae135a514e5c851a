# The ResNet-50 classifier pieces shared by the GPU probe and fine-tune
# (configs/gpu/linear_probe_resnet50_knee.py, finetune_resnet50_knee.py):
# mmpretrain's ResNet-50 loaded from a pre-training checkpoint (2048-d
# features; the grey X-ray replicated to three channels, as the GPU
# pre-training configs read it) and un-augmented 224 px images. Prefixed
# names: the CPU configs these are merged with define the plain ones.
knee_r50_img_size = 224
knee_r50_channels = 2048
knee_r50_backbone = dict(
    _delete_=True,
    type='ResNet',
    depth=50,
    init_cfg=dict(type='Pretrained', checkpoint=None, prefix='backbone.'))
knee_r50_data_preprocessor = dict(
    _delete_=True, type='ClsDataPreprocessor', num_classes=5,
    mean=[118.0] * 3, std=[66.0] * 3, to_rgb=False)
knee_r50_test_pipeline = [
    dict(type='LoadXrayFromFile'),
    dict(type='Resize', scale=(knee_r50_img_size, knee_r50_img_size),
         interpolation='area'),
    dict(type='PackInputs'),
]
