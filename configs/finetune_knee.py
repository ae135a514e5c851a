# Fine-tune (FT) of a self-supervised backbone on KL grade, the paper's
# second protocol next to the linear probe: the whole backbone of the CPU
# recipe trains with a linear head, from a pre-training checkpoint.
#   python tools/train.py configs/finetune_knee.py --amp --cfg-options \
#       model.backbone.init_cfg.checkpoint=work_dirs/byol_knee/epoch_90.pth
# With a share of the labels (fixed stratified subsets of the train split,
# written beside the data by the benchmark; gca_mm.experiments.label_subsets):
#       train_dataloader.dataset.split=None \
#       train_dataloader.dataset.ann_file=label_fractions/train_10pct.csv
# Everything else (views, loaders, metrics, schedule shape) is the linear
# probe's (linear_probe_knee.py). The learning rate and epochs are to be
# chosen on the val split (docs/benchmark_protocol.md); the values below
# are the linear probe's schedule with a 10x lower rate for the backbone,
# the usual starting point for fine-tuning a pre-trained encoder.
_base_ = ['./linear_probe_knee.py']

model = dict(backbone=dict(frozen_stages=-1, norm_eval=False))
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
