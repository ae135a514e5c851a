"""The `stock-tuned` arm's search on val (gca_mm.experiments.stock_search):
candidate configs change only the crop range and the cutout, the choice is
made on val, and the winner is written as the arm's config."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.registry import TRANSFORMS

from gca_mm.experiments.benchmark import Budget, pretrain_config
from gca_mm.experiments.stock_search import (Candidate, candidates, choose,
                                             search_stock_views,
                                             tuned_config_text,
                                             write_candidate_configs)
from gca_mm.utils import walk_pipeline
from runner_utils import REPO

TESTS = osp.join(REPO, 'tests')
CONFIGS = osp.join(REPO, 'configs')


def _views(cfg):
    return cfg.train_dataloader.dataset.pipeline[1]['transforms']


def _steps(cfg, kind):
    return [t for _, t in walk_pipeline(cfg.train_dataloader.dataset.pipeline,
                                        'p') if t['type'] == kind]


def test_candidates_stock_like_first():
    cands = candidates((0.2, 0.08), (48 / 224, None))
    assert [c.name for c in cands] == [
        'crop0.08_nocutout', 'crop0.08_cutout0.214', 'crop0.2_nocutout',
        'crop0.2_cutout0.214']
    assert cands[0].cutout() is None and cands[0].crop_ratio_range == \
        (0.08, 1.0)
    with pytest.raises(ValueError, match='crop_low must be in'):
        Candidate(0)
    with pytest.raises(ValueError, match='cutout_side must be in'):
        Candidate(0.2, 1.5)


@pytest.mark.parametrize('algorithm', ['simclr', 'mocov3', 'byol'])
def test_candidate_config_changes_only_crop_and_cutout(algorithm, tmp_path):
    cand = Candidate(0.35, 48 / 224)
    configs = write_candidate_configs(CONFIGS, algorithm, cand,
                                      str(tmp_path))
    tuned = Config.fromfile(pretrain_config(algorithm, 'stock-tuned',
                                            configs))
    stock = Config.fromfile(pretrain_config(algorithm, 'stock', CONFIGS))
    # one view pipeline for SimCLR (num_views=2), two for MoCo v3 and BYOL
    assert [c['crop_ratio_range'] for c in _steps(tuned, 'RandomResizedCrop')
            ] == [(0.35, 1.0)] * len(_views(stock))
    for tuned_view, stock_view in zip(_views(tuned), _views(stock)):
        # the cutout is the last step of each view; the rest is stock but
        # for the crop's range
        assert tuned_view[-1] == cand.cutout()
        assert len(tuned_view) == len(stock_view) + 1
        for a, b in zip(tuned_view[:-1], stock_view):
            a, b = dict(a), dict(b)
            if a['type'] == 'RandomResizedCrop':
                a.pop('crop_ratio_range')
                b.pop('crop_ratio_range', None)
            assert a == b
    assert 'edit_views' not in tuned  # the imported helper
    assert tuned.model == stock.model
    assert tuned.optim_wrapper == stock.optim_wrapper
    no_cut = Config.fromfile(write_candidate_configs(
        CONFIGS, algorithm, Candidate(0.08), str(tmp_path / 'b')) +
        f'/benchmark/{algorithm}_stock_tuned_knee.py')
    assert not _steps(no_cut, 'RandomErasing')


def test_cutout_is_a_grey_square_of_the_stated_side():
    cut = TRANSFORMS.build(Candidate(0.2, 0.25).cutout())
    img = np.full((64, 64, 3), 200, np.uint8)
    out = cut(dict(img=img.copy()))['img']
    hole = (out != 200).all(-1)
    ys, xs = np.nonzero(hole)
    assert hole.sum() == pytest.approx(16 * 16, rel=0.15)  # (0.25 * 64)^2
    assert ys.ptp() == pytest.approx(xs.ptp(), abs=1)  # square
    assert (out[hole] == 118).all()  # the data's mean: 0 after normalising
    assert (out[..., 0] == out[..., 1]).all()  # still grey


def _result(name, f1, mae=1.0, acc=40.0):
    return dict(candidate=name, val_macro_f1=f1, val_grade_mae=mae,
                val_accuracy=acc)


def test_choose_on_val_macro_f1_then_mae_then_order():
    assert choose([_result('a', 30), _result('b', 35)])['candidate'] == 'b'
    assert choose([_result('a', 35, 0.9),
                   _result('b', 35, 0.8)])['candidate'] == 'b'
    assert choose([_result('a', 35), _result('b', 35)])['candidate'] == 'a'
    with pytest.raises(ValueError, match='no candidate results'):
        choose([])


def test_search_writes_the_val_winner(tmp_path):
    val_f1 = {'crop0.08_nocutout': 30.0, 'crop0.5_nocutout': 41.0,
              'crop0.08_cutout0.214': 35.0, 'crop0.5_cutout0.214': 38.0}
    calls = []

    def fake_cell(algorithm, arm, seed, budget, data_root, work_root,
                  configs=None, **kwargs):
        name = osp.basename(work_root)
        calls.append((algorithm, arm, seed, name))
        # the cell trains the candidate's own config
        cfg = Config.fromfile(pretrain_config(algorithm, arm, configs))
        low = _steps(cfg, 'RandomResizedCrop')[0]['crop_ratio_range'][0]
        assert name.startswith(f'crop{low:.3g}_')
        # test-split figures that would pick another candidate are ignored
        return dict(val_accuracy=40.0, val_macro_f1=val_f1[name],
                    val_grade_mae=1.0, accuracy=50.0,
                    macro_f1=100 - val_f1[name], grade_mae=0.5)

    out = str(tmp_path / 'byol_stock_tuned_knee.py')
    best, results = search_stock_views(
        'byol', Budget(epochs=2, amp=False), 'data/x', str(tmp_path / 'w'),
        CONFIGS, out, candidates((0.08, 0.5)), run_cell=fake_cell,
        command='python tools/analysis/search_stock_views.py --algorithm '
        'byol')
    assert best['candidate'] == 'crop0.5_nocutout'
    assert [c[1:3] for c in calls] == [('stock-tuned', 0)] * 4
    assert len(results) == 4
    text = open(out).read()
    assert 'crop0.5_nocutout: 40.00 / 41.00 / 1.000' in text
    assert '--algorithm byol' in text
    # the written config runs from configs/benchmark/ like the other arms
    configs = write_candidate_configs(CONFIGS, 'byol', Candidate(0.08),
                                      str(tmp_path / 'c'))
    tuned_path = pretrain_config('byol', 'stock-tuned', configs)
    with open(out) as src, open(tuned_path, 'w') as dst:
        dst.write(src.read())
    cfg = Config.fromfile(tuned_path)
    assert cfg.tuned_crop_ratio_range == (0.5, 1.0)
    assert cfg.tuned_cutout is None
    saved = json.load(open(tmp_path / 'w' / 'search.json'))
    assert saved['best']['candidate'] == 'crop0.5_nocutout'


def test_search_tool_end_to_end(tiny_knee_root, tmp_path):
    """Two candidates pre-trained for one epoch on tiny data: the winner's
    config is written and runs as the arm's config; a rerun trains
    nothing."""
    out = str(tmp_path / 'byol_stock_tuned_knee.py')
    cmd = [sys.executable,
           osp.join(REPO, 'tools', 'analysis', 'search_stock_views.py'),
           '--algorithm', 'byol', '--data-root', tiny_knee_root,
           '--crop-lows', '0.5', '--cutout-sides', 'none', '0.25',
           '--epochs', '1', '--batch-size', '4', '--img-size', '32',
           '--probe-size', '32', '--no-amp',
           '--cache-dir', str(tmp_path / 'cache'),
           '--work-dir', str(tmp_path / 'work'), '--out', out]
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([TESTS, REPO]))
    run = subprocess.run(cmd, cwd=REPO, env=env, timeout=600,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert '<- chosen' in run.stdout
    search = json.load(open(tmp_path / 'work' / 'search.json'))
    assert [r['candidate'] for r in search['results']] == [
        'crop0.5_nocutout', 'crop0.5_cutout0.25']
    text = open(out).read()
    assert search['best']['candidate'] + ':' in text
    cell = tmp_path / 'work' / 'crop0.5_cutout0.25' / \
        'byol_stock-tuned_seed0' / 'result.json'
    done_at = osp.getmtime(cell)
    again = subprocess.run(cmd, cwd=REPO, env=env, timeout=600,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    assert again.returncode == 0, again.stdout[-3000:]
    assert osp.getmtime(cell) == done_at  # read back, not trained again
