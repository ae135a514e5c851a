import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from gca_mm.evaluation import (center_bias_map, fixation_mask,
                               inter_reader_consistency, nss)
from gca_mm.gaze import FixationTable, render_fixation_map

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SIZES = {'a.png': (40, 60), 'b.png': (40, 60), 'solo.png': (40, 60)}


def readings(image, readers, xs, ys):
    n = len(xs)
    return FixationTable([image] * n * len(readers),
                         [r for r in readers for _ in range(n)],
                         list(xs) * len(readers),
                         list(ys) * len(readers))


def test_identical_readers_reach_cc_one():
    t = FixationTable.concat([
        readings('a.png', ['r1', 'r2', 'r3'], [10, 30, 45], [10, 20, 30]),
        readings('b.png', ['r1', 'r2'], [50, 5], [35, 5]),
    ])
    report = inter_reader_consistency(t, SIZES, sigma_px=3.0)
    s = report.summary()
    assert report.images == ['a.png', 'b.png'] and report.n_readings == 5
    assert s['inter_reader']['cc']['mean'] == pytest.approx(1.0, abs=1e-6)
    assert s['inter_reader']['cc']['n'] == 2
    # NSS equals that of the held-out reader's own map
    one = t.for_image('a.png').for_reader('r1')
    own = render_fixation_map(one, (40, 60), sigma_px=3.0)
    assert report.scores['inter_reader']['nss'][0] == pytest.approx(
        nss(own, fixation_mask(np.stack([one.x, one.y], 1), (40, 60))))
    assert s['center_bias']['cc']['mean'] < 0.9


def test_disagreeing_readers_score_low_and_single_readers_are_skipped():
    t = FixationTable.concat([
        readings('a.png', ['r1'], [5, 8], [5, 6]),
        readings('a.png', ['r2'], [55, 52], [35, 33]),
        readings('solo.png', ['r1'], [30], [20]),
    ])
    report = inter_reader_consistency(t, SIZES, sigma_px=3.0)
    assert report.images == ['a.png'] and report.n_skipped == 1
    s = report.summary()
    assert s['inter_reader']['cc']['mean'] < 0.1
    assert s['inter_reader']['nss']['mean'] < 0
    assert s['inter_reader']['cc']['std'] == 0.0
    text = report.format_table()
    assert 'inter_reader' in text and 'center_bias' in text and 'CC' in text


def test_center_bias_map_and_fixation_mask():
    g = center_bias_map((41, 61), sigma_frac=0.2)
    assert g.max() == pytest.approx(1.0)  # the baselines' map: scale-free
    assert np.unravel_index(g.argmax(), g.shape) == (20, 30)
    with pytest.raises(ValueError, match='sigma_frac'):
        center_bias_map((4, 4), 0)
    t = FixationTable(['a'] * 2, ['r'] * 2, [0.4, 59.4], [1.6, 39.0])
    mask = fixation_mask(np.stack([t.x, t.y], 1), (40, 60))
    assert mask.sum() == 2 and mask[2, 0] and mask[39, 59]


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gaze_ceiling_tool_end_to_end(tmp_path, capsys):
    for name in SIZES:
        cv2.imwrite(str(tmp_path / name), np.zeros((40, 60), np.uint8))
    rng = np.random.default_rng(0)
    parts = []
    for image in ('a.png', 'b.png'):
        centre = rng.uniform(15, 35, size=2)
        for reader in ('r1', 'r2', 'r3'):
            xy = centre + rng.normal(0, 3, size=(8, 2))
            parts.append(
                FixationTable(
                    [image] * 8, [reader] * 8,
                    xy[:, 0],
                    xy[:, 1],
                    duration_ms=rng.uniform(100, 400, 8)))
    gaze_csv = str(tmp_path / 'fixations.csv')
    FixationTable.concat(parts).to_csv(gaze_csv)
    out = str(tmp_path / 'report' / 'ceiling.json')
    load_tool('gaze_ceiling').main([
        gaze_csv, '--images',
        str(tmp_path), '--sigma-px', '4', '--duration-weighting', '--out', out
    ])
    printed = capsys.readouterr().out
    assert 'images with >= 2 readers: 2' in printed
    with open(out) as f:
        report = json.load(f)
    assert report['n_images'] == 2 and report['n_readings'] == 6
    assert report['sigma_px'] == 4.0 and report['duration_weighting']
    inter = report['summary']['inter_reader']
    assert inter['cc']['mean'] > report['summary']['center_bias']['cc']['mean']
    assert set(report['per_image']) == {'a.png', 'b.png'}
