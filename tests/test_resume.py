"""A run killed mid-epoch and resumed with ``tools/train.py --resume``
repeats the uninterrupted run: same samples, views and losses."""
import os.path as osp

import pytest

from conftest import write_tiny_knee_tree
from reliability_utils import tiny_gca_cfg, train
from train_probe_hooks import read_records

ITERS_PER_EPOCH = 3  # 15 images, batch 4, drop_last
KILL_AT = ITERS_PER_EPOCH + 2  # after the second iteration of epoch 2


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('resume_data')
    write_tiny_knee_tree(str(root), splits=('train', ), per_grade=3)
    return str(root)


def _config(data_root, tmp_path, name, extra_hooks=()):
    work_dir = tmp_path / 'work' / name
    cfg = tiny_gca_cfg(data_root, work_dir, max_epochs=2,
                       records=tmp_path / 'records' / name,
                       extra_hooks=extra_hooks)
    path = str(tmp_path / f'{name}.py')
    cfg.dump(path)
    return path, work_dir


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_killed_run_resumes_like_an_uninterrupted_one(data_root, tmp_path):
    full_cfg, _ = _config(data_root, tmp_path, 'full')
    _ok(train(full_cfg))
    full = read_records(tmp_path / 'records' / 'full')
    assert [r['iter'] for r in full] == list(range(1, 2 * ITERS_PER_EPOCH + 1))

    killed_cfg, work_dir = _config(
        data_root, tmp_path, 'killed',
        extra_hooks=[dict(type='ExitAtIterationHook', at_iter=KILL_AT)])
    killed = train(killed_cfg)
    assert killed.returncode == 3, killed.stdout[-3000:]
    assert osp.isfile(work_dir / 'epoch_1.pth')
    assert not osp.exists(work_dir / 'epoch_2.pth')
    assert read_records(tmp_path / 'records' / 'killed') == full[:KILL_AT]

    # same work dir, no kill hook: --resume finds epoch_1.pth by itself
    resumed_cfg, _ = _config(data_root, tmp_path, 'resumed')
    _ok(train(resumed_cfg, '--work-dir', work_dir, '--resume'))
    resumed = read_records(tmp_path / 'records' / 'resumed')
    assert [r['iter'] for r in resumed] == list(
        range(ITERS_PER_EPOCH + 1, 2 * ITERS_PER_EPOCH + 1))
    expected = full[ITERS_PER_EPOCH:]
    for got, want in zip(resumed, expected):
        assert got['samples'] == want['samples']
        assert got['inputs'] == want['inputs']  # identical views
        assert got['loss'] == pytest.approx(want['loss'], abs=1e-6)
    assert osp.isfile(work_dir / 'epoch_2.pth')
