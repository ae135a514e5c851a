import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest

from gca_mm.gaze import (FixationTable, ImageSizes, fixation_sigmas,
                         heatmap_path, load_heatmap, render_density,
                         render_fixation_map, save_heatmap, to_unit_map,
                         write_heatmaps)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def moments(density):
    ys, xs = np.mgrid[:density.shape[0], :density.shape[1]]
    mx, my = (density * xs).sum(), (density * ys).sum()
    sx = np.sqrt((density * (xs - mx)**2).sum())
    sy = np.sqrt((density * (ys - my)**2).sum())
    return mx, my, sx, sy


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_single_fixation_is_a_gaussian_at_the_fixation():
    d = render_density([40.0], [30.0], (64, 80), sigma_x=4.0)
    assert d.shape == (64, 80) and d.dtype == np.float64
    assert d.sum() == pytest.approx(1.0)
    assert np.unravel_index(d.argmax(), d.shape) == (30, 40)
    mx, my, sx, sy = moments(d)
    assert (mx, my) == (pytest.approx(40.0), pytest.approx(30.0))
    assert sx == pytest.approx(4.0, rel=0.03)
    assert sy == pytest.approx(4.0, rel=0.03)


def test_subpixel_position_and_anisotropic_sigma():
    d = render_density([40.5], [30.25], (64, 80), sigma_x=3.0, sigma_y=6.0)
    mx, my, sx, sy = moments(d)
    assert mx == pytest.approx(40.5, abs=0.01)
    assert my == pytest.approx(30.25, abs=0.01)
    # bilinear splatting adds at most a quarter pixel of variance
    assert sx == pytest.approx(np.sqrt(9 + 0.25), rel=0.03)
    assert sy == pytest.approx(np.sqrt(36 + 0.1875), rel=0.03)


def test_border_is_constant_so_the_gaussian_is_truncated_not_mirrored():
    d = render_density([2.0], [20.0], (40, 40), sigma_x=4.0)
    row = d[20]
    assert row.argmax() == 2
    # symmetric about the fixation: no mass folded back from outside
    np.testing.assert_allclose(row[0:2][::-1], row[3:5], rtol=1e-6)
    assert d.sum() == pytest.approx(1.0)


def test_unit_map_has_max_one():
    d = render_density([10, 30], [10, 20], (32, 48), sigma_x=3.0)
    m = to_unit_map(d)
    assert m.dtype == np.float32 and m.max() == 1.0 and m.min() >= 0
    with pytest.raises(ValueError, match='non-negative'):
        to_unit_map(np.zeros((4, 4)))


def test_duration_weighting_shifts_mass_in_proportion():
    table = FixationTable(
        ['a'] * 2, ['r'] * 2, [10.0, 50.0], [16.0, 16.0],
        duration_ms=[100.0, 300.0])
    d = render_fixation_map(
        table, (32, 64), sigma_px=3.0, duration_weighting=True)
    left, right = d[:, :32].sum(), d[:, 32:].sum()
    assert right / left == pytest.approx(3.0, rel=0.01)
    d = render_fixation_map(table, (32, 64), sigma_px=3.0)
    assert d[:, 32:].sum() / d[:, :32].sum() == pytest.approx(1.0, rel=0.01)


def test_duration_weighting_needs_durations():
    table = FixationTable(['a'], ['r'], [5.0], [5.0])
    with pytest.raises(ValueError, match='durations.*image .a.'):
        render_fixation_map(
            table, (16, 16), sigma_px=2.0, duration_weighting=True)


def test_readers_are_normalised_before_averaging():
    x = [10.0] + [50.0] * 9
    table = FixationTable(['a'] * 10, ['quiet'] + ['talkative'] * 9, x,
                          [16.0] * 10)
    d = render_fixation_map(table, (32, 64), sigma_px=3.0)
    assert d.sum() == pytest.approx(1.0)
    assert d[:, :32].sum() == pytest.approx(0.5, abs=0.01)
    pooled = FixationTable(['a'] * 10, ['one'] * 10, x, [16.0] * 10)
    d = render_fixation_map(pooled, (32, 64), sigma_px=3.0)
    assert d[:, :32].sum() == pytest.approx(0.1, abs=0.01)


def test_sigma_in_degrees_is_degrees_times_pixels_per_degree():
    table = FixationTable(
        ['a'] * 2, ['r'] * 2, [12.0, 40.0], [20.0, 20.0],
        ppd_x=[2.0, 6.0],
        ppd_y=[3.0, 6.0])
    sx, sy = fixation_sigmas(table, sigma_deg=1.5)
    np.testing.assert_allclose(sx, [3.0, 9.0])
    np.testing.assert_allclose(sy, [4.5, 9.0])
    d = render_fixation_map(table, (48, 64), sigma_deg=1.5)
    expected = render_density([12.0, 40.0], [20.0, 20.0], (48, 64), [3.0, 9.0],
                              [4.5, 9.0])
    np.testing.assert_allclose(d, expected)
    sx, _ = fixation_sigmas(table, sigma_deg=2.0, ppd=5.0)
    np.testing.assert_allclose(sx, [10.0, 10.0])


