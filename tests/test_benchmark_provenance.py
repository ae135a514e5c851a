"""Cells carried over between runs: fingerprints, import rules, and the
report's headline and provenance lines."""
import json
import os
import os.path as osp
import time

import pytest

from gca_mm.experiments.benchmark_report import (crop_area_table,
                                                 headline_table,
                                                 provenance_lines, summarize)
from gca_mm.experiments.presets import preset_cells
from gca_mm.experiments.provenance import (finished_provenance,
                                           import_cells, importable,
                                           mixed_cells, portable_numpy_env,
                                           rendering_provenance,
                                           tree_fingerprint,
                                           uses_predicted_maps)

BUDGET = dict(num_images=None, epochs=90, img_size=64, batch_size=64,
              amp=True, curve_every=0, probe_size=160)
HERE = dict(data='d' * 16, gaze_maps='m' * 16, hardware='cpu A',
            measured='2026-12-05')


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_tree_fingerprint_follows_names_and_bytes(tmp_path):
    _write(tmp_path / 'a' / 'train' / 'x.png', b'123')
    _write(tmp_path / 'a' / 'meta.json', b'{}')
    _write(tmp_path / 'a' / 'saliency_maps' / 'x.png', b'map')
    first = tree_fingerprint(str(tmp_path / 'a'))
    assert first == tree_fingerprint(str(tmp_path / 'a'))
    assert len(first) == 16
    without = tree_fingerprint(str(tmp_path / 'a'),
                               exclude=('saliency_maps', ))
    assert without != first
    # a derived tree left out: its content does not count
    _write(tmp_path / 'a' / 'saliency_maps' / 'x.png', b'other map')
    assert tree_fingerprint(str(tmp_path / 'a'),
                            exclude=('saliency_maps', )) == without
    _write(tmp_path / 'a' / 'train' / 'x.png', b'124')
    changed = tree_fingerprint(str(tmp_path / 'a'),
                               exclude=('saliency_maps', ))
    assert changed != without
    (tmp_path / 'a' / 'train' / 'x.png').rename(tmp_path / 'a' / 'train' /
                                                'y.png')
    assert tree_fingerprint(str(tmp_path / 'a'),
                            exclude=('saliency_maps', )) != changed
    with pytest.raises(FileNotFoundError, match='cannot fingerprint'):
        tree_fingerprint(str(tmp_path / 'missing'))


def test_which_arms_depend_on_the_predicted_maps():
    assert uses_predicted_maps('gca') and uses_predicted_maps('stock-matched')
    assert uses_predicted_maps('gca-dim-only')
    assert not uses_predicted_maps('stock')
    assert not uses_predicted_maps('gca-oracle')  # its own control maps
    assert not uses_predicted_maps('reference')


def _run(algo, arm, seed, acc, provenance=HERE, budget=BUDGET):
    fractions = {'100': dict(accuracy=acc, macro_f1=acc - 5,
                             grade_mae=0.8),
                 '10': dict(accuracy=acc - 4, macro_f1=acc - 9,
                            grade_mae=0.9)}
    run = dict(algorithm=algo, arm=arm, seed=seed, budget=budget,
               accuracy=acc, macro_f1=acc - 5, grade_mae=0.8,
               seconds_per_epoch=5.0, label_fractions=fractions,
               wall_seconds=600.0)
    if provenance is not None:
        run['provenance'] = provenance
    return run


def _report(path, runs):
    path.write_text(json.dumps(summarize(runs)))
    return str(path)


