import csv
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from gca_mm.demo import (FINDINGS_COLUMNS, SPLITS, SyntheticKnee, image_rng,
                         make_demo_dataset, plan_dataset)
from gca_mm.demo.synthetic_knee import COMPARTMENTS, FINDING_KINDS

SIZE = 224
PER_GRADE = 24


@pytest.fixture(scope='module')
def knee():
    return SyntheticKnee(image_size=SIZE)


@pytest.fixture(scope='module')
def batch(knee):
    """(grade, img, findings) for PER_GRADE images of every grade."""
    out = []
    for grade in range(5):
        for i in range(PER_GRADE):
            img, findings = knee.render(grade, image_rng(11, 100 * grade + i))
            out.append((grade, img, findings))
    return out


def lesion_mask(findings, size, dilate=0):
    mask = np.zeros((size, size), bool)
    for f in findings:
        if f['kind'] != 'compartment':
            mask[max(f['y1'] - dilate, 0):f['y2'] + dilate,
                 max(f['x1'] - dilate, 0):f['x2'] + dilate] = True
    return mask


def read_findings(root):
    with open(osp.join(root, 'findings.csv'), newline='') as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == FINDINGS_COLUMNS
        return list(reader)


def png_files(root):
    return sorted(
        osp.relpath(osp.join(d, n), root).replace(os.sep, '/')
        for d, _, names in os.walk(root) for n in names if n.endswith('.png'))


# ---------------------------------------------------------------- rendering


def test_render_is_deterministic_per_seed_and_index(knee):
    img, findings = knee.render(3, image_rng(0, 5))
    assert img.shape == (SIZE, SIZE) and img.dtype == np.uint8
    again, findings_again = knee.render(3, image_rng(0, 5))
    assert img.tobytes() == again.tobytes()
    assert findings == findings_again
    other_seed, _ = knee.render(3, image_rng(1, 5))
    other_index, _ = knee.render(3, image_rng(0, 6))
    assert np.abs(img.astype(int) - other_seed).mean() > 1
    assert np.abs(img.astype(int) - other_index).mean() > 1


def test_generation_order_does_not_matter(knee):
    forward = {i: knee.render(i % 5, image_rng(4, i))[0] for i in range(4)}
    backward = {
        i: knee.render(i % 5, image_rng(4, i))[0]
        for i in reversed(range(4))
    }
    for i in range(4):
        assert np.array_equal(forward[i], backward[i])


def test_findings_rows_are_consistent(batch):
    for grade, img, findings in batch:
        sides = {f['side'] for f in findings}
        assert len(sides) == 1 and sides <= {'L', 'R'}
        landmarks = [f for f in findings if f['kind'] == 'compartment']
        assert sorted(f['compartment'] for f in landmarks) == sorted(
            COMPARTMENTS)
        assert all(f['severity'] == 0 for f in landmarks)
        for f in findings:
            assert f['kind'] in FINDING_KINDS
            assert f['compartment'] in COMPARTMENTS
            assert 0 <= f['x1'] < f['x2'] <= SIZE
            assert 0 <= f['y1'] < f['y2'] <= SIZE
            assert f['x1'] <= f['x'] < f['x2'] and f['y1'] <= f['y'] < f['y2']
            assert 0 <= f['severity'] <= 1
        lesions = [f for f in findings if f['kind'] != 'compartment']
        if grade == 0:
            assert lesions == []
        else:
            assert any(f['kind'] == 'osteophyte' for f in lesions)
            assert all(f['severity'] > 0 for f in lesions)


def test_severity_and_extent_grow_with_grade(batch):
    osteophyte, lesions = [[] for _ in range(5)], [[] for _ in range(5)]
    jsn = [[] for _ in range(5)]
    for grade, _, findings in batch:
        lesions[grade].append(
            sum(f['severity'] for f in findings if f['kind'] != 'compartment'))
        osteophyte[grade] += [
            f['severity'] for f in findings if f['kind'] == 'osteophyte'
        ]
        jsn[grade].append(
            max([f['severity'] for f in findings if f['kind'] == 'jsn'] or
                [0]))
    for values in (lesions, jsn):
        means = [np.mean(v) for v in values]
        assert all(a < b for a, b in zip(means, means[1:])), means
    means = [np.mean(v) for v in osteophyte[1:]]
    assert all(a < b for a, b in zip(means, means[1:])), means
    assert not any(f['kind'] == 'sclerosis' for g, _, fs in batch if g < 3
                   for f in fs)


def test_medial_compartment_is_affected_more_often(batch):
    counts = {c: 0 for c in COMPARTMENTS}
    for grade, _, findings in batch:
        for f in findings:
            if f['kind'] == 'jsn':
                counts[f['compartment']] += 1
    assert counts['medial'] > 1.5 * counts['lateral'], counts


