"""The benchmark's controls: the matched crop area, the control maps (the
oracle from finding boxes), the label-fraction subsets, the finding probes
and the arm configs."""
import csv
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from gca_mm.experiments.benchmark import (ARMS, Budget, control_map_root,
                                          pretrain_config,
                                          write_pretrain_config)
from gca_mm.experiments.control_maps import (finding_box_map, oracle_boxes,
                                             write_control_maps)
from gca_mm.experiments.crop_area import mean_crop_area, matched_crop_range
from gca_mm.experiments.finding_probe import binary_probe, finding_labels
from gca_mm.experiments.label_subsets import (read_label_subset,
                                              stratified_subsets,
                                              subset_path,
                                              write_label_subsets)
from gca_mm.gaze import load_findings
from gca_mm.gaze.heatmap import load_heatmap
from gca_mm.utils import walk_pipeline
from runner_utils import REPO

CONFIGS = osp.join(REPO, 'configs')


# ---------------------------------------------------------------- crop area
def test_mean_crop_area_of_mmpretrain_crops():
    full = mean_crop_area((1.0, 1.0), num_crops=200)
    assert full == pytest.approx(1.0, abs=0.02)
    low = mean_crop_area((0.08, 1.0), num_crops=2000)
    # uniform area in [0.08, 1] has mean 0.54; boxes that do not fit are
    # redrawn, which favours small ones: below the middle of the range
    assert 0.42 < low < 0.54
    assert mean_crop_area((0.5, 1.0), num_crops=2000) > low


def test_matched_crop_range_reaches_the_target_area():
    low, high = matched_crop_range(0.775, num_crops=1000)
    assert high == 1.0 and 0.5 < low < 0.8
    assert mean_crop_area((low, high), num_crops=1000) == pytest.approx(
        0.775, abs=0.01)
    with pytest.raises(ValueError, match='out of reach'):
        matched_crop_range(0.9, upper=0.6, num_crops=200)
    with pytest.raises(ValueError, match=r'target_area must be in \(0, 1\]'):
        matched_crop_range(1.5)


# -------------------------------------------------------------- control maps
def test_finding_box_map_peaks_on_the_heaviest_box():
    heat = finding_box_map([(10, 10, 20, 20), (40, 30, 60, 50)], (64, 80),
                           weights=[0.2, 1.0])
    assert heat.shape == (64, 80) and heat.max() == pytest.approx(1.0)
    y, x = np.unravel_index(heat.argmax(), heat.shape)
    assert 40 <= x < 60 and 30 <= y < 50
    assert heat[15, 15] > 0.1  # the lighter box is there too
    with pytest.raises(ValueError, match='at least one box'):
        finding_box_map([], (8, 8))
    with pytest.raises(ValueError, match='x2 > x1'):
        finding_box_map([(5, 5, 5, 9)], (8, 8))


def _write_findings(root, images):
    """A findings table: every image has two landmarks; grades >= 1 get a
    medial osteophyte, grades >= 2 a lateral JSN."""
    rows = []
    for rel in images:
        grade = int(rel.split('/')[1])
        base = dict(image=rel, split=rel.split('/')[0], grade=grade, side='L',
                    x=0, y=0)
        rows.append(dict(base, kind='compartment', compartment='medial',
                         x1=4, y1=24, x2=28, y2=40, severity=0.0))
        rows.append(dict(base, kind='compartment', compartment='lateral',
                         x1=36, y1=24, x2=60, y2=40, severity=0.0))
        if grade >= 1:
            rows.append(dict(base, kind='osteophyte', compartment='medial',
                             x1=2, y1=28, x2=8, y2=34, severity=0.5))
        if grade >= 2:
            rows.append(dict(base, kind='jsn', compartment='lateral',
                             x1=40, y1=30, x2=56, y2=36, severity=0.8))
    path = osp.join(root, 'findings.csv')
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, ['image', 'split', 'grade', 'side', 'kind',
                                    'compartment', 'x', 'y', 'x1', 'y1', 'x2',
                                    'y2', 'severity'])
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture()
def knee_with_findings(tmp_path):
    from conftest import write_tiny_knee_tree
    root = str(tmp_path / 'data')
    paths = write_tiny_knee_tree(root, per_grade=2, map_dir='gaze/maps')
    images = [osp.relpath(p, root).replace(osp.sep, '/') for p in paths]
    _write_findings(root, images)
    return root, images


