# The CPU recipe shared by the knee self-supervised configs
# (simclr_knee.py, mocov3_knee.py, byol_knee.py): a half-width ResNet-18 on
# one grey channel, 64 px views, batch 64, AdamW, 90 epochs, bf16 autocast
# and channels-last (tools/train.py --amp), decoded images in memory.
# Why these values, and the learning curves: docs/cpu_training.md.
#
# The stock mmpretrain configs these are merged with define `model`,
# `train_dataloader`, `optim_wrapper`, ... themselves, and mmengine refuses
# two bases that define one key, so the shared pieces carry a `knee_`
# prefix and each algorithm config assigns them, all in one statement from
# `knee_recipe` (at the end), and says only what differs: its views and
# model. The mmselfsup variant (configs/mmselfsup/mocov3_knee.py) derives
# its own sizes from the same pieces.
custom_imports = dict(imports=['gca_mm'], allow_failed_imports=False)
knee_data_root = 'data/demo'
knee_img_size = 64
knee_max_epochs = 90  # SimCLR learns by epoch 90, not 60 (docs/cpu_training.md)
# 64, not 128: twice the updates for no more time per epoch on this CPU,
# and MoCo v3 read 8 points more val macro-F1 (docs/cpu_training.md)
knee_batch_size = 64

# Grey X-rays are loaded as grey replicated to 3 channels, so the stock
# view pipelines run unchanged; the preprocessor keeps one channel.
# Grey-level statistics of the demo data (0..255).
knee_data_preprocessor = dict(
    _delete_=True,
    type='GreySelfSupDataPreprocessor',
    mean=[118.0],
    std=[66.0],
    to_rgb=False)
knee_backbone = dict(
    depth=18,
    in_channels=1,
    stem_channels=32,
    base_channels=32,  # half width: 256-d features
    norm_cfg=dict(type='BN'),
    # mmpretrain's default zeroes the last BN of every residual block, so
    # training starts from a network whose blocks are all identities; its
    # features read less about the grade than a fully random network's
    # (probe F1 21 against 32 on data/bench), and 10 minutes of
    # pre-training do not make up for it (docs/cpu_training.md)
    zero_init_residual=False)
knee_feature_channels = 256

knee_train_dataloader = dict(
    batch_size=knee_batch_size,
    num_workers=2,
    persistent_workers=True,
    pin_memory=False,
    drop_last=True,
    # `mmpretrain::` inheritance tags dicts with `_scope_`, which the
    # collate function would receive as an argument
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(
        _delete_=True,
        type='KneeXrayDataset',
        data_root=knee_data_root,
        split='train',
        with_label=False,
        # every image decoded once into a memory-mapped file shared by the
        # dataloader workers (docs/cpu_training.md)
        decoded_cache=dict(cache_dir='work_dirs/decoded_cache',
                           max_side=224),
        pipeline=None))  # set by each algorithm config

# The stock LARS settings assume batches of 4096 and hundreds of epochs;
# at batch 64 AdamW learns within minutes (docs/cpu_training.md).
knee_optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',  # tools/train.py --amp: bf16 on CPU, fp16 on GPU
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0),
            'bias': dict(decay_mult=0),
            'downsample.1': dict(decay_mult=0),
        }))
knee_param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=knee_max_epochs - 5, by_epoch=True,
         begin=5, end=knee_max_epochs, convert_to_iter_based=True),
]
knee_train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=knee_max_epochs)
knee_default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
# checkpoints written atomically (gca_mm's file backend): a run killed while
# saving keeps its previous checkpoint (docs/reliability.md)
knee_default_hooks['checkpoint']['backend_args'] = dict(backend='atomic_local')
knee_randomness = dict(seed=0)

knee_auto_scale_lr = dict(base_batch_size=knee_batch_size)
custom_hooks = [
    # views are a pure function of (seed, epoch, image): the same for any
    # number of workers or processes, and after --resume
    dict(type='DeterministicAugmentationHook'),
    # oneDNN convolutions, bf16 above all, are faster channels-last
    dict(type='ChannelsLastHook'),
]

# What every algorithm config takes from the recipe:
#   (train_dataloader, optim_wrapper, param_scheduler, train_cfg,
#    default_hooks, randomness, auto_scale_lr) = _base_.knee_recipe
knee_recipe = (knee_train_dataloader, knee_optim_wrapper, knee_param_scheduler,
               knee_train_cfg, knee_default_hooks, knee_randomness,
               knee_auto_scale_lr)
