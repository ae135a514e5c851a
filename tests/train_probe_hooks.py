"""Test-only hooks, loaded by configs through
``custom_imports=dict(imports=['gca_mm', 'train_probe_hooks'])`` with
``tests/`` on PYTHONPATH: record what each training iteration saw, or end
the process abruptly as a crash would."""
import glob
import hashlib
import json
import os
import os.path as osp

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from gca_mm.utils import atomic_write_text


def _digest(inputs):
    """sha1 of the batch's input tensors (views), in order."""
    tensors = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    sha = hashlib.sha1()
    for t in tensors:
        sha.update(t.cpu().contiguous().numpy().tobytes())
    return sha.hexdigest()


@HOOKS.register_module()
class IterationRecorderHook(Hook):
    """Write ``<out_dir>/rank<R>_iter<NNNNN>.json`` after every training
    iteration: epoch and iteration (1-based), rank, loss, the sample indices
    and a digest of the input views."""

    priority = 'NORMAL'

    def __init__(self, out_dir):
        self.out_dir = out_dir

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        samples = [
            int(s.sample_idx) for s in data_batch.get('data_samples') or []
            if 'sample_idx' in s
        ]
        record = dict(
            epoch=runner.epoch + 1,
            iter=runner.iter + 1,
            rank=runner.rank,
            loss=float(outputs['loss'].detach()),
            samples=samples,
            inputs=_digest(data_batch['inputs']))
        atomic_write_text(
            osp.join(self.out_dir,
                     f'rank{runner.rank}_iter{runner.iter + 1:05d}.json'),
            json.dumps(record))


def read_records(out_dir, rank=0):
    """The records an :class:`IterationRecorderHook` wrote, by iteration."""
    records = []
    for path in sorted(glob.glob(osp.join(out_dir, f'rank{rank}_iter*.json'))):
        with open(path) as f:
            records.append(json.load(f))
    return records


@HOOKS.register_module()
class ExitAtIterationHook(Hook):
    """End the process with ``os._exit`` (no clean-up, no checkpoint, like a
    kill) right after global iteration ``at_iter`` (1-based)."""

    priority = 'LOWEST'

    def __init__(self, at_iter, exit_code=3):
        self.at_iter = at_iter
        self.exit_code = exit_code

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.at_iter:
            os._exit(self.exit_code)
