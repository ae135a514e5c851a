"""Predict attention maps with a trained gaze-saliency model for every image
of a :class:`~gca_mm.datasets.KneeXrayDataset` layout.

Maps mirror the image tree (``<out_dir>/<image path relative to data_root>``
with the map suffix), at the original image size, in the format of
:func:`gca_mm.gaze.save_heatmap`, so ``LoadGazeMap`` and GCA read them like
gaze maps. Writes are atomic: a map that exists is complete, and a rerun
after an interruption predicts only the missing ones.
"""
import copy
import glob
import os
import os.path as osp
import time

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmengine.utils import ProgressBar
from mmpretrain.registry import DATASETS, MODELS
from torch.utils.data import DataLoader, Subset

from gca_mm.gaze.heatmap import MAP_SUFFIXES, heatmap_path, save_heatmap

# Steps of a saliency test pipeline that load the gaze targets.
GAZE_TARGET_STEPS = ('LoadGazeMap', 'LoadFixations', 'GazeMapToTarget')
TARGET_KEYS = ('gt_saliency', 'gt_fixations', 'gaze_map', 'gaze_map_fallback')
# Predictions are resized back to the original image; exact only when the
# pipeline does nothing geometric but resizing.
_MISALIGNING_STEPS = ('Crop', 'Pad', 'Flip', 'Rotat', 'Affine', 'Shear')


def _step_name(step):
    step_type = step.get('type')
    return step_type if isinstance(step_type, str) else getattr(
        step_type, '__name__', str(step_type))


def predict_pipeline(test_pipeline):
    """A saliency test pipeline without its gaze targets.

    Drops ``LoadGazeMap``, ``LoadFixations`` and ``GazeMapToTarget`` and the
    target keys from ``PackInputs``' ``algorithm_keys``, so images without
    gaze can be read. Raises ``ValueError`` for a pipeline that does not end
    with ``PackInputs``, still refers to the gaze map, or crops, pads, flips
    or rotates (the prediction could not be mapped back onto the image).
    """
    steps = []
    for step in test_pipeline:
        step = copy.deepcopy(dict(step))
        name = _step_name(step)
        if name in GAZE_TARGET_STEPS:
            continue
        if any(word in name for word in _MISALIGNING_STEPS):
            raise ValueError(
                f'the test pipeline step {name} changes the geometry beyond '
                'a resize; the predicted map could not be resized back onto '
                'the image. Predict with a pipeline that only loads, resizes '
                'and packs.')
        if name == 'PackInputs':
            step['algorithm_keys'] = tuple(
                k for k in step.get('algorithm_keys', ())
                if k not in TARGET_KEYS)
        elif 'gaze_map' in repr(step):
            raise ValueError(f'the test pipeline step {name} uses the gaze '
                             f'map, which predicting does not load: {step}')
        steps.append(step)
    if not steps or _step_name(steps[-1]) != 'PackInputs':
        raise ValueError('the test pipeline must end with PackInputs, got '
                         f'{[_step_name(s) for s in steps]}')
    return steps


def build_predict_dataset(cfg, data_root, split=None, ann_file=''):
    """Unlabeled :class:`KneeXrayDataset` of ``data_root`` read with the
    config's test pipeline minus the gaze targets (:func:`predict_pipeline`).

    ``split`` selects split folders (class-folder or unlabeled layouts),
    ``ann_file`` a CSV with a ``path`` column; with neither, every image
    below ``data_root``."""
    try:
        test_pipeline = cfg.test_dataloader.dataset.pipeline
    except AttributeError:
        raise KeyError('the config has no test_dataloader.dataset.pipeline '
                       'to read the images with') from None
    return DATASETS.build(
        dict(
            type='KneeXrayDataset',
            data_root=data_root,
            split=split,
            ann_file=ann_file,
            with_label=False,
            test_mode=True,
            pipeline=predict_pipeline(test_pipeline)))


def config_splits(cfg):
    """Split folders of the config's train, val and test datasets, in that
    order without repeats; None if one of them reads the whole root."""
    splits = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        if 'split' not in dataset:
            continue
        split = dataset['split']
        if split is None:
            return None
        for name in ([split] if isinstance(split, str) else split):
            if name not in splits:
                splits.append(name)
    return splits or None


def init_saliency_model(cfg, checkpoint, device='cpu'):
    """Build ``cfg.model``, load ``checkpoint`` (all weights must match) and
    return it on ``device`` in eval mode."""
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model.to(device).eval()


