"""Per-sample random state for data pipelines.

The random draws a pipeline makes for sample ``idx`` in epoch ``epoch`` are a
pure function of ``(seed, epoch, idx)``: they do not depend on the number of
dataloader workers, on which worker gets the sample, on the number of
processes, or on whether the run was interrupted and resumed.
"""
import contextlib
import random

import numpy as np
import torch


def sample_seed(seed, epoch, idx):
    """Four uint32 words of entropy for sample ``idx`` in ``epoch``, from
    :class:`numpy.random.SeedSequence` (well mixed: neighbouring samples
    and epochs get unrelated streams)."""
    for name, value in dict(seed=seed, epoch=epoch, idx=idx).items():
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f'{name} must be a non-negative integer, got '
                             f'{value!r}')
    return np.random.SeedSequence(
        (int(seed), int(epoch), int(idx))).generate_state(4)


@contextlib.contextmanager
def seeded_global_rngs(words):
    """Seed numpy's, Python's and torch's (CPU) global generators from
    ``words`` (uint32 array) for the block, then restore their previous
    states, so that code outside the block (e.g. the model, when the data is
    loaded in the main process) sees no difference."""
    np_state, py_state = np.random.get_state(), random.getstate()
    torch_state = torch.get_rng_state()
    words = np.asarray(words, dtype=np.uint32)
    np.random.seed(words)
    random.seed(int.from_bytes(words.tobytes(), 'little'))
    torch.default_generator.manual_seed(
        int(words[0]) | int(words[1]) << 32)
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
        torch.set_rng_state(torch_state)


class SeededPipeline:
    """A dataset pipeline whose random state for each sample is a pure
    function of ``(seed, epoch, results['sample_idx'])``.

    Replaces a dataset's ``pipeline`` (mmengine's ``BaseDataset`` puts
    ``sample_idx`` into every data info); see
    :class:`gca_mm.engine.DeterministicAugmentationHook`, which installs it
    and sets the epoch. The epoch lives in shared memory, so dataloader
    workers, persistent ones included, see :meth:`set_epoch` of the main
    process.

    Args:
        pipeline (Callable): the pipeline to run, e.g. an mmcv ``Compose``.
        seed (int): base seed, e.g. the runner's ``randomness.seed``.
    """

    def __init__(self, pipeline, seed):
        if not callable(pipeline):
            raise TypeError(f'pipeline must be callable, got {pipeline!r}')
        sample_seed(seed, 0, 0)  # validates seed
        self.pipeline = pipeline
        self.seed = int(seed)
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()

    @property
    def epoch(self):
        return int(self._epoch)

    def set_epoch(self, epoch):
        """Use ``epoch`` for the samples loaded from now on (any process)."""
        sample_seed(self.seed, epoch, 0)  # validates epoch
        self._epoch.fill_(int(epoch))

    def __call__(self, results):
        if 'sample_idx' not in results:
            raise KeyError(
                f'{type(self).__name__} needs results["sample_idx"] (set by '
                "mmengine's BaseDataset.get_data_info); the dataset gave "
                f'keys {sorted(results)}')
        words = sample_seed(self.seed, self.epoch, results['sample_idx'])
        with seeded_global_rngs(words):
            return self.pipeline(results)

    def __repr__(self):
        return (f'{type(self).__name__}(seed={self.seed}, '
                f'epoch={self.epoch}, pipeline={self.pipeline!r})')
