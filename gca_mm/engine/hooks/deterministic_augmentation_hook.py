"""``DeterministicAugmentationHook``: views as a function of (seed, epoch,
sample)."""
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS

from ...datasets.seeded_pipeline import SeededPipeline


@HOOKS.register_module()
class DeterministicAugmentationHook(Hook):
    """Make the training views a pure function of (seed, epoch, sample).

    Without it, augmentation draws come from each dataloader worker's global
    random state, so the views depend on the number of workers and a resumed
    run draws other views than an uninterrupted one. This hook wraps the
    training dataset's pipeline in :class:`gca_mm.datasets.SeededPipeline`
    (at ``before_train``) and tells it the epoch (at ``before_train_epoch``,
    as ``DistSamplerSeedHook`` does for the sampler); the pipeline then seeds
    numpy's, Python's and torch's global generators from ``(seed, epoch,
    sample index)`` right before it runs for a sample. Together with
    mmengine's ``DefaultSampler`` (order from ``seed + epoch``) a run gives
    the same batches whatever ``num_workers`` / ``persistent_workers``, and a
    run resumed from an epoch checkpoint repeats the uninterrupted run.

    Needs an epoch-based train loop and a dataset with a ``pipeline``
    attribute (mmengine's ``BaseDataset``; wrappers such as
    ``RepeatDataset`` map several indices to one sample and are refused).

    Args:
        seed (int, optional): base seed. Defaults to None: the runner's seed
            (``randomness.seed``, restored from the checkpoint on resume).
    """

    priority = 'NORMAL'

    def __init__(self, seed=None):
        self.seed = seed

    @staticmethod
    def _dataset(runner):
        return runner.train_loop.dataloader.dataset

    def before_train(self, runner):
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError(
                f'{type(self).__name__} needs an epoch-based train loop '
                '(train_cfg.by_epoch=True or type=EpochBasedTrainLoop), got '
                f'{type(runner.train_loop).__name__}: with iteration-based '
                'training every pass over the data would repeat the views')
        dataset = self._dataset(runner)
        if not hasattr(dataset, 'pipeline'):
            raise TypeError(
                f'{type(self).__name__} needs a training dataset with a '
                f'pipeline (an mmengine BaseDataset), got '
                f'{type(dataset).__name__}; dataset wrappers are not '
                'supported')
        pipeline = dataset.pipeline
        if isinstance(pipeline, SeededPipeline):  # a second train()
            pipeline = pipeline.pipeline
        dataset.pipeline = SeededPipeline(
            pipeline, runner.seed if self.seed is None else self.seed)

    def before_train_epoch(self, runner):
        self._dataset(runner).pipeline.set_epoch(runner.epoch)
