"""GCA pre-training with 2 processes on CPU (gloo) through
``tools/dist_train.sh`` (torchrun) and ``tools/slurm_train.sh`` (srun)."""
import glob
import os
import os.path as osp
import socket
import sys

import pytest

from mmengine.config import Config

from conftest import write_tiny_knee_tree
from gca_mm.engine import cpu_distributed, setup_cpu_distributed
from reliability_utils import REPO, TESTS, run_command, tiny_gca_cfg
from train_probe_hooks import read_records


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    """20 training images: 10 per process, 2 iterations of batch 4."""
    root = tmp_path_factory.mktemp('dist_data')
    write_tiny_knee_tree(str(root), splits=('train', ), per_grade=4)
    return str(root)


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _config(data_root, tmp_path):
    records = tmp_path / 'records'
    cfg = tiny_gca_cfg(data_root, tmp_path / 'unused', max_epochs=1,
                       records=records)
    cfg.dump(str(tmp_path / 'config.py'))
    return str(tmp_path / 'config.py'), records


def _check_two_ranks_trained(proc, records, work_dir):
    assert proc.returncode == 0, proc.stdout[-4000:]
    ranks = [read_records(records, rank) for rank in (0, 1)]
    for rank, rows in enumerate(ranks):
        assert [r['iter'] for r in rows] == [1, 2], f'rank {rank}'
        assert all(r['rank'] == rank for r in rows)
    seen = [{i for r in rows for i in r['samples']} for rows in ranks]
    assert len(seen[0]) == len(seen[1]) == 8
    assert seen[0].isdisjoint(seen[1])  # the sampler split the data
    # one checkpoint, written by rank 0 only
    assert [osp.basename(p) for p in glob.glob(
        osp.join(work_dir, '*.pth'))] == ['epoch_1.pth']


def test_dist_train_sh_on_two_cpu_processes(data_root, tmp_path):
    config, records = _config(data_root, tmp_path)
    work_dir = tmp_path / 'work'
    proc = run_command(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), config, 2,
         '--work-dir', work_dir],
        env=dict(PYTHON=sys.executable, PORT=str(_free_port())))
    _check_two_ranks_trained(proc, records, work_dir)
    assert 'CPUDistributedDataParallel' in open(glob.glob(osp.join(
        work_dir, '*', 'vis_data', 'config.py'))[0]).read()


def test_slurm_train_sh_with_srun(data_root, tmp_path):
    config, records = _config(data_root, tmp_path)
    work_dir = tmp_path / 'work'
    srun_log = tmp_path / 'srun_args.txt'
    env = dict(
        PATH=os.pathsep.join([osp.join(TESTS, 'fake_slurm'),
                              os.environ['PATH']]),
        PYTHON=sys.executable, MASTER_PORT=str(_free_port()), GPUS='2',
        GRES='', CPUS_PER_TASK='1', FAKE_SRUN_LOG=str(srun_log))
    proc = run_command(
        ['bash', osp.join(REPO, 'tools', 'slurm_train.sh'), 'cpu', 'gca',
         config, work_dir], env=env)
    _check_two_ranks_trained(proc, records, work_dir)
    assert srun_log.read_text().split('\n')[:7] == [
        '-p', 'cpu', '--job-name=gca', '--ntasks=2', '--ntasks-per-node=2',
        '--cpus-per-task=1', '--kill-on-bad-exit=1'
    ]


@pytest.mark.parametrize('cfg,match', [
    (dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))),
     "env_cfg.dist_cfg.backend is 'nccl', which needs a GPU"),
    (dict(model_wrapper_cfg=dict(type='MMFullyShardedDataParallel')),
     "model_wrapper_cfg.type is 'MMFullyShardedDataParallel'"),
])
def test_cpu_setup_refuses_gpu_only_settings(cfg, match, monkeypatch):
    monkeypatch.setattr(cpu_distributed.torch.cuda, 'is_available',
                        lambda: False)
    with pytest.raises(ValueError, match=match):
        setup_cpu_distributed(Config(cfg), 'pytorch')


def test_cpu_setup_does_nothing_without_launcher():
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    setup_cpu_distributed(cfg, 'none')
    assert 'model_wrapper_cfg' not in cfg
