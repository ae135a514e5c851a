# Fine-tune of a GPU-sized backbone (configs/gpu/*_resnet50_knee.py) on KL
# grade: finetune_knee.py (the whole backbone at a tenth of the head's
# rate, flips, best val macro-F1) with the ResNet-50 of
# linear_probe_resnet50_knee.py. The benchmark's GPU preset fine-tunes with
# it (tools/benchmark.py --preset gpu --finetune).
_base_ = ['../finetune_knee.py']

img_size = 224
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint=None,
                      prefix='backbone.')),
    head=dict(in_channels=2048))
data_preprocessor = dict(
    _delete_=True, type='ClsDataPreprocessor', num_classes=5,
    mean=[118.0] * 3, std=[66.0] * 3, to_rgb=False)
test_pipeline = [
    dict(type='LoadXrayFromFile'),
    dict(type='Resize', scale=(img_size, img_size), interpolation='area'),
    dict(type='PackInputs'),
]
train_pipeline = test_pipeline[:-1] + [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    test_pipeline[-1]
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