def test_oracle_boxes_use_lesions_else_the_joint(knee_with_findings):
    root, images = knee_with_findings
    table = load_findings(osp.join(root, 'findings.csv'))
    boxes, weights = oracle_boxes(table['train/3/knee_000.png'])
    assert sorted(weights) == [0.5, 0.8] and len(boxes) == 2  # by severity
    boxes, weights = oracle_boxes(table['train/0/knee_000.png'])
    assert weights == [1.0, 1.0]  # KL0: the two compartment landmarks
    assert sorted(boxes) == [(4, 24, 28, 40), (36, 24, 60, 40)]


def test_control_maps_cover_every_image(knee_with_findings):
    root, images = knee_with_findings
    for kind in ('centre', 'mean', 'oracle'):
        out = control_map_root(root, 'gca-' + kind)
        summary = write_control_maps(kind, root, out)
        assert summary['written'] == len(images) and summary['skipped'] == 0
        for rel in images:
            heat = load_heatmap(osp.join(out, rel))
            assert heat.shape == (64, 64)
            assert heat.max() == pytest.approx(1.0, abs=1e-4)
        again = write_control_maps(kind, root, out)
        assert again == dict(summary, written=0, skipped=len(images))
    centre = load_heatmap(osp.join(root, 'control_maps', 'centre',
                                   images[0]))
    assert np.allclose(centre, centre[::-1, ::-1], atol=1e-4)
    # the oracle of a KL3 knee peaks on its heaviest lesion (lateral JSN)
    oracle = load_heatmap(osp.join(root, 'control_maps', 'oracle',
                                   'train/3/knee_000.png'))
    y, x = np.unravel_index(oracle.argmax(), oracle.shape)
    assert 40 <= x < 56 and 30 <= y < 36
    # the mean map is the same for every image
    mean = [load_heatmap(osp.join(root, 'control_maps', 'mean', rel))
            for rel in images[:3]]
    assert np.array_equal(mean[0], mean[2])


def test_oracle_needs_a_row_for_every_image(knee_with_findings):
    root, images = knee_with_findings
    path = osp.join(root, 'findings.csv')
    lines = open(path).read().splitlines()
    with open(path, 'w') as f:
        f.write('\n'.join(l for l in lines if 'test/4/knee_001' not in l))
    with pytest.raises(ValueError, match="no row for image 'test/4/knee_001"):
        write_control_maps('oracle', root, str(root) + '/oracle')


# ------------------------------------------------------------ label fractions
def test_stratified_subsets_keep_proportions_and_nest():
    labels = np.repeat([0, 1, 2, 3, 4], [400, 200, 250, 120, 30])
    subsets = stratified_subsets(labels, (1, 10, 20, 100), seed=0)
    assert len(subsets[100]) == labels.size
    for pct, idx in subsets.items():
        counts = np.bincount(labels[idx], minlength=5)
        expected = np.maximum(1, np.round(pct / 100 *
                                          np.bincount(labels)))
        assert counts.tolist() == expected.tolist()
    assert set(subsets[1]) <= set(subsets[10]) <= set(subsets[20])
    again = stratified_subsets(labels, (1, 10, 20, 100), seed=0)
    assert all(np.array_equal(again[p], subsets[p]) for p in subsets)
    other = stratified_subsets(labels, (10, ), seed=1)
    assert not np.array_equal(other[10], subsets[10])
    with pytest.raises(ValueError, match=r'percentages in \(0, 100\]'):
        stratified_subsets(labels, (0, ))


def test_label_subset_files_are_fixed_beside_the_data(knee_with_findings):
    root, images = knee_with_findings
    files = write_label_subsets(root, (20, 50, 100))
    assert files[50] == subset_path(root, 50)
    half = read_label_subset(files[50])
    assert len(half) == 5  # 1 of the 2 images of each grade
    assert sorted(int(p.split('/')[1]) for p in half) == [0, 1, 2, 3, 4]
    mtime = os.path.getmtime(files[50])
    assert write_label_subsets(root, (20, 50, 100)) == files
    assert os.path.getmtime(files[50]) == mtime  # unchanged: not rewritten
    # the files are annotation CSVs the dataset reads
    from gca_mm.datasets import KneeXrayDataset
    ds = KneeXrayDataset(root, ann_file=files[50])
    assert sorted(ds.get_gt_labels().tolist()) == [0, 1, 2, 3, 4]


