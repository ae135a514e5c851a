"""Weights-only checkpoint loading keeps refusing code-running pickles."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

import gca_mm  # noqa: F401
from gca_mm.compat import guarded_getattr


class _RunsCode:
    """Unpickling this calls os.system; it must never be loaded."""

    def __reduce__(self):
        return (os.system, ('echo pwned',))


class _GetattrChain:
    """Reaches a module's globals through getattr on an allowed class."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


def _save(obj, path):
    torch.save({'state_dict': {'w': torch.ones(2)}, 'meta': obj}, path)
    return str(path)


def test_mmengine_objects_load(tmp_path):
    buf = HistoryBuffer()
    buf.update(1.5)
    buf.update(np.float64(2.5))
    meta = dict(hub=buf, arr=np.arange(3, dtype=np.float32),
                scalar=np.float64(0.25), i=np.int64(3),
                dtype=np.dtype('float32'))
    ckpt = _load_checkpoint(_save(meta, tmp_path / 'ok.pth'))
    loaded = ckpt['meta']
    assert loaded['hub'].mean() == pytest.approx(2.0)
    np.testing.assert_array_equal(loaded['arr'], np.arange(3))
    assert loaded['scalar'] == 0.25 and loaded['i'] == 3


@pytest.mark.parametrize('payload,reason', [
    (_RunsCode(), 'Refused to load checkpoint .*evil.pth.*posix.system'),
    (_GetattrChain(), 'Refused to load checkpoint .*refused getattr'),
])
def test_malicious_checkpoint_refused(tmp_path, payload, reason, capfd):
    path = _save(payload, tmp_path / 'evil.pth')
    with pytest.raises(pickle.UnpicklingError, match=reason):
        _load_checkpoint(str(path))
    assert 'pwned' not in capfd.readouterr().out


def test_guarded_getattr_only_allows_statistics():
    assert guarded_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError, match='refused getattr'):
        guarded_getattr(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError, match='refused getattr'):
        guarded_getattr(os, 'system')


def test_checkpoint_writes_are_atomic(tmp_path, monkeypatch):
    """A save through the 'atomic_local' backend (what gca_mm's configs give
    their CheckpointHook) that dies midway leaves the previous checkpoint
    intact; importing gca_mm leaves mmengine's own local backend alone."""
    from mmengine.fileio import LocalBackend, get_file_backend
    from mmengine.runner.checkpoint import save_checkpoint

    from gca_mm.compat import AtomicLocalBackend

    path = str(tmp_path / 'epoch_1.pth')
    assert type(get_file_backend(path)) is LocalBackend
    atomic = dict(backend='atomic_local')
    assert isinstance(get_file_backend(path, backend_args=atomic),
                      AtomicLocalBackend)
    save_checkpoint({'state_dict': {'w': torch.ones(3)}}, path,
                    backend_args=atomic)

    def dies(fd):
        raise KeyboardInterrupt('killed while writing')

    monkeypatch.setattr(os, 'fsync', dies)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({'state_dict': {'w': torch.zeros(3)}}, path,
                        backend_args=atomic)
    monkeypatch.undo()
    assert torch.equal(_load_checkpoint(path)['state_dict']['w'],
                       torch.ones(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_1.pth']


@pytest.mark.parametrize('config', [
    'simclr_knee.py', 'mocov3_gca_knee.py', 'byol_knee.py',
    'mmselfsup/mocov3_knee.py', 'linear_probe_knee.py',
    'gaze_saliency_resnet18_knee.py', 'gaze_saliency_unet_knee.py',
    'gpu/mocov3_resnet50_knee.py'])
def test_shipped_configs_save_checkpoints_atomically(config):
    from mmengine.config import Config

    from runner_utils import REPO
    cfg = Config.fromfile(os.path.join(REPO, 'configs', config))
    assert cfg.default_hooks.checkpoint.backend_args == dict(
        backend='atomic_local')
