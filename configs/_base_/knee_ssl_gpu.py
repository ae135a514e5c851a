# The knee data for the GPU-sized configs (configs/gpu/*): mmpretrain's
# stock recipe (ResNet-50, 224 px views, SyncBN, LARS, its batch per GPU
# and schedule) on KneeXrayDataset. Prefixed names for the same reason as
# in knee_ssl_cpu.py (the stock bases define the plain ones).
custom_imports = dict(imports=['gca_mm'], allow_failed_imports=False)
knee_data_root = 'data/demo'
# grey-level statistics of the demo data (0..255), replicated to 3 channels
knee_data_preprocessor = dict(
    type='SelfSupDataPreprocessor', mean=[118.0] * 3, std=[66.0] * 3,
    to_rgb=False)
knee_dataset = dict(
    _delete_=True,
    type='KneeXrayDataset',
    data_root=knee_data_root,
    split='train',
    with_label=False,
    decoded_cache=dict(cache_dir='work_dirs/decoded_cache', max_side=None),
    pipeline=None)  # set by each config: the stock views after LoadXrayFromFile
knee_loader = dict(
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,
    collate_fn=dict(_delete_=True, type='default_collate'))
