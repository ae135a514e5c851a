import csv
import os

import cv2
import numpy as np
import pytest

from gca_mm.gaze import (FixationTable, load_findings, load_heatmap,
                         read_generic, reader_profile, simulate_gaze,
                         write_simulated_gaze)

COLUMNS = ('image', 'split', 'grade', 'side', 'kind', 'compartment', 'x', 'y',
           'x1', 'y1', 'x2', 'y2', 'severity')


def box(x, y, half):
    return dict(x=x, y=y, x1=x - half, y1=y - half, x2=x + half, y2=y + half)


def findings_rows(n_train=60, n_val=20):
    """Two compartment landmarks per image; from KL2 an osteophyte whose
    place and severity vary with the image."""
    rows = []
    for i in range(n_train + n_val):
        split = 'train' if i < n_train else 'val'
        grade = i % 5
        base = dict(
            image=f'{split}/{grade}/knee_{i:05d}.png',
            split=split,
            grade=grade,
            side='LR'[i % 2],
            severity=0.0)
        rows.append(
            dict(
                base,
                kind='compartment',
                compartment='medial',
                **box(72, 112, 12)))
        rows.append(
            dict(
                base,
                kind='compartment',
                compartment='lateral',
                **box(152, 112, 12)))
        if grade >= 2:
            rows.append(
                dict(
                    base,
                    kind='osteophyte',
                    compartment='medial',
                    severity=0.25 * grade,
                    **box(40 + i % 3 * 70, 70, 8)))
    return rows


def write_findings(path, rows):
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def same(a, b):
    for col in ('image', 'reader', 'x', 'y', 'duration_ms', 'order'):
        if getattr(a, col).tolist() != getattr(b, col).tolist():
            return False
    return True


def test_deterministic_per_seed_and_independent_of_row_order():
    rows = findings_rows()
    a = simulate_gaze(rows, seed=3)
    assert same(a, simulate_gaze(rows, seed=3))
    shuffled = [
        rows[i] for i in np.random.default_rng(0).permutation(len(rows))
    ]
    assert same(a, simulate_gaze(shuffled, seed=3))
    assert not same(a, simulate_gaze(rows, seed=4))


def test_an_image_is_read_the_same_whatever_else_is_simulated():
    rows = findings_rows()
    full = simulate_gaze(rows, fraction=1.0, seed=5)
    image = full.images()[7]
    alone = simulate_gaze([r for r in rows if r['image'] == image],
                          fraction=1.0,
                          seed=5)
    assert same(full.for_image(image), alone)


def test_fraction_of_images_per_split_and_readers():
    t = simulate_gaze(findings_rows(100, 50), fraction=0.12, readers=4)
    images = t.images()
    assert sum(i.startswith('train/') for i in images) == 12
    assert sum(i.startswith('val/') for i in images) == 6
    assert t.readers() == ['reader0', 'reader1', 'reader2', 'reader3']
    for _, sub in t.group_by_image():
        assert sub.readers() == t.readers()
    t = simulate_gaze(findings_rows(100, 50), fraction=0.3, splits=['val'])
    assert len(t.images()) == 15
    assert all(i.startswith('val/') for i in t.images())


def test_readings_look_like_radiologists():
    t = simulate_gaze(findings_rows(), fraction=1.0)
    counts = [
        len(reading) for _, sub in t.group_by_image()
        for _, reading in sub.group_by_reader()
    ]
    assert min(counts) >= 10 and max(counts) <= 40
    assert 14 <= np.mean(counts) <= 30
    p5, p50, p95 = np.percentile(t.duration_ms, [5, 50, 95])
    assert 200 <= p50 <= 320 and p5 >= 100 and p95 <= 700
    assert (t.x >= 0).all() and (t.x <= 223).all()
    assert (t.y >= 0).all() and (t.y <= 223).all()
    first = []
    for _, sub in t.group_by_image():
        for _, reading in sub.group_by_reader():
            assert sorted(reading.order.tolist()) == list(range(len(reading)))
            first.append(reading.select(reading.order == 0))
    # readings open with a glance near the image centre
    first = FixationTable.concat(first)
    assert np.median(np.hypot(first.x - 111.5, first.y - 111.5)) < 20


def test_more_fixations_for_more_severe_findings():
    t = simulate_gaze(findings_rows(), fraction=1.0)
    per_grade = {
        g:
        np.mean([
            len(sub) for image, sub in t.group_by_image()
            if image.split('/')[1] == str(g)
        ])
        for g in range(5)
    }
    assert per_grade[4] > per_grade[2] > per_grade[0]


