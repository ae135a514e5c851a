import cv2
import numpy as np
import pytest
from mmpretrain.registry import TRANSFORMS

from gca_mm.datasets.transforms import LoadGazeMap
from gca_mm.datasets.transforms import gaze_map as gaze_map_module

H, W = 12, 16


def smooth_map():
    yy, xx = np.mgrid[:H, :W]
    return np.exp(-((xx - 10)**2 + (yy - 5)**2) / 8.0).astype(np.float32)


def results_for(path, shape=(H, W, 3)):
    return dict(img=np.zeros(shape, np.uint8), img_path='train/0/k.png',
                gaze_map_path=str(path))


@pytest.fixture
def warnings_logged(monkeypatch):
    messages = []
    monkeypatch.setattr(gaze_map_module, 'print_log',
                        lambda msg, **kwargs: messages.append(msg))
    return messages


def test_reads_npy_as_float32(tmp_path):
    m = smooth_map().astype(np.float64) * 3
    np.save(tmp_path / 'm.npy', m)
    out = LoadGazeMap()(results_for(tmp_path / 'm.npy'))
    assert out['gaze_map'].dtype == np.float32
    assert out['gaze_map'].shape == (H, W)
    np.testing.assert_allclose(out['gaze_map'], m, rtol=1e-6)
    assert out['gaze_map_fallback'] is None


@pytest.mark.parametrize('dtype', [np.uint16, np.uint8])
def test_reads_png_scaled_to_unit_range(tmp_path, dtype):
    peak = np.iinfo(dtype).max
    raw = np.rint(smooth_map() * peak).astype(dtype)
    cv2.imwrite(str(tmp_path / 'm.png'), raw)
    out = LoadGazeMap()(results_for(tmp_path / 'm.png'))
    assert out['gaze_map'].dtype == np.float32
    np.testing.assert_allclose(out['gaze_map'], raw / peak, rtol=1e-6)
    assert out['gaze_map'].max() == pytest.approx(1.0)


def test_missing_path_key_asks_for_gaze_map_root():
    r = results_for('x.npy')
    del r['gaze_map_path']
    with pytest.raises(KeyError, match='set gaze_map_root on the dataset'):
        LoadGazeMap()(r)


def test_missing_image_asks_for_the_image_loader(tmp_path):
    np.save(tmp_path / 'm.npy', smooth_map())
    r = results_for(tmp_path / 'm.npy')
    del r['img']
    with pytest.raises(KeyError, match='after the image loader'):
        LoadGazeMap()(r)


def test_missing_file_error_names_map_and_image(tmp_path):
    path = tmp_path / 'none.png'
    with pytest.raises(FileNotFoundError,
                       match=r"none\.png.*train/0/k\.png.*on_missing"):
        LoadGazeMap()(results_for(path))


def test_missing_file_uniform_fallback_is_counted(tmp_path,
                                                  warnings_logged):
    t = LoadGazeMap(on_missing='uniform')
    for _ in range(3):
        out = t(results_for(tmp_path / 'none.png', shape=(H, W)))
        np.testing.assert_array_equal(out['gaze_map'],
                                      np.ones((H, W), np.float32))
        assert out['gaze_map_fallback'] == 'missing'
    assert t.fallback_counts == dict(missing=3, invalid=0, shape_mismatch=0)
    assert len(warnings_logged) == 1 and 'none.png' in warnings_logged[0]


def write_invalid(tmp_path, kind):
    if kind == 'nan':
        m = smooth_map()
        m[2, 3] = np.nan
        np.save(tmp_path / 'm.npy', m)
        return tmp_path / 'm.npy'
    if kind == 'inf':
        m = smooth_map().astype(np.float64)
        m[2, 3] = 1e300  # finite in float64, inf as float32
        np.save(tmp_path / 'm.npy', m)
        return tmp_path / 'm.npy'
    if kind == 'negative':
        np.save(tmp_path / 'm.npy', smooth_map() - 0.5)
        return tmp_path / 'm.npy'
    if kind == 'zero':
        cv2.imwrite(str(tmp_path / 'm.png'), np.zeros((H, W), np.uint16))
        return tmp_path / 'm.png'
    if kind == 'colour':
        cv2.imwrite(str(tmp_path / 'm.png'), np.ones((H, W, 3), np.uint8))
        return tmp_path / 'm.png'
    if kind == 'corrupt':
        (tmp_path / 'm.png').write_bytes(b'not a png at all')
        return tmp_path / 'm.png'
    if kind == 'empty':
        (tmp_path / 'm.npy').write_bytes(b'')
        return tmp_path / 'm.npy'
    if kind == 'pickled':
        np.save(tmp_path / 'm.npy', np.array([{}, 1], dtype=object),
                allow_pickle=True)
        return tmp_path / 'm.npy'
    raise AssertionError(kind)


INVALID = {
    'nan': 'NaN or inf',
    'inf': 'NaN or inf',
    'negative': 'negative values',
    'zero': 'no positive value',
    'colour': 'single-channel',
    'corrupt': 'cannot be decoded',
    'empty': 'cannot be decoded',
    'pickled': 'cannot be decoded',
}