def test_left_knee_is_the_mirror_of_the_right(knee):
    for index in range(3):
        right, f_right = knee.render(4, image_rng(2, index), side='R')
        left, f_left = knee.render(4, image_rng(2, index), side='L')
        assert np.array_equal(left, right[:, ::-1])
        assert len(f_left) == len(f_right)
        for r, l in zip(f_right, f_left):
            assert (r['side'], l['side']) == ('R', 'L')
            assert r['kind'] == l['kind']
            assert r['compartment'] == l['compartment']
            assert l['x'] == pytest.approx(SIZE - 1 - r['x'], abs=0.011)
            assert (l['x1'], l['x2']) == (SIZE - r['x2'], SIZE - r['x1'])
            assert (l['y'], l['y1'], l['y2']) == (r['y'], r['y1'], r['y2'])
        centre = {(f['side'], f['compartment']): f['x']
                  for f in f_right + f_left if f['kind'] == 'compartment'}
        # A right knee shows its lateral side (fibula) on the image's left.
        assert centre['R', 'lateral'] < centre['R', 'medial']
        assert centre['L', 'lateral'] > centre['L', 'medial']


def test_grade_is_carried_only_by_local_findings(knee):
    """Same anatomy and noise rendered as KL0 and KL4: the images differ only
    inside the findings' boxes, and not in overall brightness."""
    paired_shift, image_means = [], []
    for index in range(8):
        healthy, _ = knee.render(0, image_rng(7, index))
        severe, findings = knee.render(4, image_rng(7, index))
        diff = np.abs(severe.astype(int) - healthy.astype(int))
        inside = lesion_mask(findings, SIZE, dilate=2)
        assert diff[~inside].max() <= 4
        assert diff[lesion_mask(findings, SIZE)].mean() > 4
        paired_shift.append(abs(severe.mean() - healthy.mean()))
        image_means.append(healthy.mean())
    assert max(paired_shift) < 0.1 * np.std(image_means)


def test_class_means_do_not_separate_grades(batch):
    means = np.array([img.mean() for _, img, _ in batch]).reshape(5, -1)
    spread = means.std(axis=1).mean()
    assert np.ptp(means.mean(axis=1)) < spread
    # No more variation between class means than sampling noise explains.
    assert means.mean(axis=1).std() < 2 * spread / np.sqrt(PER_GRADE)


