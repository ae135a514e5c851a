import csv
import importlib.util
import json
import os.path as osp
from collections import namedtuple

import cv2
import mmcv
import numpy as np
import pytest

from conftest import write_tiny_knee_tree
from gca_mm.experiments import (PipelineViews, SurvivalCounter,
                                attention_summary, build_pipeline,
                                compared_views, fraction_inside,
                                load_view_configs, pipeline_throughput,
                                speed_ratio, view_statistics)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SIZE = 64
Lesion = namedtuple('Lesion', 'kind box')


def write_configs(folder, data_root, tiny_crop=True):
    """A stock config whose views are deliberately tiny crops (4-8% of the
    image) and its GCA version (normal 25-100% crops, min_attention 0.9)."""
    crop_range = (0.04, 0.08) if tiny_crop else (0.2, 1.0)
    stock = osp.join(folder, 'stock.py')
    with open(stock, 'w') as f:
        f.write(f"""
view = [dict(type='RandomResizedCrop', scale=32,
             crop_ratio_range={crop_range}),
        dict(type='RandomFlip', prob=0.5)]
train_dataloader = dict(
    batch_size=2,
    dataset=dict(type='KneeXrayDataset', data_root={data_root!r},
                 split='train', with_label=False,
                 pipeline=[dict(type='LoadXrayFromFile'),
                           dict(type='MultiView', num_views=[1, 1],
                                transforms=[view, view]),
                           dict(type='PackInputs')]))
""")
    gca = osp.join(folder, 'gca.py')
    with open(gca, 'w') as f:
        f.write(f"""_base_ = ['./stock.py']
runner_type = 'GCARunner'
gca = dict(gaze_map_root={osp.join(data_root, 'maps')!r}, min_attention=0.9,
           crop_ratio_range=(0.25, 1.0))
""")
    return stock, gca


