"""tools/benchmark.py: summaries, and a killed run finishing on a rerun."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from gca_mm.experiments.benchmark_report import (adjust_for_multiplicity,
                                          differences_table,
                                          finetune_margins_table,
                                          majority_baseline, majority_line,
                                          margins_table, multiplicity_line,
                                          paired_p_value, report_title,
                                          results_table,
                                          summarize, t_interval)
from reliability_utils import TESTS
from runner_utils import REPO

CONFIGS = osp.join(REPO, 'configs')


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
    # t(0.975, 1 dof) = 12.706, std 2.828, n 2: half-width 25.41
    assert diff['accuracy_low'] == pytest.approx(4.0 - 25.41, abs=0.01)
    assert diff['time_ratio'] == pytest.approx(1.1)
    table = differences_table(summary)
    assert '+4.00 [-21.41, +29.41]' in table
    assert 'no measurable difference' in table
    table = results_table(summary)
    assert 'untrained backbone | - | 1 | 39.00 ± 0.00' in table
    # margins: only seed 0 has an untrained reference
    margin = next(m for m in summary['margins'] if m['arm'] == 'stock')
    assert margin['seeds'] == [0] and margin['accuracy_mean'] == 1.0
    assert not margin['learns']
    # one seed has no interval: the table says so instead of [+1, +1]
    assert '| 1 | +1.00 (1 seed, no interval) |' in margins_table(summary)
    assert '[+1.00, +1.00]' not in margins_table(summary)


def test_verdict_reads_every_metric():
    """A difference measurable on one metric only is not "no measurable
    difference"; a lower MAE favours the first arm."""
    from gca_mm.experiments.benchmark_report import verdict
    d = dict(arm='gca', baseline='stock', seeds=[0, 1, 2],
             accuracy_low=-7.1, accuracy_high=0.9,
             macro_f1_low=-10.3, macro_f1_high=-4.7,
             grade_mae_low=-0.021, grade_mae_high=0.113)
    assert verdict(d) == 'stock better on macro-F1'
    d.update(accuracy_low=0.5, accuracy_high=2.0,
             grade_mae_low=-0.2, grade_mae_high=-0.1)
    assert verdict(d) == 'GCA better on accuracy, MAE; stock better on ' \
        'macro-F1'
    d.update(macro_f1_low=-1.0, macro_f1_high=1.0, accuracy_low=-0.5,
             grade_mae_high=0.1)
    assert verdict(d) == 'no measurable difference'
    assert verdict(dict(d, seeds=[0])) == 'one seed: no interval'


def test_t_interval_on_known_numbers():
    mean, low, high = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    # mean 3, std 1.5811, t(0.975, 4) = 2.7764: half-width 1.9632
    assert mean == 3.0
    assert (low, high) == pytest.approx((3 - 1.9632, 3 + 1.9632), abs=1e-4)
    assert t_interval([2.5]) == (2.5, 2.5, 2.5)
    assert t_interval([1.5, 1.5, 1.5]) == (1.5, 1.5, 1.5)  # no spread
    assert t_interval([]) == (None, None, None)