def test_sigma_arguments_are_checked():
    table = FixationTable(['a'], ['r'], [5.0], [5.0])
    with pytest.raises(ValueError, match='exactly one'):
        fixation_sigmas(table)
    with pytest.raises(ValueError, match='pixels per degree'):
        fixation_sigmas(table, sigma_deg=1.0)
    with pytest.raises(ValueError, match='sigma_px must be finite and > 0'):
        fixation_sigmas(table, sigma_px=0)


def test_fixation_outside_the_map_is_refused():
    with pytest.raises(ValueError, match='outside the 10x10 map'):
        render_density([10.0], [2.0], (10, 10), sigma_x=2.0)
    # the outer half pixel still belongs to the image
    d = render_density([-0.4], [9.4], (10, 10), sigma_x=1.0)
    assert np.unravel_index(d.argmax(), d.shape) == (9, 0)


def test_render_fixation_map_takes_one_image():
    table = FixationTable(['a', 'b'], ['r', 'r'], [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match='one image'):
        render_fixation_map(table, (8, 8), sigma_px=1.0)


def test_png_round_trip_is_16_bit(tmp_path):
    m = to_unit_map(render_density([20.0], [10.0], (24, 40), sigma_x=5.0))
    path = str(tmp_path / 'm.png')
    save_heatmap(path, m)
    raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert raw.dtype == np.uint16 and raw.max() == 65535
    back = load_heatmap(path)
    assert back.dtype == np.float32 and back.shape == (24, 40)
    assert np.abs(back - m).max() <= 0.5 / 65535 + 1e-7
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        save_heatmap(path, m * 2)


def test_npy_round_trip_and_bad_suffix(tmp_path):
    m = np.random.default_rng(0).random((5, 7)).astype(np.float32)
    save_heatmap(str(tmp_path / 'm.npy'), m)
    np.testing.assert_array_equal(load_heatmap(str(tmp_path / 'm.npy')), m)
    with pytest.raises(ValueError, match='suffix'):
        save_heatmap(str(tmp_path / 'm.jpg'), m)
    rgb = np.zeros((4, 4, 3), np.uint8)
    cv2.imwrite(str(tmp_path / 'rgb.png'), rgb)
    with pytest.raises(ValueError, match='single-channel'):
        load_heatmap(str(tmp_path / 'rgb.png'))


def test_heatmap_path_mirrors_the_image_tree():
    assert heatmap_path('out', 'train/2/knee_00012.png') == osp.join(
        'out', 'train', '2', 'knee_00012.png')
    assert heatmap_path('out', 'a/b.jpg',
                        '.npy') == osp.join('out', 'a', 'b.npy')
    with pytest.raises(ValueError, match='relative path'):
        heatmap_path('out', '../escape.png')
    with pytest.raises(ValueError, match='relative path'):
        heatmap_path('out', '/abs/x.png')


def _image_tree(root, sizes):
    for rel, (h, w) in sizes.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), np.zeros((h, w), np.uint8))


def test_write_heatmaps_writes_one_map_per_image(tmp_path):
    _image_tree(tmp_path / 'img', {
        't/0/a.png': (20, 30),
        't/1/b.png': (16, 16)
    })
    table = FixationTable(['t/0/a.png', 't/0/a.png', 't/1/b.png'],
                          ['r1', 'r2', 'r1'], [8.0, 22.0, 8.0],
                          [10.0, 10.0, 8.0])
    paths = write_heatmaps(
        table,
        ImageSizes(str(tmp_path / 'img')),
        str(tmp_path / 'maps'),
        sigma_px=2.0,
        show_progress=False)
    assert paths == [
        str(tmp_path / 'maps' / 't' / '0' / 'a.png'),
        str(tmp_path / 'maps' / 't' / '1' / 'b.png')
    ]
    a = load_heatmap(paths[0])
    assert a.shape == (20, 30) and a.max() == 1.0
    assert a[10, 8] == pytest.approx(a[10, 22], rel=2e-3)  # readers equal


def test_gaze_to_heatmaps_tool(tmp_path, capsys):
    _image_tree(tmp_path / 'img', {'k/a.png': (20, 30)})
    csv = tmp_path / 'fix.csv'
    csv.write_text('image,x,y,duration_ms\nk/a.png,5,5,200\n'
                   'k/a.png,40,5,100\nk/a.png,10,12,\n')
    tool = load_tool('gaze_to_heatmaps')
    tool.main([
        str(csv), '--format', 'generic', '--images',
        str(tmp_path / 'img'), '--out',
        str(tmp_path / 'maps'), '--sigma-px', '3', '--suffix', '.npy',
        '--outside', 'clip'
    ])
    out = capsys.readouterr().out
    assert 'fixations: 3' in out and 'clipped: 1' in out
    m = load_heatmap(str(tmp_path / 'maps' / 'k' / 'a.npy'))
    assert m.shape == (20, 30) and m.max() == pytest.approx(1.0)
    assert m[5, 29] > 0.5  # the clipped fixation sits on the right border
    with pytest.raises(ValueError, match='outside'):
        tool.main([
            str(csv), '--format', 'generic', '--images',
            str(tmp_path / 'img'), '--out',
            str(tmp_path / 'maps2')
        ])