def write_findings(root):
    """One landmark and two osteophytes per train image: one on the blob
    the attention map peaks on, one in the top-left corner."""
    rows = []
    for grade in range(5):
        for i in range(2):
            cx, cy = int(SIZE * (0.2 + 0.15 * grade)), SIZE // 2
            image = f'train/{grade}/knee_{i:03d}.png'
            base = dict(image=image, split='train', grade=grade, side='L',
                        severity=0.5)
            rows += [
                dict(base, kind='compartment', compartment='medial', x=cx,
                     y=cy, x1=cx - 8, y1=cy - 8, x2=cx + 8, y2=cy + 8,
                     severity=0.0),
                dict(base, kind='osteophyte', compartment='medial', x=cx,
                     y=cy, x1=cx - 3, y1=cy - 3, x2=cx + 3, y2=cy + 3),
                dict(base, kind='sclerosis', compartment='lateral', x=3,
                     y=3, x1=0, y1=0, x2=6, y2=6),
            ]
    with open(osp.join(root, 'findings.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('views_tree'))
    write_tiny_knee_tree(root, splits=('train', ), size=SIZE)
    write_findings(root)
    stock, gca = write_configs(root, root)
    return dict(root=root, stock=stock, gca=gca)


@pytest.fixture(scope='module')
def report(tree):
    return view_statistics(tree['stock'], tree['gca'], num_images=None,
                           views_per_image=6, seed=3,
                           throughput_images=2, throughput_rounds=1)


def test_gca_keeps_min_attention_where_tiny_stock_crops_lose_it(report):
    stock, gca = (report['attention_kept'][n] for n in ('stock', 'gca'))
    assert stock['views'] == gca['views'] == 10 * 6
    # a crop of 25-100% of the image can keep 90% of every blob
    assert gca['fraction_at_least'] == 1.0 and gca['p5'] >= 0.9
    assert stock['mean'] < 0.7 and stock['fraction_at_least'] < 0.2
    assert stock['p95'] < gca['p5']
    area = report['crop_area']
    assert area['stock']['p95'] <= 0.09 and area['gca']['p5'] >= 0.2
    tries = report['gca_crop_tries']
    assert tries['views'] == 60 and tries['qualified'] == 1.0
    assert 1 <= tries['p50'] <= tries['p95'] <= 200


def test_finding_survival_report(report):
    stock, gca = (report['finding_survival'][n] for n in ('stock', 'gca'))
    # landmarks are not findings; both lesions of every image are counted
    assert set(gca['by_kind']) == {'osteophyte', 'sclerosis'}
    assert gca['by_kind']['osteophyte']['views'] == 60
    assert set(gca['by_kind_grade']['osteophyte']) == {'0', '1', '2', '3',
                                                       '4'}
    assert gca['all_findings_kept']['views'] == 60
    # the blob's core survives every crop keeping 90% of the blob's mass
    assert gca['by_kind']['osteophyte']['rate'] == 1.0
    assert stock['by_kind']['osteophyte']['rate'] < 0.5
    for name in ('stock', 'gca'):
        s = report['finding_survival'][name]
        assert s['all_findings_kept']['rate'] <= min(
            r['rate'] for r in s['by_kind'].values())


def test_report_is_deterministic_and_json_ready(tree, report):
    again = view_statistics(tree['stock'], tree['gca'], num_images=None,
                            views_per_image=6, seed=3)
    assert again['attention_kept'] == report['attention_kept']
    assert again['finding_survival'] == report['finding_survival']
    other = view_statistics(tree['stock'], tree['gca'], num_images=4,
                            views_per_image=2, seed=4, findings=None)
    assert other['attention_kept']['gca']['views'] == 8
    assert 'finding_survival' not in other and 'throughput' not in other
    json.dumps(report)


def test_throughput_in_report_times_both_full_training_pipelines(report):
    tp = report['throughput']
    assert tp['images'] == 2 and tp['rounds'] == 1
    # the GCA pipeline as GCARunner builds it: the map is loaded, and the
    # views (all steps of MultiView) are timed in both pipelines
    assert list(tp['step_us']['gca']) == [
        'LoadXrayFromFile', 'LoadGazeMap', 'MultiView', 'PackInputs']
    assert 'LoadGazeMap' not in tp['step_us']['stock']
    assert tp['machine']['cpu_count'] >= 1


def test_speed_ratio_says_which_pipeline_is_faster(monkeypatch):
    """With a clock that a slow pipeline advances three times as much,
    gca/stock is exactly 1/3 (not 3), in total and per round."""
    from gca_mm.experiments import throughput

    now = [0.0]

    def step(cost):
        def run(results):
            now[0] += cost
            return results
        return run

    monkeypatch.setattr(throughput.time, 'perf_counter', lambda: now[0])
    result = pipeline_throughput(dict(stock=step(1.0), gca=step(3.0)),
                                 [dict(img_path='a'), dict(img_path='b')],
                                 rounds=4, warmup=1)
    assert result['images_per_s'] == dict(stock=1.0, gca=1 / 3)
    assert speed_ratio(result, 'gca', 'stock') == dict(
        ratio=pytest.approx(1 / 3), round_ratio_median=pytest.approx(1 / 3))


def test_fraction_inside_hand_made_boxes():
    crop = (10, 10, 30, 30)
    assert fraction_inside((12, 12, 20, 20), crop) == 1.0  # fully inside
    assert fraction_inside((26, 12, 34, 20), crop) == 0.5  # half inside
    assert fraction_inside((0, 0, 8, 8), crop) == 0.0  # outside
    assert fraction_inside((0, 10, 10, 20), crop) == 0.0  # only touches
    assert fraction_inside((5, 5, 15, 15), crop) == 0.25  # a corner
    with pytest.raises(ValueError, match='has no area'):
        fraction_inside((5, 5, 5, 9), crop)


def test_survival_counter_hand_made_case():
    counter = SurvivalCounter(0.5)
    inside = Lesion('osteophyte', (12, 12, 20, 20))
    half = Lesion('jsn', (26, 12, 34, 20))
    outside = Lesion('osteophyte', (0, 0, 8, 8))
    kept = counter.add((10, 10, 30, 30), [inside, half, outside], grade=3)
    assert kept == [True, True, False]
    assert counter.add((0, 0, 9, 9), [outside], grade=2) == [True]
    counter.add((0, 0, 9, 9), [], grade=0)  # no findings: not counted
    s = counter.summary()
    assert s['by_kind']['osteophyte'] == dict(rate=2 / 3, kept=2, views=3)
    assert s['by_kind']['jsn'] == dict(rate=1.0, kept=1, views=1)
    assert s['by_kind_grade']['osteophyte'] == {
        '2': dict(rate=1.0, kept=1, views=1),
        '3': dict(rate=0.5, kept=1, views=2)}
    assert s['all_findings_kept'] == dict(rate=0.5, kept=1, views=2)
    strict = SurvivalCounter(0.6)
    assert strict.add((10, 10, 30, 30), [half], grade=1) == [False]
    with pytest.raises(ValueError, match='min_fraction'):
        SurvivalCounter(0)


def test_attention_summary_values():
    s = attention_summary([0.5, 0.9, 1.0, 0.2], threshold=0.9)
    assert s['views'] == 4 and s['mean'] == pytest.approx(0.65)
    assert s['fraction_at_least'] == 0.5 and s['p50'] == pytest.approx(0.7)
    assert sum(s['histogram']) == 4
    with pytest.raises(ValueError, match='at least one value'):
        attention_summary([])


def test_stock_crop_box_is_the_crop_that_was_applied(tree):
    pipeline = [
        dict(type='LoadXrayFromFile'),
        dict(type='MultiView', num_views=2,
             transforms=[[dict(type='RandomResizedCrop', scale=(20, 16),
                               crop_ratio_range=(0.1, 0.6))]]),
    ]
    views = PipelineViews(pipeline, dict(type='LoadGazeMap'))
    _, dataset, _ = compared_views(tree['stock'], tree['gca'])
    results = views.load(dataset.get_data_info(3))
    np.random.seed(0)
    for k in range(6):
        view = views.view(results, k)
        x1, y1, x2, y2 = view.crop_bbox
        expected = mmcv.imresize(results['img'][y1:y2, x1:x2], (16, 20))
        np.testing.assert_array_equal(view.img, expected)
        m = results['gaze_map'].astype(np.float64)
        assert view.attention == pytest.approx(m[y1:y2, x1:x2].sum() /
                                               m.sum())
        assert view.gca_params is None and view.pipeline == 0


def test_gca_view_box_and_attention_come_from_gca_params(tree):
    _, dataset, views = compared_views(tree['stock'], tree['gca'])
    results = views['gca'].load(dataset.get_data_info(0))
    np.random.seed(1)
    for k in range(4):
        view = views['gca'].view(results, k)
        assert view.pipeline == k % 2
        assert view.crop_bbox == view.gca_params['crop_bbox']
        assert view.attention == pytest.approx(
            view.gca_params['crop_attention'])
        assert view.img.shape == (32, 32, 3)


def test_view_pipelines_must_begin_with_a_known_crop():
    pipeline = [dict(type='LoadXrayFromFile'),
                dict(type='MultiView', num_views=1,
                     transforms=[[dict(type='RandomFlip', prob=0.5)]])]
    with pytest.raises(ValueError, match='begins with RandomFlip'):
        PipelineViews(pipeline)
    with pytest.raises(ValueError, match='exactly one MultiView'):
        PipelineViews([dict(type='LoadXrayFromFile')])


def test_load_view_configs_overrides(tree, tmp_path):
    stock, gca = load_view_configs(tree['stock'], tree['gca'],
                                   data_root=str(tmp_path),
                                   gaze_map_root='elsewhere', split='val')
    for cfg in (stock, gca):
        assert cfg.train_dataloader.dataset.data_root == str(tmp_path)
        assert cfg.train_dataloader.dataset.split == 'val'
    assert gca.train_dataloader.dataset.gaze_map_root == 'elsewhere'
    types = [t['type'] for t in gca.train_dataloader.dataset.pipeline]
    assert types == ['LoadXrayFromFile', 'LoadGazeMap', 'MultiView',
                     'PackInputs']


def test_missing_findings_row_is_named(tree, tmp_path):
    findings = tmp_path / 'findings.csv'
    with open(osp.join(tree['root'], 'findings.csv')) as f:
        lines = [line for line in f if 'train/4/knee_001' not in line]
    findings.write_text(''.join(lines))
    with pytest.raises(KeyError, match='train/4/knee_001.png'):
        view_statistics(tree['stock'], tree['gca'], num_images=None,
                        views_per_image=1, findings=str(findings))


def test_pipeline_throughput_on_real_pipelines(tree):
    stock, gca = load_view_configs(tree['stock'], tree['gca'])
    _, dataset, _ = compared_views(stock, gca)
    infos = [dataset.get_data_info(i) for i in range(3)]
    threads = cv2.getNumThreads()
    result = pipeline_throughput(
        dict(stock=build_pipeline(stock.train_dataloader.dataset.pipeline),
             gca=build_pipeline(gca.train_dataloader.dataset.pipeline)),
        infos, rounds=2, warmup=0)
    assert cv2.getNumThreads() == threads  # restored
    assert result['images'] == 3 and result['rounds'] == 2
    for name in ('stock', 'gca'):
        assert result['images_per_s'][name] > 0
        assert len(result['round_images_per_s'][name]) == 2
        steps = result['step_us'][name]
        assert all(t > 0 for t in steps.values())
        assert sum(steps.values()) <= 1e6 / result['images_per_s'][name]
    assert list(result['step_us']['gca']) == [
        'LoadXrayFromFile', 'LoadGazeMap', 'MultiView', 'PackInputs']
    assert 'LoadGazeMap' not in result['step_us']['stock']


def test_pipeline_throughput_of_plain_callables_and_numbered_steps():
    class Twice:
        transforms = [lambda r: dict(r, a=1), lambda r: dict(r, b=2)]

    result = pipeline_throughput(dict(f=lambda info: info, c=Twice()),
                                 [dict(x=1)] * 3, rounds=3, warmup=0)
    assert set(result['step_us']) == {'c'}  # steps only of a Compose
    assert list(result['step_us']['c']) == ['function', 'function#2']
    assert result['seconds']['f'] > 0 and result['images'] == 3


def test_pipeline_throughput_errors():
    with pytest.raises(ValueError, match='returned None'):
        pipeline_throughput(dict(bad=lambda info: None), [dict(img_path='x')],
                            rounds=1, warmup=0)
    with pytest.raises(ValueError, match='at least one data info'):
        pipeline_throughput(dict(a=lambda info: info), [], rounds=1)
    with pytest.raises(ValueError, match='rounds must be'):
        pipeline_throughput(dict(a=lambda info: info), [{}], rounds=0)


def load_tool(name, path):
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_view_stats_tool_end_to_end(tree, tmp_path, capsys):
    tool = load_tool('view_stats_tool', 'tools/analysis/view_stats.py')
    out, plot = tmp_path / 'report.json', tmp_path / 'hist.png'
    tool.main(['--stock', tree['stock'], '--gca', tree['gca'],
               '--data-root', tree['root'], '--gaze-map-root',
               osp.join(tree['root'], 'maps'), '--num-images', '4',
               '--views-per-image', '2', '--throughput-images', '2',
               '--throughput-rounds', '1', '--out', str(out), '--plot',
               str(plot)])
    printed = capsys.readouterr().out
    assert 'Attention kept per view' in printed and 'gca/stock' in printed
    report = json.loads(out.read_text())
    assert report['settings']['images'] == 4
    assert report['attention_kept']['gca']['views'] == 8
    assert 'osteophyte' in report['finding_survival']['gca']['by_kind']
    assert cv2.imread(str(plot)) is not None