def test_import_needs_the_same_budget_data_and_maps(tmp_path):
    elsewhere = dict(HERE, gaze_maps='n' * 16, hardware='cpu B')
    report = _report(tmp_path / 'report.json', [
        _run('random', 'reference', 0, 37.0, elsewhere),
        _run('mocov3', 'stock', 0, 46.0, elsewhere),
        _run('mocov3', 'stock-matched', 0, 46.5, elsewhere),
        _run('mocov3', 'gca', 0, 45.0, elsewhere),
        _run('mocov3', 'gca-oracle', 0, 47.0, elsewhere),
        _run('mocov3', 'stock', 1, 44.0, None),
        _run('mocov3', 'stock', 2, 44.0, dict(HERE, data='e' * 16)),
        _run('simclr', 'stock', 0, 44.0, elsewhere,
             dict(BUDGET, epochs=60)),
    ])
    cells = [('random', 'reference', 0), ('mocov3', 'stock', 0),
             ('mocov3', 'stock-matched', 0), ('mocov3', 'gca', 0),
             ('mocov3', 'gca-oracle', 0), ('mocov3', 'stock', 1),
             ('mocov3', 'stock', 2), ('simclr', 'stock', 0),
             ('mocov3', 'gca', 1)]  # the last one: not in the report

    def result_path(algo, arm, seed):
        return str(tmp_path / 'work' / f'{algo}_{arm}_{seed}' /
                   'result.json')

    imported, refused = import_cells(report, cells, result_path, BUDGET,
                                     HERE)
    # the same data: cells that do not read the predicted maps come over
    assert imported == [('random', 'reference', 0), ('mocov3', 'stock', 0),
                        ('mocov3', 'gca-oracle', 0)]
    assert set(refused) == {('mocov3', 'stock-matched', 0),
                            ('mocov3', 'gca', 0), ('mocov3', 'stock', 1),
                            ('mocov3', 'stock', 2), ('simclr', 'stock', 0)}
    assert 'gaze_maps fingerprint' in refused[('mocov3', 'gca', 0)]
    assert 'no provenance' in refused[('mocov3', 'stock', 1)]
    assert 'data fingerprint' in refused[('mocov3', 'stock', 2)]
    assert 'budget' in refused[('simclr', 'stock', 0)]
    with open(result_path('mocov3', 'stock', 0)) as f:
        record = json.load(f)
    assert record['accuracy'] == 46.0 and record['imported_from'] == report
    assert record['provenance']['hardware'] == 'cpu B'  # where it ran
    assert not osp.exists(result_path('mocov3', 'gca', 0))

    # a cell finished here is never replaced by an imported one
    with open(result_path('mocov3', 'stock', 0), 'w') as f:
        json.dump(dict(accuracy=1.0), f)
    again, _ = import_cells(report, cells, result_path, BUDGET, HERE)
    assert ('mocov3', 'stock', 0) not in again
    with open(result_path('mocov3', 'stock', 0)) as f:
        assert json.load(f) == dict(accuracy=1.0)


def test_a_cell_finished_without_provenance_keeps_its_own_date(tmp_path):
    # a report written later must not stamp its commit and date on a cell
    # that an earlier version finished in this work dir
    result = tmp_path / 'result.json'
    result.write_text('{}')
    os.utime(result, (0, time.mktime((2026, 12, 5, 12, 0, 0, 0, 0, -1))))
    now = dict(HERE, commit='c' * 40, measured='2026-12-07')
    record = finished_provenance(now, str(result))
    assert record == dict(HERE, commit=None, measured='2026-12-05')
    assert now['commit'] == 'c' * 40  # this run's own is left alone


def test_importable_names_what_differs():
    run = _run('mocov3', 'gca', 0, 45.0)
    assert importable(run, BUDGET, HERE) is None
    assert 'gaze_maps' in importable(run, BUDGET, dict(HERE, gaze_maps=None))
    assert importable(dict(run, arm='stock'), BUDGET,
                      dict(HERE, gaze_maps=None)) is None


def test_a_report_re_renders_where_the_maps_come_out_otherwise(tmp_path):
    # the report was measured on maps 'm'; this machine's saliency model
    # made maps 'n' (float rounding differs by CPU): re-rendering compares
    # the report's cells with the report's own fingerprints
    runs = [_run('mocov3', 'gca', 0, 45.0), _run('mocov3', 'stock', 0, 46.0)]
    report = tmp_path / 'report.json'
    report.write_text(json.dumps(dict(
        summarize(runs), settings=dict(provenance=dict(HERE, commit='a')))))
    here = dict(HERE, gaze_maps='n' * 16)
    rendering = rendering_provenance(str(report))
    assert (rendering['data'], rendering['gaze_maps']) == \
        (HERE['data'], HERE['gaze_maps'])
    assert rendering['measured'] == time.strftime('%Y-%m-%d')

    def result_path(algo, arm, seed):
        return str(tmp_path / 'work' / f'{algo}_{arm}_{seed}' /
                   'result.json')

    cells = [('mocov3', 'gca', 0), ('mocov3', 'stock', 0)]
    assert import_cells(str(report), cells, result_path, BUDGET,
                        here)[0] == [('mocov3', 'stock', 0)]
    imported, refused = import_cells(str(report), cells, result_path,
                                     BUDGET, rendering)
    assert imported == [('mocov3', 'gca', 0)] and not refused
    # a cell made here on the other maps cannot join them; one that reads
    # no maps can
    made_here = [_run('mocov3', 'gca', 1, 44.0, here),
                 _run('mocov3', 'gca-centre', 1, 44.0, here),
                 _run('mocov3', 'stock', 1, 44.0, dict(here, data='e' * 16))]
    mixed = mixed_cells(runs + made_here, rendering)
    assert set(mixed) == {('mocov3', 'gca', 1), ('mocov3', 'stock', 1)}
    assert 'gaze_maps fingerprint ' + 'n' * 16 in mixed[('mocov3', 'gca', 1)]
    assert 'data fingerprint' in mixed[('mocov3', 'stock', 1)]
    # a report without provenance gives none
    report.write_text(json.dumps(summarize(runs)))
    assert rendering_provenance(str(report)) is None


