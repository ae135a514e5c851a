# Fine-tune of a GPU-sized backbone (configs/gpu/*_resnet50_knee.py) on KL
# grade: finetune_knee.py (the whole backbone at a tenth of the head's
# rate, flips, best val macro-F1) with the ResNet-50 of
# _base_/knee_cls_resnet50.py. The benchmark's GPU preset fine-tunes with
# it (tools/benchmark.py --preset gpu --finetune).
_base_ = ['../finetune_knee.py', '../_base_/knee_cls_resnet50.py']

img_size = _base_.knee_r50_img_size
model = dict(
    backbone=dict(_base_.knee_r50_backbone, frozen_stages=-1,
                  norm_eval=False),
    head=dict(in_channels=_base_.knee_r50_channels))
data_preprocessor = _base_.knee_r50_data_preprocessor
test_pipeline = _base_.knee_r50_test_pipeline
train_pipeline = test_pipeline[:-1] + [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    test_pipeline[-1]
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