# ----------------------------------------------------------- finding probes
def test_finding_labels_and_probe(knee_with_findings):
    root, images = knee_with_findings
    labels = finding_labels(osp.join(root, 'findings.csv'), images)
    grades = np.asarray([int(p.split('/')[1]) for p in images])
    assert labels['any_osteophyte'].tolist() == (grades >= 1).tolist()
    assert labels['lateral_jsn'].tolist() == (grades >= 2).tolist()
    assert labels['medial_jsn'].sum() == 0
    with pytest.raises(ValueError, match="no row for image 'nope.png'"):
        finding_labels(osp.join(root, 'findings.csv'), ['nope.png'])

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 600)
    x = rng.normal(size=(600, 8)).astype(np.float32)
    x[:, 0] += 2.0 * y  # one informative feature
    r = binary_probe(x[:300], y[:300], x[300:450], y[300:450], x[450:],
                     y[450:])
    assert r['auc'] > 0.85 and r['C'] is not None
    noise = binary_probe(x[:300, 1:], y[:300], x[300:450, 1:], y[300:450],
                         x[450:, 1:], y[450:])
    assert abs(noise['auc'] - 0.5) < 0.12
    one_class = binary_probe(x[:10], np.zeros(10), x[:10], y[:10], x[:10],
                             y[:10])
    assert one_class['auc'] is None and 'one class' in one_class['note']


# ---------------------------------------------------------------- arm configs
def test_every_arm_of_byol_has_a_config():
    for arm in ARMS:
        if arm == 'stock-tuned':
            continue  # to be chosen on val (docs/benchmark_protocol.md)
        cfg = Config.fromfile(pretrain_config('byol', arm, CONFIGS))
        assert cfg.model.type == 'BYOL', arm
        assert (cfg.get('runner_type') == 'GCARunner') == \
            arm.startswith('gca'), arm
    for algo in ('simclr', 'mocov3'):
        for arm in ('stock', 'stock-matched', 'gca', 'gca-centre',
                    'gca-mean', 'gca-oracle'):
            assert osp.isfile(pretrain_config(algo, arm, CONFIGS))
    for arm in ('gca-crop-only', 'gca-erase-only', 'gca-dim-only'):
        ablation = Config.fromfile(pretrain_config('mocov3', arm, CONFIGS))
        assert ablation.model.type == 'MoCoV3', arm
        on = arm[len('gca-'):-len('-only')]
        assert {k for k, v in ablation.gca.items()
                if k.endswith('_prob') and v == 0} == \
            {f'{op}_prob' for op in ('crop', 'erase', 'dim') if op != on}
    for algo in ('mocov3', 'byol'):  # leave-one-out: one operator off
        for arm, off in (('gca-no-erase', 'erase'), ('gca-no-dim', 'dim')):
            cfg = Config.fromfile(pretrain_config(algo, arm, CONFIGS))
            assert {k for k, v in cfg.gca.items()
                    if k.endswith('_prob') and v == 0} == {f'{off}_prob'}
    with pytest.raises(ValueError, match="arm 'gca-dim-only' has no config "
                       'for simclr'):
        pretrain_config('simclr', 'gca-dim-only', CONFIGS)


def _crops(cfg):
    return [t for _, t in walk_pipeline(cfg.train_dataloader.dataset.pipeline,
                                        'p')
            if t['type'] == 'RandomResizedCrop']


def test_arm_configs_change_only_what_they_say():
    stock = Config.fromfile(pretrain_config('byol', 'stock', CONFIGS))
    matched = Config.fromfile(pretrain_config('byol', 'stock-matched',
                                              CONFIGS))
    assert [c.get('crop_ratio_range', (0.08, 1.0)) for c in _crops(stock)] \
        == [(0.08, 1.0)] * 2
    assert [c['crop_ratio_range'] for c in _crops(matched)] == \
        [matched.matched_crop_ratio_range] * 2
    assert 'set_crop_range' not in matched  # the imported helper
    gca = Config.fromfile(pretrain_config('byol', 'gca', CONFIGS))
    oracle = Config.fromfile(pretrain_config('byol', 'gca-oracle', CONFIGS))
    assert oracle.gca.gaze_map_root == 'data/demo/control_maps/oracle'
    assert {k: v for k, v in oracle.gca.items() if k != 'gaze_map_root'} == \
        {k: v for k, v in gca.gca.items() if k != 'gaze_map_root'}
    crop_only = Config.fromfile(pretrain_config('byol', 'gca-crop-only',
                                                CONFIGS))
    assert crop_only.gca.erase_prob == 0 and crop_only.gca.dim_prob == 0
    assert 'crop_prob' not in crop_only.gca


