# Linear probe of a self-supervised backbone on KL grade (5 classes), the
# tools/train.py route: the frozen backbone of the CPU recipe
# (_base_/knee_ssl_cpu.py) from a pre-training checkpoint + a linear head.
#   python tools/train.py configs/linear_probe_knee.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/mocov3_knee/epoch_100.pth
# A linear classifier trained to convergence on the frozen, standardised
# features of un-augmented images (mmpretrain's ClsBatchNormNeck after the
# pooling, as its MAE linear probes): batch 256, Adam 1e-2, weight decay
# 1e-4, 100 epochs, cosine; accuracy, macro-F1 and grade MAE, the checkpoint
# with the best val macro-F1. The benchmark's probe
# (gca_mm.experiments.feature_probe: logistic regression on the same
# features, L2 chosen on val) uses this config's backbone and test pipeline;
# the two agree within noise (docs/cpu_training.md, "The probe").
_base_ = [
    'mmpretrain::_base_/default_runtime.py', './_base_/knee_ssl_cpu.py'
]
custom_imports = dict(imports=['gca_mm'], allow_failed_imports=False)

data_root = _base_.knee_data_root
# the whole un-augmented image, larger than the 64 px training crops: the
# backbone saw the knee at up to this scale in its smallest crops
img_size = 160
max_epochs = 100
pretrained = None  # set model.backbone.init_cfg.checkpoint

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained,
                      prefix='backbone.'),
        **_base_.knee_backbone),
    # standardised features: a BN without affine parameters, trained on the
    # train split's batches (identity at initialisation, so the benchmark's
    # probe, which standardises itself, reads the pooled features)
    neck=[dict(type='GlobalAveragePooling'),
          dict(type='ClsBatchNormNeck',
               input_features=_base_.knee_feature_channels)],
    head=dict(
        type='LinearClsHead',
        num_classes=5,
        in_channels=_base_.knee_feature_channels,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
data_preprocessor = dict(
    type='GreyClsDataPreprocessor', num_classes=5, mean=[118.0], std=[66.0],
    to_rgb=False)

# every image decoded once (docs/cpu_training.md)
decoded_cache = dict(cache_dir='work_dirs/decoded_cache', max_side=224)
# un-augmented, as the benchmark's probe reads them
test_pipeline = [
    dict(type='LoadXrayFromFile'),
    dict(type='Resize', scale=(img_size, img_size), interpolation='area'),
    dict(type='PackInputs'),
]
train_pipeline = test_pipeline
train_dataloader = dict(
    # large batches: close to the full-batch fit of a logistic regression
    batch_size=256,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    drop_last=True,  # no batch of one for the BN neck
    dataset=dict(type='KneeXrayDataset', data_root=data_root, split='train',
                 decoded_cache=decoded_cache, pipeline=train_pipeline))
# the train loader, in order, on the val split with the test pipeline
val_dataloader = dict(
    train_dataloader,
    batch_size=64,
    sampler=dict(type='DefaultSampler', shuffle=False),
    drop_last=False,
    dataset=dict(train_dataloader['dataset'], split='val',
                 pipeline=test_pipeline))
# the val loader on the test split
test_dataloader = dict(val_dataloader,
                       dataset=dict(val_dataloader['dataset'], split='test'))
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', items=('f1-score', ), average='macro'),
    dict(type='GradeMAE'),
]
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-2, weight_decay=1e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0,
         end=max_epochs)
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    # chosen on val macro-F1, as the benchmark's probe chooses its L2
    # strength: on val accuracy a probe that answers KL0 for every knee can
    # win (docs/cpu_training.md)
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=1,
                    save_best='single-label/f1-score', rule='greater',
                    backend_args=dict(backend='atomic_local')))
randomness = dict(seed=0)