def _remove_stale_temp_files(path):
    """Temporary files ``atomic_open`` left beside ``path`` when a run was
    killed before it could clean up."""
    pattern = osp.join(
        glob.escape(osp.dirname(path)),
        '.' + glob.escape(osp.basename(path)) + '.*.tmp')
    stale = glob.glob(pattern)
    for tmp in stale:
        os.remove(tmp)
    return len(stale)


def predict_saliency_maps(config,
                          checkpoint,
                          data_root,
                          out_dir,
                          split=None,
                          ann_file='',
                          batch_size=32,
                          num_workers=2,
                          suffix='.png',
                          device=None,
                          show_progress=True):
    """Write the predicted attention map of every image that has none yet.

    Args:
        config (str | Config): Saliency model config (its model and test
            pipeline are used).
        checkpoint (str): Trained weights.
        data_root (str): Image root; any ``KneeXrayDataset`` layout.
        out_dir (str): Root of the map tree. Images below it are ignored.
        split (str | Sequence[str], optional): Split folder(s) to predict.
        ann_file (str): CSV (``path`` column) listing the images instead.
            With neither ``split`` nor ``ann_file``: all images below
            ``data_root``.
        batch_size (int): Images per forward pass. Defaults to 32.
        num_workers (int): Data loading processes. Defaults to 2.
        suffix (str): ``'.png'`` (16-bit, 0..1) or ``'.npy'`` (float32).
        device (str, optional): ``'cpu'`` or ``'cuda'``; default: CUDA when
            available.
        show_progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: ``written`` and ``skipped`` (already present) map counts,
        ``seconds`` of loading, inference and writing (model build
        excluded) and ``images_per_s`` over them.
    """
    cfg = config if isinstance(config, Config) else Config.fromfile(config)
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    elif str(device).startswith('cuda') and not torch.cuda.is_available():
        raise RuntimeError(f'device {device!r} needs a CUDA GPU, but torch '
                           'sees none; use device="cpu"')
    if batch_size < 1 or num_workers < 0:
        raise ValueError(f'batch_size must be >= 1 and num_workers >= 0, got '
                         f'{batch_size} and {num_workers}')
    if suffix not in MAP_SUFFIXES:
        raise ValueError(f'suffix must be one of {MAP_SUFFIXES}, got '
                         f'{suffix!r}')
    out_abs, root_abs = osp.abspath(out_dir), osp.abspath(data_root)
    if out_abs == root_abs:
        raise ValueError(f'out_dir {out_dir} must differ from data_root '
                         f'{data_root}: maps would overwrite the images')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    dataset = build_predict_dataset(cfg, data_root, split, ann_file)

    pending, skipped, stale = [], 0, 0
    for i in range(len(dataset)):
        img_path = dataset.get_data_info(i)['img_path']
        if osp.abspath(img_path).startswith(out_abs + osp.sep):
            continue
        path = heatmap_path(out_dir, osp.relpath(img_path, data_root), suffix)
        if osp.isfile(path):
            skipped += 1
        else:
            stale += _remove_stale_temp_files(path)
            pending.append(i)
    if stale:
        print_log(f'removed {stale} temporary files of an interrupted run '
                  f'from {out_dir}', logger='current')
    if not pending:
        return dict(written=0, skipped=skipped, seconds=0.0, images_per_s=0.0)

    model = init_saliency_model(cfg, checkpoint, device)
    # a plain index view: mmengine's BaseDataset.get_subset deep-copies
    # the dataset with a memo shared by every call in the process (a
    # mutable default), so a transform whose id was once a copied
    # dataset's came back as that dataset
    loader = DataLoader(
        Subset(dataset, pending),
        batch_size=batch_size,
        num_workers=num_workers,
        shuffle=False,
        collate_fn=pseudo_collate)
    progress = ProgressBar(len(pending)) if show_progress else None
    written = 0
    start = time.perf_counter()
    with torch.inference_mode():
        for batch in loader:
            for sample in model.test_step(batch):
                if 'pred_saliency_ori' not in sample:
                    raise KeyError(
                        f'no pred_saliency_ori for {sample.img_path}: the '
                        "pipeline's PackInputs must keep ori_shape in its "
                        'meta_keys')
                rel = osp.relpath(sample.img_path, data_root)
                save_heatmap(
                    heatmap_path(out_dir, rel, suffix),
                    sample.pred_saliency_ori.float().cpu().numpy())
                written += 1
            if progress is not None:
                progress.update(len(batch['inputs']))
    seconds = time.perf_counter() - start
    return dict(
        written=written,
        skipped=skipped,
        seconds=seconds,
        images_per_s=written / seconds)