@pytest.mark.parametrize('kind', sorted(INVALID))
def test_invalid_map_error_says_why(tmp_path, kind):
    path = write_invalid(tmp_path, kind)
    with pytest.raises(ValueError, match=INVALID[kind]) as info:
        LoadGazeMap()(results_for(path))
    assert str(path) in str(info.value) and 'train/0/k.png' in str(
        info.value)


@pytest.mark.parametrize('kind', sorted(INVALID))
def test_invalid_map_uniform_fallback_is_counted(tmp_path, kind,
                                                 warnings_logged):
    t = LoadGazeMap(on_invalid='uniform')
    out = t(results_for(write_invalid(tmp_path, kind)))
    np.testing.assert_array_equal(out['gaze_map'],
                                  np.ones((H, W), np.float32))
    assert out['gaze_map_fallback'] == 'invalid'
    assert t.fallback_counts == dict(missing=0, invalid=1, shape_mismatch=0)
    assert len(warnings_logged) == 1 and INVALID[kind] in warnings_logged[0]


def test_shape_mismatch_error(tmp_path):
    np.save(tmp_path / 'm.npy', np.ones((H + 2, W), np.float32))
    with pytest.raises(ValueError, match=r"\(14, 16\).*\(12, 16\).*resize"):
        LoadGazeMap()(results_for(tmp_path / 'm.npy'))


def test_shape_mismatch_resize_fallback_is_counted(tmp_path,
                                                   warnings_logged):
    m = np.zeros((2 * H, W // 2), np.float32)
    m[0, 0] = 1.0  # a single attended pixel must survive the resize
    np.save(tmp_path / 'm.npy', m)
    t = LoadGazeMap(on_shape_mismatch='resize')
    for _ in range(2):
        out = t(results_for(tmp_path / 'm.npy'))
        assert out['gaze_map'].shape == (H, W)
        assert out['gaze_map'].sum() > 0 and out['gaze_map'].min() >= 0
        assert out['gaze_map_fallback'] == 'shape_mismatch'
    assert t.fallback_counts == dict(missing=0, invalid=0, shape_mismatch=2)
    assert len(warnings_logged) == 1


def test_builds_from_registry_and_rejects_bad_policies():
    t = TRANSFORMS.build(dict(type='LoadGazeMap', on_missing='uniform'))
    assert repr(t) == ("LoadGazeMap(gaze_map_root=None, data_root='', "
                       "suffix='.png', on_missing='uniform', on_invalid="
                       "'error', on_shape_mismatch='error', max_side=None, "
                       'backend_args=None)')
    for kwargs in (dict(on_missing='skip'), dict(on_invalid='resize'),
                   dict(on_shape_mismatch='uniform'), dict(max_side=0)):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            LoadGazeMap(**kwargs)


def test_map_path_from_img_path_for_other_datasets(tmp_path):
    """Without gaze_map_path (e.g. ImageNet-style datasets) the map mirrors
    the image's path below data_root."""
    img_root, map_root = tmp_path / 'imgs', tmp_path / 'maps'
    (map_root / 'a').mkdir(parents=True)
    gaze = np.zeros((6, 8), np.float32)
    gaze[2, 3] = 1
    np.save(map_root / 'a' / 'x.npy', gaze)
    t = LoadGazeMap(gaze_map_root=str(map_root), data_root=str(img_root),
                    suffix='.npy')
    r = t(dict(img=np.zeros((6, 8), np.uint8),
               img_path=str(img_root / 'a' / 'x.JPEG')))
    np.testing.assert_array_equal(r['gaze_map'], gaze)
    with pytest.raises(ValueError, match='not below LoadGazeMap'):
        t(dict(img=np.zeros((6, 8), np.uint8),
               img_path=str(tmp_path / 'elsewhere' / 'x.png')))


def test_max_side_keeps_a_smaller_map_that_covers_the_image(tmp_path):
    """The map is area-resampled once to a bounded resolution; its scale
    factor says how it covers the image, and its mass fractions are those
    of the full map (up to the resampling)."""
    img_h, img_w = 400, 300
    yy, xx = np.mgrid[:img_h, :img_w]
    m = np.exp(-((xx - 200)**2 + (yy - 120)**2) / 800.0).astype(np.float32)
    np.save(tmp_path / 'm.npy', m)
    r = results_for(tmp_path / 'm.npy', shape=(img_h, img_w, 3))
    full = LoadGazeMap()(dict(r))
    assert full['gaze_map'].shape == (img_h, img_w)
    assert full['gaze_map_scale_factor'] == (1.0, 1.0)
    out = LoadGazeMap(max_side=100)(dict(r))
    assert out['gaze_map'].shape == (133, 100)  # shorter side 100
    assert out['gaze_map_scale_factor'] == (100 / 300, 133 / 400)
    assert out['img'].shape == (img_h, img_w, 3)  # the image is untouched
    half = out['gaze_map'][:, 50:].sum() / out['gaze_map'].sum()
    assert half == pytest.approx(m[:, 150:].sum() / m.sum(), abs=1e-3)
    # maps already small enough are kept as they are
    small = LoadGazeMap(max_side=400)(dict(r))
    np.testing.assert_array_equal(small['gaze_map'], full['gaze_map'])
