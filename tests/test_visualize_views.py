import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest

from gca_mm.experiments import (View, draw_views, figure_size, save_figure,
                                visualize_views)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='module')
def configs(tmp_path_factory, tiny_knee_root):
    folder = tmp_path_factory.mktemp('view_configs')
    stock = folder / 'stock.py'
    stock.write_text(f"""
view = [dict(type='RandomResizedCrop', scale=24, crop_ratio_range=(0.2, 1.)),
        dict(type='RandomApply', prob=0.8,
             transforms=[dict(type='ColorJitter', brightness=0.4,
                              contrast=0.4)]),
        dict(type='RandomFlip', prob=0.5)]
train_dataloader = dict(
    batch_size=2,
    dataset=dict(type='KneeXrayDataset', data_root={tiny_knee_root!r},
                 split='train', with_label=False,
                 pipeline=[dict(type='LoadXrayFromFile'),
                           dict(type='MultiView', num_views=2,
                                transforms=[view]),
                           dict(type='PackInputs')]))
""")
    gca = folder / 'gca.py'
    gca.write_text(f"""_base_ = ['./stock.py']
runner_type = 'GCARunner'
gca = dict(gaze_map_root={osp.join(tiny_knee_root, 'maps')!r},
           rotate_prob=0.5, dim_prob=0.5)
""")
    return str(stock), str(gca)


def test_figure_size():
    assert figure_size(4, 100) == (400, 480)
    assert figure_size(2, 100) == (400, 480)  # at least 4 panels wide
    assert figure_size(6, 50) == (300, 240)


@pytest.mark.parametrize('num_views', [3, 5])
def test_visualize_views_writes_png_of_expected_size(configs, tmp_path,
                                                     num_views):
    out = tmp_path / 'sub' / 'views.png'
    fig = visualize_views(*configs, image=2, num_views=num_views, seed=1,
                          out=str(out), panel_px=60)
    img = cv2.imread(str(out))
    width, height = figure_size(num_views, 60)
    assert img.shape == (height, width, 3)
    assert img.std() > 10  # something was drawn
    axes_titles = [ax.get_title() for ax in fig.axes]
    assert sum(t.startswith('stock ') for t in axes_titles) == num_views
    assert sum(t.startswith('GCA ') for t in axes_titles) == num_views
    assert all('kept ' in t for t in axes_titles[2:])


def test_visualize_views_is_deterministic(configs, tmp_path):
    paths = [tmp_path / f'{i}.png' for i in range(2)]
    for path in paths:
        visualize_views(*configs, image=0, num_views=2, seed=5,
                        out=str(path), panel_px=40)
    np.testing.assert_array_equal(cv2.imread(str(paths[0])),
                                  cv2.imread(str(paths[1])))


def test_image_by_path_and_errors(configs, tiny_knee_root):
    fig = visualize_views(*configs, image='train/1/knee_000.png',
                          num_views=1, panel_px=40)
    assert 'train/1/knee_000.png' in fig.get_suptitle()
    with pytest.raises(IndexError, match='image index 99 is outside the 10'):
        visualize_views(*configs, image=99, num_views=1)
    with pytest.raises(ValueError, match='is not one of the 10 images'):
        visualize_views(*configs, image='train/1/nope.png', num_views=1)
    with pytest.raises(ValueError, match='num_views must be'):
        visualize_views(*configs, image=0, num_views=0)


def test_draw_views_checks_rows():
    xray = np.zeros((20, 20), np.uint8)
    gaze = np.ones((20, 20), np.float32)
    view = View(np.zeros((8, 8, 3), np.uint8), (0, 0, 10, 10), 0.25, 0,
                None)
    with pytest.raises(ValueError, match='same positive number of views'):
        draw_views(xray, gaze, dict(stock=[view], gca=[view, view]))
    with pytest.raises(ValueError, match="needs the rows"):
        draw_views(xray, gaze, dict(stock=[view], other=[view]))
    with pytest.raises(ValueError, match='gaze_map has shape'):
        draw_views(xray, gaze[:5], dict(stock=[view], gca=[view]))


def test_save_figure_is_atomic(tmp_path):
    xray = np.zeros((20, 20), np.uint8)
    gaze = np.ones((20, 20), np.float32)
    view = View(np.zeros((8, 8, 3), np.uint8), (0, 0, 10, 10), 0.25, 0,
                None)
    fig = draw_views(xray, gaze, dict(stock=[view], gca=[view]),
                     panel_px=30)
    path = tmp_path / 'fig.png'
    path.write_bytes(b'old')

    class Broken(Exception):
        pass

    def fail(*args, **kwargs):
        raise Broken()

    fig.savefig = fail
    with pytest.raises(Broken):
        save_figure(fig, str(path))
    assert path.read_bytes() == b'old'  # never a partial file
    assert sorted(p.name for p in tmp_path.iterdir()) == ['fig.png']


def test_tool_end_to_end(configs, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'visualize_views_tool', osp.join(ROOT, 'tools/visualize_views.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'views.png'
    tool.main([*configs, '--image', '1', '--num-views', '2', '--panel-px',
               '50', '--seed', '0', '--out', str(out)])
    assert cv2.imread(str(out)).shape == (240, 200, 3)
    assert f'200x240 figure written to {out}' in capsys.readouterr().out