def test_paired_p_value_on_known_numbers():
    # t = 3 / (1.5811 / sqrt 5) = 4.2426 on 4 dof: two-sided p 0.01324
    assert paired_p_value([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx(
        0.01324, abs=1e-5)
    # the test agrees with the interval: p < 0.05 iff it excludes 0
    for values in ([0.5, 2.0, 3.5], [-1.0, 0.2, 3.0], [-4.0, -2.5, -3.1]):
        _, low, high = t_interval(values)
        assert (paired_p_value(values) < 0.05) == (not low <= 0 <= high)
    assert paired_p_value([2.5]) is None
    assert paired_p_value([1.5, 1.5, 1.5]) is None  # no spread, no test


def test_benjamini_hochberg_over_the_whole_table():
    """q-values on known numbers: sorted p 0.005, 0.01, 0.03, 0.04 of 4
    tests give q = p * 4 / rank made monotone: 0.02, 0.02, 0.04, 0.04;
    rows or metrics without a test get no q and are not counted."""
    rows = [dict(accuracy_p=0.01, macro_f1_p=0.04, grade_mae_p=None),
            dict(accuracy_p=0.03, macro_f1_p=0.005, grade_mae_p=None)]
    assert adjust_for_multiplicity(rows) == 4
    assert rows[0]['accuracy_q'] == pytest.approx(0.02)
    assert rows[0]['macro_f1_q'] == pytest.approx(0.04)
    assert rows[1]['accuracy_q'] == pytest.approx(0.04)
    assert rows[1]['macro_f1_q'] == pytest.approx(0.02)
    assert rows[0]['grade_mae_q'] is None
    assert adjust_for_multiplicity([dict(accuracy_p=None, macro_f1_p=None,
                                         grade_mae_p=None)]) == 0


def test_report_corrects_its_differences_for_multiplicity():
    """One clear difference survives Benjamini-Hochberg; one whose
    interval barely excludes 0 among many tests does not, and the report
    says which is which."""
    results = []
    for s, (clear, faint) in enumerate([(10.0, 0.9), (11.0, 1.2),
                                        (10.5, 1.8)]):
        results += [_result('mocov3', 'stock', s, 40.0),
                    _result('mocov3', 'gca', s, 40.0 + clear),
                    _result('mocov3', 'gca-oracle', s, 40.0 + clear + s),
                    _result('mocov3', 'stock-matched', s, 40.0 + faint)]
    summary = summarize(results)
    assert summary['multiplicity'] == dict(
        method='Benjamini-Hochberg', tests=12, fdr=0.05)
    gca = next(d for d in summary['differences'] if d['arm'] == 'gca'
               and d['baseline'] == 'stock')
    assert gca['accuracy_p'] < 0.001 and gca['accuracy_q'] < 0.05
    matched = next(d for d in summary['differences']
                   if d['arm'] == 'stock-matched')
    # p 0.039: its interval excludes 0, but 3 of 12 tests at that p give
    # q = 0.039 * 12 / 9 > 0.05
    assert matched['accuracy_p'] == pytest.approx(0.039, abs=0.001)
    assert not matched['accuracy_low'] <= 0 <= matched['accuracy_high']
    assert matched['accuracy_q'] == pytest.approx(
        matched['accuracy_p'] * 12 / 9)
    line = multiplicity_line(summary)
    assert line.startswith('Multiplicity: this table holds 12 metric')
    assert '9 of the 95 % intervals exclude 0' in line
    assert 'keeps 6 of the 12, in 2 comparisons: MoCo v3 GCA − stock ' \
        '(accuracy q 0.' in line
    assert 'stock, GCA-sized crops − stock' not in line
    assert '| q (BH): acc / F1 / MAE |' in differences_table(summary)
    assert multiplicity_line(summarize(results[:4])).startswith(
        'No comparison has two seeds')


def test_report_title_names_what_the_report_holds():
    results = [_result('byol', 'stock', 0, 40.0),
               _result('simclr', 'gca', 0, 40.0),
               _result('random', 'reference', 0, 39.0)]
    assert report_title('cpu-byol', results[:1] + results[2:]) == (
        '# Benchmark (`--preset cpu-byol`): BYOL pre-training on a CPU, '
        'GCA vs stock and its controls')
    # algorithms in the project's order, the untrained reference left out
    assert report_title(None, results, 'gpu').startswith(
        '# Benchmark: SimCLR, BYOL pre-training on a GPU')


def test_margins_decide_whether_a_backbone_learns():
    untrained = [_result('random', 'reference', s, 39.0) for s in range(3)]
    for r in untrained:
        r['macro_f1'] = 20.0
    learned = [dict(_result('byol', 'stock', s, 50.0 + s),
                    macro_f1=35.0, grade_mae=0.8) for s in range(3)]
    summary = summarize(untrained + learned)
    m, = summary['margins']
    assert m['accuracy_per_seed'] == [11.0, 12.0, 13.0]
    assert m['macro_f1_mean'] == 15.0 and m['learns']
    assert '| BYOL | stock | 3 | +12.00 [' in margins_table(summary)
    high_mae = [dict(r, grade_mae=0.9) for r in learned]
    assert not summarize(untrained + high_mae)['margins'][0]['learns']


def _ft(acc):
    return dict(accuracy=acc, macro_f1=acc - 1, grade_mae=1 - acc / 100)


def test_finetune_is_compared_with_the_untrained_fine_tune_by_seed():
    untrained = [dict(_result('random', 'reference', s, 39.0),
                      finetune={'100': _ft(80.0 + s)}) for s in range(3)]
    # seed 2 has no 100 % fine-tune, seed 0 a 10 % one the untrained lacks
    stock = [dict(_result('byol', 'stock', s, 35.0),
                  finetune={'100': _ft(76.0 + 2 * s)}) for s in range(2)]
    stock[0]['finetune']['10'] = _ft(30.0)
    stock.append(_result('byol', 'stock', 2, 35.0))
    summary = summarize(untrained + stock)
    m, = summary['finetune_margins']
    assert (m['arm'], m['fraction'], m['seeds']) == ('stock', '100', [0, 1])
    assert m['accuracy_per_seed'] == [-4.0, -3.0]
    assert m['grade_mae_per_seed'] == pytest.approx([0.04, 0.03])
    table = finetune_margins_table(summary)
    # t(0.975, 1 dof) = 12.706, std 0.707, n 2: half-width 6.35
    assert '| BYOL | stock | 100 % | 2 | -3.50 [-9.85, +2.85] |' in table
    assert 'no measurable difference' in table
    # measurable: the untrained backbone is named as the better one
    stock[1]['finetune']['100'] = _ft(77.1)  # -4.0, -3.9: measurable
    worse = finetune_margins_table(summarize(untrained + stock))
    assert 'untrained backbone better on accuracy' in worse
    assert finetune_margins_table(summarize(stock)) == ''


def test_majority_floor_of_a_constant_answer(tmp_path):
    from conftest import write_tiny_knee_tree
    write_tiny_knee_tree(str(tmp_path), splits=('train', 'test'),
                         map_dir=None)
    for extra in range(3):  # KL2 the most frequent training grade
        src = tmp_path / 'train' / '2' / 'knee_000.png'
        (tmp_path / 'train' / '2' / f'extra_{extra}.png').write_bytes(
            src.read_bytes())
    floor = majority_baseline(str(tmp_path))
    assert floor['grade'] == 2
    assert floor['accuracy'] == pytest.approx(20.0)  # 2 of 10 test images
    assert floor['macro_f1'] == pytest.approx(100 * 2 * 0.2 / 1.2 / 5)
    assert floor['grade_mae'] == pytest.approx(1.2)  # |g - 2| over 0..4
    assert 'always answering KL2' in majority_line(floor)


def _benchmark_cmd(root, work, out):
    return [sys.executable, osp.join(REPO, 'tools', 'benchmark.py'),
            '--data-root', root, '--gaze-map-root', osp.join(root, 'maps'),
            '--algorithms', 'mocov3', '--seeds', '0',
            '--epochs', '2', '--img-size', '32', '--batch-size', '4',
            '--curve-every', '1', '--probe-size', '32',
            '--cache-dir', osp.join(work, 'cache'),
            '--work-dir', work, '--out', out]


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
    # a record timed by an older estimate (or a pause): the report times
    # the cell from its training logs, which are here
    with open(first) as f:
        record = json.load(f)
    record['seconds_per_epoch'] = 999.0
    with open(first, 'w') as f:
        json.dump(record, f)
    done_at = osp.getmtime(first)

    partial = subprocess.run(cmd + ['--report-only'], cwd=REPO, env=env,
                             timeout=300, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    assert partial.returncode == 0, partial.stdout[-3000:]
    with open(out + '.json') as f:
        cells = json.load(f)['cells']
    assert {(c['algorithm'], c['arm']) for c in cells} \
        == {('mocov3', 'stock'), ('random', 'reference')}
    from gca_mm.experiments.benchmark import epoch_seconds
    logged = epoch_seconds(osp.join(work, 'mocov3_stock_seed0', 'pretrain'))
    assert 0 < logged < 999
    assert next(c for c in cells if c['arm'] == 'stock')['runs'][0][
        'seconds_per_epoch'] == pytest.approx(logged)
    assert not osp.isfile(osp.join(second, 'result.json'))  # ran nothing

    rerun = subprocess.run(cmd, cwd=REPO, env=env, timeout=300,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    assert '2 already complete' in rerun.stdout  # untrained + stock
    assert osp.getmtime(first) == done_at  # the finished cell was not rerun
    with open(out + '.json') as f:
        report = json.load(f)
    assert {(c['algorithm'], c['arm']) for c in report['cells']} == {
        ('mocov3', 'stock'), ('mocov3', 'gca'), ('random', 'reference')}
    assert report['differences'][0]['seeds'] == [0]
    stock = next(c for c in report['cells'] if c['arm'] == 'stock')
    run, = stock['runs']
    assert [p['epoch'] for p in run['curve']] == [1, 2]
    assert {'accuracy', 'macro_f1', 'grade_mae', 'seconds_per_epoch',
            'seed', 'arm', 'algorithm'} <= set(run)
    # the curve's checkpoints are kept, to probe them again
    ckpts = sorted(n for n in os.listdir(osp.join(
        work, 'mocov3_stock_seed0', 'pretrain')) if n.endswith('.pth'))
    assert ckpts == ['epoch_1.pth', 'epoch_2.pth']
    assert osp.getsize(out + '.png') > 0
    assert osp.getsize(out + '_curves.png') > 0
    with open(out + '.md') as f:
        text = f.read()
        assert '| MoCo v3 | GCA − stock | 1 |' in text
        assert '## Label fractions' in text
    first_report = {(c['algorithm'], c['arm']): c['accuracy_mean']
                    for c in report['cells']}
    assert all(r['provenance']['data'] and r['provenance']['gaze_maps']
               for c in report['cells'] for r in c['runs'])

    # a later session: a fresh work dir (the old one is gone), the report
    # committed: its cells come over, nothing is pre-trained again
    fresh = str(tmp_path / 'fresh')
    later = subprocess.run(_benchmark_cmd(tiny_knee_root, fresh, out),
                           cwd=REPO, env=env, timeout=300,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    assert later.returncode == 0, later.stdout[-3000:]
    assert '3 finished cells imported' in later.stdout
    assert '3 already complete' in later.stdout
    assert not osp.isdir(osp.join(fresh, 'mocov3_stock_seed0', 'pretrain'))
    with open(out + '.json') as f:
        report = json.load(f)
    assert {(c['algorithm'], c['arm']): c['accuracy_mean']
            for c in report['cells']} == first_report
    leftovers = [n for _, _, names in os.walk(tmp_path) for n in names
                 if n.endswith('.tmp')]
    assert not leftovers


def _log_run(pretrain_dir, name, rows, iters=4):
    """An mmengine run folder: ``vis_data/scalars.json`` of ``(epoch, loss,
    time)`` rows and a text log giving the iterations per epoch."""
    run = osp.join(pretrain_dir, name)
    os.makedirs(osp.join(run, 'vis_data'))
    with open(osp.join(run, 'vis_data', 'scalars.json'), 'w') as f:
        f.write(''.join(json.dumps(dict(epoch=e, loss=loss, time=t)) + '\n'
                        for e, loss, t in rows))
    with open(osp.join(run, f'{name}.log'), 'w') as f:
        f.write(f'Epoch(train)  [1][ {iters}/{iters}]  lr: 1e-3\n')


def test_epoch_losses_and_seconds_from_resumed_logs(tmp_path):
    """Both runs of a resumed pre-training count: losses by epoch and the
    seconds per epoch (first epoch left out) from the logged iterations,
    by their median: a paused iteration does not move it."""
    from gca_mm.experiments.benchmark import epoch_losses, epoch_seconds
    runs = {'20260101_000000': [(1, 4.0, 2.0), (1, 3.0, 2.0), (2, 2.5, 1.0)],
            '20260101_010000': [(2, 1.5, 1.0), (3, 1.0, 3.0)]}
    for name, rows in runs.items():
        _log_run(str(tmp_path), name, rows)
    assert epoch_losses(str(tmp_path)) == {1: 3.5, 2: 2.0, 3: 1.0}
    # epochs 2-3 logged 1, 1 and 3 s: the median, 1 s, x 4 iterations
    assert epoch_seconds(str(tmp_path)) == pytest.approx(4.0)
    (tmp_path / 'empty_start').mkdir()  # a start that died before logging
    assert epoch_losses(str(tmp_path)) == {1: 3.5, 2: 2.0, 3: 1.0}
    # a third run with one iteration paused for 20 minutes
    _log_run(str(tmp_path), '20260101_020000',
             [(4, 1.0, 1.0), (4, 1.0, 1200.0), (5, 1.0, 1.0)])
    assert epoch_seconds(str(tmp_path)) == pytest.approx(4.0)


def test_resumed_cell_counts_the_epochs_before_its_resume(monkeypatch,
                                                          tmp_path):
    """A cell cut mid-training and resumed from its checkpoint records the
    epoch it resumed from, and its wall time counts the epochs before it
    (at the logged seconds per epoch), not only the call that finished."""
    import gca_mm.experiments.benchmark as bench
    budget = bench.Budget(epochs=4, img_size=32, batch_size=8, amp=False)
    pre_dir = osp.join(bench.cell_dir(str(tmp_path), 'simclr', 'stock', 0),
                       'pretrain')
    # the cut run: 2 epochs of 4 iterations at 10 s, checkpoint at epoch 2
    _log_run(pre_dir, '20260101_000000', [(1, 1.0, 10.0), (2, 1.0, 10.0)])
    with open(osp.join(pre_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(pre_dir, 'epoch_2.pth'))
    assert bench.resumed_epoch(pre_dir) == 2
    calls = []

    def train(script, cfg, *args, **kwargs):  # trains to the last epoch
        calls.append(args)
        work = args[args.index('--work-dir') + 1]
        done = bench.resumed_epoch(work)
        _log_run(work, f'20260101_01000{len(calls)}',
                 [(e, 1.0, 10.0) for e in range(done + 1, 5)])
        open(osp.join(work, 'epoch_4.pth'), 'w').close()

    monkeypatch.setattr(bench, 'run_script', train)
    probe = dict(accuracy=50.0, macro_f1=40.0, grade_mae=0.8,
                 val_accuracy=50.0, val_macro_f1=40.0, val_grade_mae=0.8)
    result = bench.run_cell('simclr', 'stock', 0, budget, 'data/x',
                            str(tmp_path), prober=lambda ckpt, seed: probe,
                            configs=CONFIGS)
    assert '--resume' in calls[0][2:]
    assert result['resumed_from_epoch'] == 2
    assert result['seconds_per_epoch'] == pytest.approx(40.0)
    assert result['wall_seconds'] >= 2 * 40.0
    assert result['wall_seconds'] < 2 * 40.0 + 60  # plus this call alone

    # a cell trained in one call records no resume
    started = dict(data='d' * 64, gaze_maps=None, hardware='cpu A',
                   commit='c' * 40, measured='2026-01-01')
    fresh = bench.run_cell('simclr', 'stock', 1, budget, 'data/x',
                           str(tmp_path), prober=lambda ckpt, seed: probe,
                           configs=CONFIGS, provenance=started)
    assert 'resumed_from_epoch' not in fresh
    assert fresh['wall_seconds'] < 60
    # its provenance is the run's, measured the day its result was written
    # (not the day the run started: a cell may finish after midnight)
    assert fresh['provenance'] == dict(started,
                                       measured=time.strftime('%Y-%m-%d'))


def test_cell_adopts_a_finished_pretraining_with_the_same_config(
        monkeypatch, tmp_path):
    """A cell whose pretrain_config.py is byte-identical to a finished
    pre-training elsewhere (a search's candidate) copies it in and trains
    nothing; a config differing in any byte (another seed), or an
    unfinished source, trains afresh."""
    import shutil

    import gca_mm.experiments.benchmark as bench
    from gca_mm.experiments.pretraining_reuse import \
        find_identical_pretraining
    budget = bench.Budget(epochs=4, img_size=32, batch_size=8, amp=False)
    trained = []

    def train(script, cfg, *args, **kwargs):
        work = args[args.index('--work-dir') + 1]
        trained.append(work)
        _log_run(work, '20260101_000000',
                 [(e, 1.0, 10.0) for e in range(1, 5)])
        open(osp.join(work, 'epoch_4.pth'), 'w').close()
        with open(osp.join(work, 'last_checkpoint'), 'w') as f:
            f.write(osp.join(osp.abspath(work), 'epoch_4.pth'))

    monkeypatch.setattr(bench, 'run_script', train)
    probe = dict(accuracy=50.0, macro_f1=40.0, grade_mae=0.8,
                 val_accuracy=50.0, val_macro_f1=40.0, val_grade_mae=0.8)

    def cell(root, seed, **kwargs):
        return bench.run_cell('simclr', 'stock', seed, budget, 'data/x',
                              str(root), prober=lambda ckpt, s: probe,
                              configs=CONFIGS, **kwargs)

    search, bench_root = tmp_path / 'search' / 'cand', tmp_path / 'bench'
    cell(search, 0)
    source = bench.cell_dir(str(search), 'simclr', 'stock', 0)
    assert trained == [osp.join(source, 'pretrain')]

    # another name, the same text: found (a stock-like candidate)
    renamed = tmp_path / 'other' / 'simclr_stock-tuned_seed0'
    shutil.copytree(source, renamed)
    target = bench.cell_dir(str(bench_root), 'simclr', 'stock', 0)
    os.makedirs(target)
    shutil.copy(osp.join(source, 'pretrain_config.py'), target)
    assert find_identical_pretraining([str(tmp_path / 'other')], target,
                                      4) == str(renamed)
    assert find_identical_pretraining([str(tmp_path / 'other')], target,
                                      5) is None  # not finished at 5

    adopted = cell(bench_root, 0, adopt_roots=[str(tmp_path / 'search')])
    assert len(trained) == 1  # nothing trained again
    assert adopted['adopted_from'] == source
    pre = osp.join(target, 'pretrain')
    assert osp.isfile(osp.join(pre, 'epoch_4.pth'))
    assert osp.isfile(osp.join(pre, '20260101_000000', 'vis_data',
                               'scalars.json'))
    assert adopted['seconds_per_epoch'] == pytest.approx(40.0)
    assert bench.resumed_epoch(pre) == 4
    with open(osp.join(pre, 'last_checkpoint')) as f:
        assert osp.dirname(f.read()) == osp.abspath(pre)
    assert not osp.exists(pre + '.adopting')
    assert osp.isfile(osp.join(pre, 'adopted_from.json'))

    # seed 1's config differs (its seed): trained, nothing adopted
    other = cell(bench_root, 1, adopt_roots=[str(tmp_path / 'search')])
    assert trained[-1] == osp.join(
        bench.cell_dir(str(bench_root), 'simclr', 'stock', 1), 'pretrain')
    assert 'adopted_from' not in other


def test_finetune_is_added_to_finished_cells(tiny_knee_root, tmp_path):
    work, out = str(tmp_path / 'work'), str(tmp_path / 'bench')
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([TESTS, REPO]))
    cmd = _benchmark_cmd(tiny_knee_root, work, out)
    cmd[cmd.index('--curve-every') + 1] = '0'
    cmd[cmd.index('--epochs') + 1] = '1'
    cmd += ['--arms', 'stock', '--no-import']
    first = subprocess.run(cmd, cwd=REPO, env=env, timeout=300,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    assert first.returncode == 0, first.stdout[-3000:]
    ckpt = osp.join(work, 'mocov3_stock_seed0', 'pretrain', 'epoch_1.pth')
    trained_at = osp.getmtime(ckpt)

    # settings per fraction: 2 epochs at 100 %, 1 at 20 %
    ft = cmd + ['--finetune', '--finetune-epochs', '2', '1',
                '--finetune-size', '32', '--finetune-fractions', '100', '20']
    second = subprocess.run(ft, cwd=REPO, env=env, timeout=600,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    assert second.returncode == 0, second.stdout[-3000:]
    assert osp.getmtime(ckpt) == trained_at  # not pre-trained again
    with open(out + '.json') as f:
        report = json.load(f)
    for rec in report['cells']:  # the untrained one: from scratch
        run, = rec['runs']
        assert set(run['finetune']) == {'100', '20'}, rec['arm']
        for pct, scores in run['finetune'].items():
            epochs = dict(zip(('100', '20'), (2, 1)))[pct]
            assert 0 <= scores['accuracy'] <= 100
            assert 0 <= scores['grade_mae'] <= 4
            assert 1 <= scores['best_epoch'] <= epochs
            assert scores['settings'] == dict(lr=0.001, epochs=epochs,
                                              img_size=32)
    assert report['settings']['finetune'] == [
        dict(lr=0.001, epochs=2, img_size=32, fractions=[100.0]),
        dict(lr=0.001, epochs=1, img_size=32, fractions=[20.0])]
    with open(out + '.md') as f:
        text = f.read()
    assert 'FT 100 %: acc / F1 / MAE' in text
    # the 20 % fine-tune trained on the fixed subset, not the whole split
    cfg = osp.join(work, 'mocov3_stock_seed0',
                   'finetune_20pct_lr0.001_e1_32px_config.py')
    with open(cfg) as f:
        assert 'label_fractions/train_20pct.csv' in f.read()


def test_accuracy_plot_names_every_arm(monkeypatch, tmp_path):
    """An arm that only a later algorithm has still gets a legend entry,
    exactly one."""
    from gca_mm.experiments import benchmark_report

    def cell(algorithm, arm):
        runs = [dict(accuracy=40.0, macro_f1=30.0)]
        return dict(algorithm=algorithm, arm=arm, runs=runs,
                    accuracy_mean=40.0, accuracy_std=0.0,
                    macro_f1_mean=30.0, macro_f1_std=0.0)

    summary = dict(cells=[cell('simclr', 'stock'), cell('mocov3', 'stock'),
                          cell('mocov3', 'gca-crop-only')])
    labels = []
    monkeypatch.setattr(
        benchmark_report, '_finish', lambda fig, axes, title, path, **kw:
        labels.append(axes[0].get_legend_handles_labels()[1]))
    benchmark_report.plot_accuracy(str(tmp_path / 'a.png'), summary)
    assert labels == [['stock', 'GCA crop only']]


def test_accuracy_plot_legend_covers_no_bar(monkeypatch, tmp_path):
    """With every arm of every algorithm the legend sits clear of both
    panels, so it hides no bar."""
    from gca_mm.experiments import benchmark_report
    from gca_mm.experiments.benchmark import ARMS
    summary = dict(cells=[
        dict(algorithm=algo, arm=arm, runs=[dict(accuracy=50.0,
                                                 macro_f1=50.0)],
             accuracy_mean=50.0, accuracy_std=0.0, macro_f1_mean=50.0,
             macro_f1_std=0.0)
        for algo in ('simclr', 'mocov3', 'byol') for arm in ARMS])
    boxes = []

    def save(fig, path):
        fig.canvas.draw()
        legend, = fig.legends + [ax.get_legend() for ax in fig.axes
                                 if ax.get_legend() is not None]
        boxes.append((legend.get_window_extent(),
                      [ax.get_window_extent() for ax in fig.axes]))

    monkeypatch.setattr(benchmark_report, '_save', save)
    benchmark_report.plot_accuracy(str(tmp_path / 'a.png'), summary)
    (legend, panels), = boxes
    assert legend.width > 0
    assert not any(legend.overlaps(panel) for panel in panels)
