"""Training views are a pure function of (seed, epoch, sample index)."""
import os.path as osp
import random
from functools import partial
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.dataset import BaseDataset, worker_init_fn
from mmengine.registry import RUNNERS
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from torch.utils.data import DataLoader

from gca_mm.datasets import SeededPipeline, sample_seed
from gca_mm.engine import DeterministicAugmentationHook
from reliability_utils import tiny_gca_cfg
from train_probe_hooks import read_records


def _draw(results):
    """A pipeline step using all three global generators."""
    results['draws'] = (np.random.rand(), random.random(),
                        float(torch.rand(())))
    return results


class _Numbers(BaseDataset):

    def load_data_list(self):
        return [dict(n=i) for i in range(8)]


def _as_list(batch):
    return batch


def _draws_per_epoch(dataset, num_workers, epochs=2):
    """{(epoch, sample_idx): draws} through a DataLoader seeded the way
    mmengine seeds its workers."""
    loader = DataLoader(
        dataset, batch_size=2, shuffle=False, num_workers=num_workers,
        persistent_workers=num_workers > 0, collate_fn=_as_list,
        worker_init_fn=partial(worker_init_fn, num_workers=num_workers,
                               rank=0, seed=0) if num_workers else None)
    np.random.seed(0)
    out = {}
    for epoch in range(epochs):
        if isinstance(dataset.pipeline, SeededPipeline):
            dataset.pipeline.set_epoch(epoch)
        for batch in loader:
            for info in batch:
                out[epoch, info['sample_idx']] = info['draws']
    return out


def test_sample_seed_is_a_pure_function_of_its_arguments():
    assert (sample_seed(0, 1, 2) == sample_seed(0, 1, 2)).all()
    others = [sample_seed(*k) for k in [(0, 2, 1), (1, 1, 2), (0, 1, 3)]]
    assert all((s != sample_seed(0, 1, 2)).any() for s in others)
    with pytest.raises(ValueError, match='epoch must be a non-negative'):
        sample_seed(0, -1, 0)


def test_seeded_pipeline_repeats_draws_and_restores_global_state():
    pipeline = SeededPipeline(_draw, seed=7)
    np.random.seed(123)
    expected_next = np.random.rand()
    np.random.seed(123)
    first = pipeline(dict(sample_idx=3))['draws']
    assert np.random.rand() == expected_next  # global state untouched
    assert pipeline(dict(sample_idx=3))['draws'] == first
    assert pipeline(dict(sample_idx=4))['draws'] != first
    pipeline.set_epoch(1)
    assert pipeline(dict(sample_idx=3))['draws'] != first
    with pytest.raises(KeyError, match=r'needs results\["sample_idx"\]'):
        pipeline(dict(img_path='a.png'))


def test_persistent_workers_see_the_epoch_and_match_main_process():
    def seeded():
        dataset = _Numbers(pipeline=[_draw])
        dataset.pipeline = SeededPipeline(dataset.pipeline, seed=0)
        return dataset

    in_main = _draws_per_epoch(seeded(), num_workers=0)
    in_workers = _draws_per_epoch(seeded(), num_workers=2)
    assert in_workers == in_main
    # epoch 2 draws new views, also in persistent workers
    assert all(in_main[0, i] != in_main[1, i] for i in range(8))

    # control: without it the draws depend on the number of workers
    plain_main = _draws_per_epoch(_Numbers(pipeline=[_draw]), 0)
    plain_workers = _draws_per_epoch(_Numbers(pipeline=[_draw]), 2)
    assert plain_main != plain_workers


def _run(root, work_dir, num_workers):
    records = osp.join(str(work_dir), 'records')
    cfg = tiny_gca_cfg(root, work_dir, max_epochs=2, records=records,
                       experiment_name=f'determinism_{num_workers}')
    cfg.train_dataloader.num_workers = num_workers
    cfg.train_dataloader.persistent_workers = num_workers > 0
    cfg.default_hooks.checkpoint.interval = 100  # no checkpoint needed
    runner = RUNNERS.build(cfg)
    runner.train()
    if num_workers:
        # Stop the persistent workers now: left to garbage collection, their
        # shutdown waits for a timeout (~10 s).
        runner.train_loop.dataloader._iterator._shutdown_workers()
    return read_records(records)


@pytest.fixture
def one_thread():
    """One intra-op thread, as in the subprocess tests (see
    reliability_utils.run_command)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_gca_views_and_losses_do_not_depend_on_num_workers(
        tiny_knee_root, tmp_path, one_thread):
    main = _run(tiny_knee_root, tmp_path / 'w0', num_workers=0)
    workers = _run(tiny_knee_root, tmp_path / 'w2', num_workers=2)
    assert [r['epoch'] for r in main] == [1, 1, 2, 2]
    # same samples, same views (digests of the batches), same losses
    assert workers == main


def _runner(loop, dataset):
    loop.dataloader = SimpleNamespace(dataset=dataset)
    return SimpleNamespace(train_loop=loop, seed=0, epoch=0)


def test_hook_refuses_setups_it_cannot_make_deterministic():
    hook = DeterministicAugmentationHook()
    iter_loop = IterBasedTrainLoop.__new__(IterBasedTrainLoop)
    with pytest.raises(TypeError, match='needs an epoch-based train loop'):
        hook.before_train(_runner(iter_loop, _Numbers(pipeline=[_draw])))
    epoch_loop = EpochBasedTrainLoop.__new__(EpochBasedTrainLoop)
    with pytest.raises(TypeError, match='with a pipeline .* got list'):
        hook.before_train(_runner(epoch_loop, [1, 2]))


def test_hook_wraps_pipeline_once_and_sets_the_epoch():
    hook = DeterministicAugmentationHook(seed=5)
    dataset = _Numbers(pipeline=[_draw])
    runner = _runner(EpochBasedTrainLoop.__new__(EpochBasedTrainLoop),
                     dataset)
    hook.before_train(runner)
    hook.before_train(runner)
    assert dataset.pipeline.seed == 5
    assert not isinstance(dataset.pipeline.pipeline, SeededPipeline)
    runner.epoch = 3
    hook.before_train_epoch(runner)
    assert dataset.pipeline.epoch == 3