def test_data_is_made_with_numpy_kernels_every_x86_cpu_has():
    import subprocess
    import sys
    env = portable_numpy_env()
    assert all(f.startswith('AVX512') for f in
               env.get('NPY_DISABLE_CPU_FEATURES', '').split())
    out = subprocess.run(
        [sys.executable, '-c', 'import numpy.core._multiarray_umath as m; '
         'print(" ".join(f for f in m.__cpu_dispatch__ '
         'if m.__cpu_features__[f]))'],
        env=dict(os.environ, **env), capture_output=True, text=True,
        check=True).stdout
    # the kernels numpy dispatches to: none of its AVX-512 ones
    assert 'SSE42' in out.split() and 'AVX512' not in out


def test_headline_pairs_each_arm_with_stock_by_seed():
    runs = [_run('mocov3', 'stock', s, 46.0 + s) for s in range(3)]
    runs += [_run('mocov3', 'gca', s, 45.0 + 2 * s) for s in range(3)]
    runs += [_run('random', 'reference', s, 37.0) for s in range(3)]
    table = headline_table(summarize(runs))
    head, rule, stock, gca, untrained = table.split('\n')[:5]
    assert 'LP 100 %: acc / F1 / MAE' in head and 'LP 10 %' in head
    assert 'FT' not in head  # no cell has a fine-tune
    assert stock.startswith('| MoCo v3 | stock | 3 | 47.0 / 42.0 / 0.800 '
                            '| - | 43.0 / 38.0 / 0.900 | - |')
    # gca - stock per seed: -1, 0, +1 -> mean 0, t half-width 2.48
    assert '| +0.0 [-2.5, +2.5] |' in gca
    assert untrained.startswith('| untrained backbone | - | 3 | 37.0')
    assert 'No cell of this report has a fine-tune yet.' in table
    one = headline_table(summarize(runs[:1] + runs[3:4]))
    assert '-1.0 (1 seed)' in one
    # a fine-tune on two of the three seeds is marked as such
    for r in runs[1:3]:
        r['finetune'] = {'100': dict(accuracy=70.0, macro_f1=69.0,
                                     grade_mae=0.3)}
    stock = headline_table(summarize(runs)).split('\n')[2]
    assert '| 70.0 / 69.0 / 0.300 (2 of 3 seeds) |' in stock


def test_provenance_lines_say_where_cells_ran():
    runs = [_run('mocov3', 'stock', 0, 46.0),
            dict(_run('mocov3', 'gca', 0, 45.0,
                      dict(HERE, hardware='cpu B')), imported_from='r.json')]
    lines = provenance_lines(runs)
    assert lines[0].startswith('- 1 cells on cpu A, measured 2026-12-05')
    assert 'carried over' in lines[1]
    assert 'more than one machine' in lines[2]
    assert len(provenance_lines(runs[:1])) == 1
    # an arm that reads no predicted maps is not set apart by them
    assert 'predicted maps not read' in lines[0]
    one_machine = provenance_lines([
        _run('mocov3', 'stock', 0, 46.0),
        _run('mocov3', 'gca', 0, 45.0),
        _run('mocov3', 'gca-centre', 1, 45.0, dict(HERE, gaze_maps='n' * 16))])
    assert len(one_machine) == 2 and 'predicted maps `' + 'm' * 16 in \
        one_machine[1] and '2 cells' in one_machine[0]


def test_cpu_preset_runs_whole_groups_first():
    cells = preset_cells('cpu')
    # the first group: SimCLR stock and GCA at every seed, paired
    assert cells[:6] == [('simclr', arm, seed) for seed in (0, 1, 2)
                         for arm in ('stock', 'gca')]
    assert cells[6:9] == [('simclr', 'stock-matched', s) for s in (0, 1, 2)]
    # MoCo v3's first group is its own stock-GCA pair, every seed
    first = [i for i, c in enumerate(cells) if c[0] == 'mocov3'][0]
    assert cells[first:first + 6] == [('mocov3', arm, seed)
                                      for seed in (0, 1, 2)
                                      for arm in ('stock', 'gca')]
    # its leave-one-out ablation, then the one-operator ablation, run
    # before the two priors
    moco = [arm for algo, arm, seed in cells if algo == 'mocov3' and seed == 0]
    assert moco.index('gca-no-dim') < moco.index('gca-crop-only') < \
        moco.index('gca-dim-only') < moco.index('gca-centre')
    assert len(cells) == len(set(cells))
    assert {a for a, _, _ in cells} == {'mocov3', 'simclr', 'byol'}
    byol = [i for i, c in enumerate(cells) if c[0] == 'byol']
    assert byol == list(range(len(cells) - len(byol), len(cells)))  # last