def test_findings_survive_downscaling_to_half_size(knee):
    for index in range(4):
        healthy, _ = knee.render(0, image_rng(8, index))
        severe, findings = knee.render(4, image_rng(8, index))
        half = (SIZE // 2, SIZE // 2)
        small = [
            cv2.resize(im, half, interpolation=cv2.INTER_AREA)
            for im in (healthy, severe)
        ]
        diff = np.abs(small[1].astype(int) - small[0])
        for f in findings:
            if f['kind'] == 'osteophyte' and f['severity'] > 0.7:
                box = diff[f['y1'] // 2:(f['y2'] + 1) // 2,
                           f['x1'] // 2:(f['x2'] + 1) // 2]
                assert box.max() >= 20, f


def test_invalid_arguments_are_rejected(knee):
    with pytest.raises(ValueError, match='grade must be an integer KL grade'):
        knee.render(5, image_rng(0, 0))
    with pytest.raises(TypeError, match='numpy.random.Generator'):
        knee.render(1, 42)
    with pytest.raises(ValueError, match="side must be None, 'L' or 'R'"):
        knee.render(1, image_rng(0, 0), side='left')
    with pytest.raises(ValueError, match='image_size must be an integer'):
        SyntheticKnee(image_size=16)
    with pytest.raises(ValueError, match=r'rotation_deg must be a \(low,'):
        SyntheticKnee(rotation_deg=(5, -5))
    with pytest.raises(ValueError, match='seed must be a non-negative'):
        image_rng(-1, 0)


# ------------------------------------------------------------------ dataset


def test_plan_is_stratified_and_seeded():
    plan = plan_dataset(100, seed=3)
    assert plan == plan_dataset(100, seed=3)
    assert plan != plan_dataset(100, seed=4)
    assert len(plan) == 100
    for split in SPLITS:
        assert {g for s, g in plan if s == split} == set(range(5)), split
    sizes = {s: sum(1 for p in plan if p[0] == s) for s in SPLITS}
    assert 62 <= sizes['train'] <= 76 and 8 <= sizes['val'] <= 14
    grades = np.bincount([g for _, g in plan], minlength=5)
    assert grades[0] == 40 and grades[4] == 3
    with pytest.raises(ValueError, match='num_images must be a positive'):
        plan_dataset(0)
    with pytest.raises(ValueError, match='class_proportions must be 5'):
        plan_dataset(10, class_proportions=(1, 2, 3))


@pytest.fixture(scope='module')
def demo_dir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('demo'))
    summary = make_demo_dataset(
        root, num_images=100, seed=3, image_size=64, show_progress=False)
    return root, summary


def test_dataset_layout_counts_and_findings(demo_dir):
    root, summary = demo_dir
    assert not summary['reused']
    files = png_files(root)
    assert len(files) == 100
    counts = {s: [0] * 5 for s in SPLITS}
    for path in files:
        split, grade, name = path.split('/')
        assert name.startswith('knee_') and len(name) == len('knee_00000.png')
        counts[split][int(grade)] += 1
    assert counts == summary['counts']
    assert all(min(counts[s]) >= 1 for s in SPLITS)
    img = cv2.imread(osp.join(root, files[0]), cv2.IMREAD_UNCHANGED)
    assert img.shape == (64, 64) and img.dtype == np.uint8

    rows = read_findings(root)
    assert {r['image'] for r in rows} == set(files)
    for row in rows:
        split, grade, _ = row['image'].split('/')
        assert (row['split'], row['grade']) == (split, grade)
        assert 0 <= int(row['x1']) < int(row['x2']) <= 64
    landmarks = [r for r in rows if r['kind'] == 'compartment']
    assert len(landmarks) == 2 * len(files)
    assert not [r for r in rows if r['grade'] == '0'
                and r['kind'] != 'compartment']

    with open(osp.join(root, 'meta.json')) as f:
        meta = json.load(f)
    assert meta['arguments']['seed'] == 3
    assert meta['arguments']['generator']['image_size'] == 64
    assert meta['counts'] == counts
    assert not osp.exists(osp.join(root, '.make_demo_dataset.pending.json'))


def test_written_image_depends_only_on_seed_index_and_grade(demo_dir):
    root, _ = demo_dir
    path = png_files(root)[7]
    _, grade, name = path.split('/')
    index = int(name[len('knee_'):-len('.png')])
    expected, _ = SyntheticKnee(image_size=64).render(
        int(grade), image_rng(3, index))
    assert np.array_equal(cv2.imread(osp.join(root, path), 0), expected)


def test_rerun_with_same_arguments_is_a_no_op(demo_dir):
    root, _ = demo_dir
    stamps = {p: os.stat(osp.join(root, p)).st_mtime_ns
              for p in ('meta.json', 'findings.csv', png_files(root)[0])}
    summary = make_demo_dataset(
        root, num_images=100, seed=3, image_size=64, show_progress=False)
    assert summary['reused']
    assert {p: os.stat(osp.join(root, p)).st_mtime_ns
            for p in stamps} == stamps


def test_rerun_with_other_arguments_raises(demo_dir, tmp_path):
    root, _ = demo_dir
    with pytest.raises(FileExistsError,
                       match='different arguments.*seed.*choose another'):
        make_demo_dataset(
            root, num_images=100, seed=4, image_size=64, show_progress=False)
    with pytest.raises(FileExistsError, match='generator.image_size'):
        make_demo_dataset(
            root, num_images=100, seed=3, image_size=72, show_progress=False)
    (tmp_path / 'notes.txt').write_text('unrelated')
    with pytest.raises(FileExistsError, match='not empty.*no meta.json'):
        make_demo_dataset(tmp_path, num_images=10, show_progress=False)


def test_interrupted_run_is_redone(tmp_path, monkeypatch):
    calls = []
    render = SyntheticKnee.render

    def failing_render(self, grade, rng, side=None):
        calls.append(grade)
        if len(calls) == 6:
            raise KeyboardInterrupt
        return render(self, grade, rng, side)

    kwargs = dict(num_images=12, seed=1, image_size=48, show_progress=False)
    monkeypatch.setattr(SyntheticKnee, 'render', failing_render)
    with pytest.raises(KeyboardInterrupt):
        make_demo_dataset(tmp_path / 'a', **kwargs)
    assert not osp.exists(tmp_path / 'a' / 'meta.json')
    with pytest.raises(FileExistsError, match='interrupted.*num_images'):
        make_demo_dataset(tmp_path / 'a', **dict(kwargs, num_images=13))
    monkeypatch.setattr(SyntheticKnee, 'render', render)
    assert not make_demo_dataset(tmp_path / 'a', **kwargs)['reused']
    make_demo_dataset(tmp_path / 'b', **kwargs)
    assert read_findings(tmp_path / 'a') == read_findings(tmp_path / 'b')
    assert png_files(tmp_path / 'a') == png_files(tmp_path / 'b')


def test_command_line_tool(tmp_path, capsys):
    path = osp.join(osp.dirname(__file__), '..', 'tools', 'make_demo_data.py')
    spec = importlib.util.spec_from_file_location('make_demo_data', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'demo')
    tool.main([out, '--num-images', '20', '--seed', '2', '--image-size', '48',
               '--gaze-fraction', '0.2', '--gaze-readers', '2'])
    printed = capsys.readouterr().out
    assert 'KL4' in printed and 'total' in printed
    images = [p for p in png_files(out) if not p.startswith('gaze/')]
    maps = [p for p in png_files(out) if p.startswith('gaze/maps/')]
    assert len(images) == 20
    # one map per image with gaze, mirroring its path; 20% of each split
    assert 1 <= len(maps) <= 6
    assert all(p[len('gaze/maps/'):] in images for p in maps)
    assert osp.isfile(osp.join(out, 'gaze', 'fixations.csv'))
    assert 'simulated gaze' in printed
    with pytest.raises(SystemExit, match='different arguments'):
        tool.main([out, '--num-images', '21', '--image-size', '48'])
