# Fine-tune (FT) of a self-supervised backbone on KL grade, the paper's
# second protocol next to the linear probe: the whole backbone of the CPU
# recipe trains with a linear head, from a pre-training checkpoint.
#   python tools/train.py configs/finetune_knee.py --amp --cfg-options \
#       model.backbone.init_cfg.checkpoint=work_dirs/byol_knee/epoch_90.pth
# With a share of the labels (fixed stratified subsets of the train split,
# written beside the data by the benchmark; gca_mm.experiments.label_subsets):
#       train_dataloader.dataset.split=None \
#       train_dataloader.dataset.ann_file=label_fractions/train_10pct.csv
# The data, backbone and metrics are the linear probe's
# (linear_probe_knee.py); what a fine-tune does differently is below: the
# plain pooled features (no standardising BN: the backbone's own BNs train),
# flipped training images, batch 32, 30 epochs with a val pass each, and a
# 10x lower rate for the backbone, the usual starting point for
# fine-tuning a pre-trained encoder. The learning rate and epochs are to be
# chosen on the val split (docs/benchmark_protocol.md).
_base_ = ['./linear_probe_knee.py']

max_epochs = 30
model = dict(backbone=dict(frozen_stages=-1, norm_eval=False),
             neck=dict(_delete_=True, type='GlobalAveragePooling'))
# the probe's un-augmented pipeline with a flip before packing
train_pipeline = _base_.test_pipeline[:-1] + [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    _base_.test_pipeline[-1]
]
train_dataloader = dict(batch_size=32, drop_last=False,
                        dataset=dict(pipeline=train_pipeline))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0,
         end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
default_hooks = dict(checkpoint=dict(interval=1))
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
