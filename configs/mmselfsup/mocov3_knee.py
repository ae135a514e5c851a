# Stock MoCo v3 of the legacy stack (mmselfsup 1.x + mmcls 1.0.0rc) on knee
# X-rays, sized for a CPU. Needs `pip install -e .[mmselfsup]`.
#   python tools/train.py configs/mmselfsup/mocov3_knee.py
# The data loader, optimiser, schedule and hooks are those of the CPU recipe
# (../_base_/knee_ssl_cpu.py) at this config's sizes: 112 px, batch 32,
# 20 epochs, lr 1e-3, full-width ResNet-18, images decoded from the files.
_base_ = [
    'mmselfsup::selfsup/mocov3/mocov3_resnet50_8xb512-amp-coslr-100e_in1k.py',
    '../_base_/knee_ssl_cpu.py'
]
default_scope = 'mmselfsup'

data_root = _base_.knee_data_root
img_size = 112
max_epochs = 20

# mmselfsup's stock views (the inherited `train_pipeline`) at this size
view_pipeline1, view_pipeline2 = [[
    dict(t, size=img_size) if t['type'] == 'RandomResizedCrop' else t
    for t in view
] for view in _base_.train_pipeline[1]['transforms']]
train_pipeline = [
    dict(type='LoadXrayFromFile'),
    dict(type='MultiView', num_views=[1, 1],
         transforms=[view_pipeline1, view_pipeline2]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path']),
]
train_dataloader = dict(
    _base_.knee_train_dataloader,
    batch_size=32,
    dataset=dict(_base_.knee_train_dataloader.dataset, decoded_cache=None,
                 pipeline=train_pipeline))

model = dict(
    data_preprocessor=dict(mean=(118.0, ) * 3, std=(66.0, ) * 3,
                           bgr_to_rgb=False),
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512, hid_channels=1024),
    # temperature 0.2 as MoCo v3 uses with smaller batches (its ViT
    # configs); the stock ResNet value 1.0 assumes batches of 4096
    head=dict(
        predictor=dict(hid_channels=1024),
        temperature=0.2,
        loss=dict(loss_weight=2 * 0.2)))

# The stock LARS settings are tuned for batches of 4096 and hundreds of
# epochs; at batch 32 these configs use AdamW. What a CPU budget learns:
# docs/cpu_training.md.
# AMP only on a GPU: tools/train.py --amp
optim_wrapper = dict(
    _base_.knee_optim_wrapper,
    optimizer=dict(_base_.knee_optim_wrapper.optimizer, lr=1e-3))
param_scheduler = [  # the recipe's warm-up + cosine, one warm-up epoch
    dict(_base_.knee_param_scheduler[0], end=1),
    dict(_base_.knee_param_scheduler[1], T_max=max_epochs - 1, begin=1,
         end=max_epochs),
]
train_cfg = dict(_base_.knee_train_cfg, max_epochs=max_epochs)
default_hooks = dict(
    _base_.knee_default_hooks,
    checkpoint=dict(_base_.knee_default_hooks.checkpoint, interval=1,
                    max_keep_ckpts=2))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = _base_.knee_randomness
# Views are a pure function of (seed, epoch, image): the same for any number
# of workers or processes, and after --resume (docs/reliability.md).
custom_hooks = [dict(type='DeterministicAugmentationHook')]