def inside_fraction(t, findings, kinds, dilate):
    hits = []
    for image, sub in t.group_by_image():
        boxes = [f.box for f in findings[image].findings if f.kind in kinds]
        inside = np.zeros(len(sub), dtype=bool)
        for x1, y1, x2, y2 in boxes:
            inside |= ((sub.x >= x1 - dilate) & (sub.x < x2 + dilate) &
                       (sub.y >= y1 - dilate) & (sub.y < y2 + dilate))
        hits.append(inside)
    return np.concatenate(hits).mean()


def test_fixations_concentrate_on_findings_and_compartments():
    rows = findings_rows()
    findings = load_findings(rows)
    t = simulate_gaze(rows, fraction=1.0)
    lesion_images = [i for i in t.images() if findings[i].lesions]
    on_lesions = inside_fraction(
        t.select(np.isin(t.image, lesion_images)),
        findings, ('osteophyte', ),
        dilate=8)
    area = (16 + 16)**2 / 224**2  # one dilated 16 px box in a 224 px image
    assert on_lesions > 4 * area
    kl0 = t.select(np.array([i.split('/')[1] == '0' for i in t.image]))
    on_compartments = inside_fraction(kl0, findings, ('compartment', ), 8)
    assert on_compartments > 3 * 2 * (24 + 16)**2 / 224**2


def test_readers_differ_but_keep_their_profile():
    assert reader_profile(0, 1) == reader_profile(0, 1)
    assert reader_profile(0, 1) != reader_profile(0, 2)
    t = simulate_gaze(findings_rows(), fraction=1.0, readers=2)
    a, b = t.for_reader('reader0'), t.for_reader('reader1')
    assert not np.allclose(np.median(a.duration_ms), np.median(b.duration_ms))


@pytest.mark.parametrize('change, match', [
    (dict(kind='cyst'), r"findings rows:3: kind 'cyst'"),
    (dict(grade=7), r'findings rows:3: grade must be an integer 0..4'),
    (dict(severity=1.5), r'severity must be in \[0, 1\]'),
    (dict(x2=0), r'box needs x1 < x2'),
    (dict(split='val'), r'differ from its earlier rows'),
])
def test_bad_findings_rows(change, match):
    rows = findings_rows(3, 0)
    rows[2] = dict(rows[2], **change)
    with pytest.raises(ValueError, match=match):
        simulate_gaze(rows)


def test_findings_csv_errors_and_landmark_check(tmp_path):
    path = str(tmp_path / 'findings.csv')
    rows = findings_rows(3, 0)
    write_findings(path, rows)
    assert same(
        simulate_gaze(path, fraction=1.0), simulate_gaze(rows, fraction=1.0))
    rows[1] = dict(rows[1], x='wide')
    write_findings(path, rows)
    with pytest.raises(ValueError, match=r"findings\.csv:3: column 'x'"):
        load_findings(path)
    with pytest.raises(ValueError, match="no 'compartment' landmark"):
        load_findings([dict(findings_rows(3, 0)[-1], kind='jsn')])


def test_arguments_are_checked():
    rows = findings_rows(3, 0)
    with pytest.raises(ValueError, match='fraction'):
        simulate_gaze(rows, fraction=0)
    with pytest.raises(ValueError, match='readers'):
        simulate_gaze(rows, readers=0)
    with pytest.raises(ValueError, match='seed'):
        simulate_gaze(rows, seed=-1)


def make_demo_folder(root, rows):
    for image in {r['image'] for r in rows}:
        path = root / image
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), np.zeros((224, 224), np.uint8))
    write_findings(str(root / 'findings.csv'), rows)


def map_files(root):
    return sorted(
        os.path.relpath(os.path.join(d, f), root)
        for d, _, files in os.walk(root) for f in files)


def test_write_simulated_gaze_on_a_demo_folder(tmp_path):
    rows = findings_rows(20, 10)
    make_demo_folder(tmp_path, rows)
    info = write_simulated_gaze(str(tmp_path), fraction=0.2, seed=1)
    assert info['n_images'] == 6
    t = read_generic(str(tmp_path / 'gaze' / 'fixations.csv'))
    assert same(t, simulate_gaze(rows, fraction=0.2, seed=1))
    maps_root = tmp_path / 'gaze' / 'maps'
    assert map_files(maps_root) == t.images()
    m = load_heatmap(str(maps_root / t.images()[0]))
    assert m.shape == (224, 224) and m.max() == 1.0
    raw = cv2.imread(str(maps_root / t.images()[0]), cv2.IMREAD_UNCHANGED)
    assert raw.dtype == np.uint16
    # a rerun replaces the maps: none left over from the first seed
    write_simulated_gaze(str(tmp_path), fraction=0.2, seed=2)
    t2 = read_generic(str(tmp_path / 'gaze' / 'fixations.csv'))
    assert t2.images() != t.images()
    assert map_files(maps_root) == t2.images()
    assert sorted(os.listdir(tmp_path / 'gaze')) == ['fixations.csv', 'maps']
