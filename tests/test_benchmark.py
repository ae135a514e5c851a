"""tools/benchmark.py: summaries, and a killed run finishing on a rerun."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from gca_mm.apis.benchmark_report import (differences_table, results_table,
                                          summarize)
from reliability_utils import TESTS
from runner_utils import REPO


def _result(algo, arm, seed, acc, sec=10.0):
    return dict(algorithm=algo, arm=arm, seed=seed, accuracy=acc,
                macro_f1=acc / 2, grade_mae=1.0 - acc / 100,
                seconds_per_epoch=sec)


def test_summary_pairs_gca_with_stock_by_seed():
    results = [_result('mocov3', 'stock', 0, 40.0, 10.0),
               _result('mocov3', 'stock', 1, 44.0, 10.0),
               _result('mocov3', 'gca', 1, 50.0, 11.0),
               _result('mocov3', 'gca', 0, 42.0, 11.0),
               _result('random', 'reference', 0, 39.0, None)]
    summary = summarize(results)
    stock = next(c for c in summary['cells'] if c['arm'] == 'stock')
    assert stock['accuracy_mean'] == pytest.approx(42.0)
    assert stock['accuracy_std'] == pytest.approx(2 ** 0.5 * 2)
    diff, = summary['differences']
    assert diff['seeds'] == [0, 1]
    assert diff['accuracy_per_seed'] == [2.0, 6.0]
    assert diff['accuracy_mean'] == pytest.approx(4.0)
    assert diff['time_ratio'] == pytest.approx(1.1)
    assert '+4.00 ± 2.83' in differences_table(summary)
    table = results_table(summary)
    assert 'random init (probe) | - | 1 | 39.00 ± 0.00' in table


def _benchmark_cmd(root, work, out):
    return [sys.executable, osp.join(REPO, 'tools', 'benchmark.py'),
            '--data-root', root, '--gaze-map-root', osp.join(root, 'maps'),
            '--algorithms', 'mocov3', '--references', '--seeds', '0',
            '--epochs', '2', '--img-size', '32', '--batch-size', '4',
            '--probe-epochs', '1', '--work-dir', work, '--out', out]


def test_killed_benchmark_finishes_on_rerun(tiny_knee_root, tmp_path):
    work, out = str(tmp_path / 'work'), str(tmp_path / 'docs' / 'bench')
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([TESTS, REPO]))
    cmd = _benchmark_cmd(tiny_knee_root, work, out)
    first = osp.join(work, 'mocov3_stock_seed0', 'result.json')
    second = osp.join(work, 'mocov3_gca_seed0')
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not osp.isdir(osp.join(second, 'pretrain')):
        assert proc.poll() is None, 'benchmark ended before it was killed'
        assert time.time() < deadline
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its training child
    proc.wait()
    assert osp.isfile(first) and not osp.isfile(osp.join(second,
                                                         'result.json'))
    done_at = osp.getmtime(first)

    rerun = subprocess.run(cmd, cwd=REPO, env=env, timeout=300,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    assert '1 already complete' in rerun.stdout
    assert osp.getmtime(first) == done_at  # the finished cell was not rerun
    with open(out + '.json') as f:
        report = json.load(f)
    assert {(c['algorithm'], c['arm']) for c in report['cells']} == {
        ('mocov3', 'stock'), ('mocov3', 'gca')}
    assert report['differences'][0]['seeds'] == [0]
    assert osp.getsize(out + '.png') > 0
    with open(out + '.md') as f:
        assert 'GCA minus stock' in f.read()
    leftovers = [n for _, _, names in os.walk(tmp_path) for n in names
                 if n.endswith('.tmp')]
    assert not leftovers