def test_cell_configs_point_at_the_benchmark_data(tmp_path):
    budget = Budget(epochs=4, img_size=32, batch_size=8, amp=False,
                    curve_every=0)
    path = write_pretrain_config('byol', 'gca-oracle', 0, budget, 'data/x',
                                 str(tmp_path), CONFIGS,
                                 gaze_map_root='data/x/predicted')
    assert Config.fromfile(path).gca.gaze_map_root == \
        osp.join('data/x', 'control_maps', 'oracle')
    path = write_pretrain_config('byol', 'gca-erase-only', 0, budget,
                                 'data/x', str(tmp_path), CONFIGS,
                                 gaze_map_root='data/x/predicted')
    assert Config.fromfile(path).gca.gaze_map_root == 'data/x/predicted'
    path = write_pretrain_config('byol', 'stock-matched', 0, budget, 'data/x',
                                 str(tmp_path), CONFIGS,
                                 crop_ratio_range=(0.6, 1.0))
    assert [c['crop_ratio_range'] for c in _crops(Config.fromfile(path))] \
        == [(0.6, 1.0)] * 2


def test_cell_configs_checkpoint_to_resume(tmp_path):
    """Without a learning curve a cell still writes a checkpoint every
    RESUME_EVERY epochs (the latest kept), so an interrupted pre-training
    resumes near where it stopped; with a curve, every curve checkpoint is
    kept to be probed."""
    from gca_mm.experiments.benchmark import RESUME_EVERY
    plain = Budget(epochs=90, img_size=32, batch_size=8, amp=False,
                   curve_every=0)
    ckpt = Config.fromfile(write_pretrain_config(
        'mocov3', 'stock', 0, plain, 'data/x', str(tmp_path),
        CONFIGS)).default_hooks.checkpoint
    assert (ckpt.interval, ckpt.max_keep_ckpts) == (RESUME_EVERY, 1)
    assert ckpt.get('save_last', True)  # the final epoch's, always
    short = Budget(epochs=4, img_size=32, batch_size=8, amp=False,
                   curve_every=0)
    ckpt = Config.fromfile(write_pretrain_config(
        'mocov3', 'stock', 0, short, 'data/x', str(tmp_path),
        CONFIGS)).default_hooks.checkpoint
    assert ckpt.interval == 4
    curve = Budget(epochs=90, img_size=32, batch_size=8, amp=False,
                   curve_every=30)
    ckpt = Config.fromfile(write_pretrain_config(
        'mocov3', 'stock', 0, curve, 'data/x', str(tmp_path),
        CONFIGS)).default_hooks.checkpoint
    assert (ckpt.interval, ckpt.max_keep_ckpts) == (30, -1)


def test_presets_name_existing_arms():
    from gca_mm.experiments.presets import preset_cells
    cells = preset_cells('cpu')
    assert sorted({s for _, _, s in cells}) == [0, 1, 2]
    arms = {}
    for algo, arm, seed in cells:
        if seed == 0:
            arms.setdefault(algo, []).append(arm)
    assert sorted(arms['byol']) == sorted(ARMS)  # every arm, the ablation
    # BYOL's leave-one-out cells run after its seven arms and its
    # one-operator ablation, at every seed
    byol = [arm for a, arm, _ in cells if a == 'byol']
    loo = [i for i, arm in enumerate(byol) if arm.startswith('gca-no-')]
    assert loo == list(range(len(byol) - 6, len(byol)))
    assert sorted(arms['mocov3']) == sorted(ARMS)  # the one that learns
    assert arms['simclr'] == ['stock', 'gca', 'stock-matched', 'gca-oracle',
                              'gca-centre', 'gca-mean', 'stock-tuned']
    assert preset_cells('quick') == [('simclr', 'stock', 0),
                                     ('simclr', 'gca', 0)]
    missing = sorted({(a, arm) for a, arm, _ in cells
                      if not osp.isfile(osp.join(
                          CONFIGS, 'benchmark',
                          f"{a}_{arm.replace('-', '_')}_knee.py"))
                      and arm not in ('stock', 'gca')})
    # only `stock-tuned` may lack its config (left out with a warning until
    # its search on val writes it); every other arm's must exist
    assert all(arm == 'stock-tuned' for _, arm in missing), missing
    with pytest.raises(ValueError, match='unknown preset'):
        preset_cells('huge')