def test_cpu_byol_preset_is_the_cpu_presets_byol_cells():
    """On a CPU whose predicted maps are not the `cpu` report's, BYOL's
    groups run alone: the same cells, order and budget as in `cpu`."""
    from gca_mm.experiments.presets import PRESETS
    byol = preset_cells('cpu-byol')
    assert byol == [c for c in preset_cells('cpu') if c[0] == 'byol']
    assert len(byol) == 36 and byol[0] == ('byol', 'stock', 0)
    assert PRESETS['cpu-byol']['budget'] == PRESETS['cpu']['budget']


def _benchmark_tool():
    import importlib.util

    from runner_utils import REPO
    spec = importlib.util.spec_from_file_location(
        'benchmark_tool', osp.join(REPO, 'tools', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_run_never_silently_drops_cells_of_another_budget(tmp_path,
                                                            capsys):
    tool = _benchmark_tool()
    (tmp_path / 'data').mkdir()
    out = str(tmp_path / 'bench')
    argv = ['--data-root', str(tmp_path / 'data'), '--arms', 'stock',
            '--out', out]
    args = tool.parse_args(argv)
    (tmp_path / 'bench.json').write_text(json.dumps(dict(settings=dict(
        budget=dict(BUDGET, epochs=7)), cells=[])))
    with pytest.raises(SystemExit):
        tool.parse_args(argv)
    assert 'writing it would drop them' in capsys.readouterr().err
    assert tool.parse_args(argv + ['--replace']).import_results == \
        out + '.json'
    assert tool.parse_args(argv + ['--replace', '--no-import'])\
        .import_results is None
    # the CPU preset trains in fp32 on every CPU: one budget for all
    (tmp_path / 'data' / 'saliency_maps').mkdir()
    preset = tool.parse_args(argv + ['--replace', '--preset', 'cpu'])
    assert preset.no_amp and not tool.budget_of(preset).amp
    assert preset.cells[0] == ('simclr', 'stock', 0)
    assert not args.no_amp
    gpu = tool.budget_of(tool.parse_args(argv + ['--replace', '--preset',
                                                 'gpu']))
    assert (gpu.family, gpu.epochs, gpu.img_size, gpu.batch_size) == \
        ('gpu', 200, 224, 256)


def test_finetune_settings_per_label_fraction(tmp_path, capsys):
    """--finetune-lr / -epochs / -size take one value for every fraction or
    one per fraction; fractions sharing settings share one group."""
    tool = _benchmark_tool()
    (tmp_path / 'data').mkdir()
    argv = ['--data-root', str(tmp_path / 'data'), '--arms', 'stock',
            '--out', str(tmp_path / 'bench'), '--finetune',
            '--finetune-fractions', '10', '100', '20']
    one = tool.finetune_of(tool.parse_args(argv + ['--finetune-lr', '3e-3']))
    assert [(s.lr, s.epochs, s.fractions) for s in one] == \
        [(3e-3, 30, (10.0, 100.0, 20.0))]
    each = tool.finetune_of(tool.parse_args(
        argv + ['--finetune-lr', '3e-3', '1e-2', '3e-3',
                '--finetune-epochs', '30', '15', '30']))
    assert [(s.lr, s.epochs, s.img_size, s.fractions) for s in each] == \
        [(3e-3, 30, 64, (10.0, 20.0)), (1e-2, 15, 64, (100.0, ))]
    assert tool.finetune_of(tool.parse_args(argv[:-5])) is None
    with pytest.raises(SystemExit):
        tool.parse_args(argv + ['--finetune-epochs', '30', '15'])
    assert '--finetune-epochs takes one value or one per ' \
        '--finetune-fractions (3), got 2' in capsys.readouterr().err


def test_crop_area_table_reports_both_areas():
    matched = dict(stock_area=0.5449, gca_area=0.7681,
                   crop_ratio_range=[0.639, 1.0], matched_area=0.7687,
                   stock_crop_ratio_range=[0.2, 1.0], images=200)
    runs = [dict(_run('simclr', 'stock-matched', s, 47.0),
                 arm_settings=matched) for s in range(2)]
    runs.append(_run('simclr', 'stock', 0, 48.0))
    lines = crop_area_table(runs).split('\n')
    assert len(lines) == 3  # header, rule, one row per algorithm
    assert lines[2] == ('| SimCLR | 0.2-1 | 0.545 | 0.768 | 0.639-1 | '
                        '0.769 | 200 |')
    assert crop_area_table(runs[2:]) == ''
