import copy
import inspect

import cv2
import mmcv
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmpretrain.registry import TRANSFORMS

from gca_mm.datasets.transforms import GazeConditionedAugment
from gca_mm.datasets.transforms.gca_functional import (blur_map, crop_resize,
                                                       dim, resize_map)

H, W = 48, 64
OUT = (30, 40)  # (h, w) as RandomResizedCrop's scale, non-square on purpose


def blobs(shape=(H, W), centres=((20, 30), ), sigma=4.0):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    m = np.zeros(shape, np.float32)
    for cx, cy in centres:
        m += np.exp(-((xx - cx)**2 + (yy - cy)**2) / (2 * sigma**2))
    return m


def results_for(gaze_map, channels=3, value=None):
    """An image that shows its own map (or a constant ``value``)."""
    grey = (np.full(gaze_map.shape, value, np.uint8) if value is not None
            else np.rint(gaze_map / gaze_map.max() * 255).astype(np.uint8))
    img = grey if channels == 1 else np.repeat(grey[..., None], channels, 2)
    return dict(img=img, gaze_map=gaze_map.copy(), img_shape=img.shape[:2])


def run(seed, results, **kwargs):
    np.random.seed(seed)
    return GazeConditionedAugment(**kwargs)(copy.deepcopy(results))


def direct_attention(m, box):
    x1, y1, x2, y2 = box
    return m[y1:y2, x1:x2].sum(dtype=np.float64) / m.sum(dtype=np.float64)


@pytest.mark.parametrize('channels', [1, 3])
def test_output_shapes_and_keys(channels):
    out = run(0, results_for(blobs(), channels), scale=OUT)
    shape = (30, 40) if channels == 1 else (30, 40, channels)
    assert out['img'].shape == shape and out['img'].dtype == np.uint8
    assert out['img_shape'] == (30, 40)
    assert out['gaze_map'].shape == (30, 40)
    assert out['gaze_map'].dtype == np.float32
    assert (out['gaze_map'] >= 0).all()
    assert set(out['gca_params']) == {
        'crop', 'crop_bbox', 'crop_attention', 'crop_qualified', 'crop_tries',
        'flip', 'angle', 'erase_bbox', 'erase_attention', 'erase_tries', 'dim'
    }


def test_crop_keeps_attention_and_reports_it_in_input_pixels():
    m = blobs(centres=((15, 12), (50, 36)), sigma=3.0)
    qualified = 0
    for seed in range(40):
        p = run(seed, results_for(m), scale=OUT, min_attention=0.8,
                erase_prob=0, dim_prob=0)['gca_params']
        kept = direct_attention(m, p['crop_bbox'])
        assert p['crop'] and p['crop_attention'] == pytest.approx(kept)
        if p['crop_qualified']:
            qualified += 1
            assert kept >= 0.8
    assert qualified == 40


@pytest.mark.parametrize('seed', range(12))
def test_image_and_map_stay_aligned(seed):
    m = blobs(centres=((18, 14), ), sigma=5.0)
    m += 0.6 * blobs(centres=((46, 34), ), sigma=5.0)
    out = run(seed, results_for(m), scale=OUT, rotate_prob=0.7, erase_prob=0,
              dim_prob=0)
    img = out['img'][..., 0].astype(np.float32)
    view = out['gaze_map']
    # the image was drawn from the map: after crop/flip/rotation they match
    assert np.corrcoef(img.ravel(), view.ravel())[0, 1] > 0.99
    peak_img = np.unravel_index(np.argmax(img), img.shape)
    peak_map = np.unravel_index(np.argmax(view), view.shape)
    assert np.abs(np.subtract(peak_img, peak_map)).max() <= 2


def test_flip_and_rotation_move_the_map_with_the_image():
    m = blobs(centres=((10, 10), ), sigma=3.0)
    seen_flip = seen_angle = False
    for seed in range(30):
        out = run(seed, results_for(m), scale=(H, W), crop_prob=0,
                  rotate_prob=0.5, erase_prob=0, dim_prob=0)
        p = out['gca_params']
        expect = m.copy()
        if p['flip']:
            expect = expect[:, ::-1]
            seen_flip = True
        if p['angle']:
            expect = mmcv.imrotate(expect, p['angle'])
            seen_angle = True
        np.testing.assert_allclose(out['gaze_map'], expect, atol=1e-5)
    assert seen_flip and seen_angle


def test_no_crop_resizes_the_whole_image():
    r = results_for(blobs())
    out = run(0, r, scale=OUT, crop_prob=0, flip_prob=0, rotate_prob=0,
              erase_prob=0, dim_prob=0)
    p = out['gca_params']
    assert (p['crop'], p['crop_bbox'], p['crop_attention']) == (
        False, (0, 0, W, H), 1.0)
    np.testing.assert_array_equal(out['img'],
                                  mmcv.imresize(r['img'], OUT[::-1]))


def test_erasing_respects_the_bound_on_the_view():
    m = blobs(centres=((20, 20), ), sigma=4.0)
    erased = 0
    for seed in range(30):
        out = run(seed, results_for(m, value=128), scale=OUT, erase_prob=1,
                  rotate_prob=0, dim_prob=0, erase_max_attention=0.02)
        p = out['gca_params']
        zero = out['img'][..., 0] == 0
        if p['erase_bbox'] is None:
            assert not zero.any()
            continue
        erased += 1
        x1, y1, x2, y2 = p['erase_bbox']
        assert zero[y1:y2, x1:x2].all() and zero.sum() == (x2 - x1) * (y2 -
                                                                       y1)
        covered = direct_attention(out['gaze_map'], p['erase_bbox'])
        assert covered <= 0.02 + 1e-9
        assert p['erase_attention'] == pytest.approx(covered, abs=1e-6)
    assert erased > 20


def test_erasing_does_nothing_when_no_rectangle_qualifies():
    r = results_for(np.ones((H, W), np.float32), value=128)
    for seed in range(10):
        out = run(seed, r, scale=OUT, erase_prob=1, rotate_prob=0,
                  dim_prob=0, erase_max_attention=0.001)
        assert out['gca_params']['erase_bbox'] is None
        assert out['gca_params']['erase_tries'] == 100
        assert (out['img'] == 128).all()


def test_dimming_fades_unattended_regions():
    m = blobs(centres=((32, 24), ), sigma=4.0)
    out = run(0, results_for(m, value=200), scale=(H, W), crop_prob=0,
              flip_prob=0, rotate_prob=0, erase_prob=0, dim_prob=1)
    assert out['gca_params']['dim']
    img = out['img'][..., 0]
    assert img[24, 32] >= 195  # the attended centre keeps its brightness
    assert img[0, 0] == round(200 * 0.1)  # far away: only the floor remains


def test_dim_matches_the_formula():
    m = blobs(shape=(96, 128), centres=((40, 50), (90, 30)), sigma=8.0) * 7
    img = np.random.RandomState(0).randint(0, 256, (96, 128, 3), np.uint8)
    sigma_px = 0.04 * 96
    b = cv2.GaussianBlur(m / m.max(), (0, 0), sigma_px)
    weight = np.clip(b / (b.max() + 0.01) + 0.1, 0, 1)
    expected = img * weight[..., None]
    out = dim(img, m, sigma=0.04, floor=0.1, eps=0.01)
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert np.abs(out - expected).max() <= 2.0
    # the map's scale does not matter
    np.testing.assert_array_equal(dim(img, m * 1e-6), out)


def test_blur_map_matches_full_resolution_blur():
    for sigma in (5.0, 12.0):  # gaze-map-like smoothness
        m = blobs(shape=(224, 224), centres=((60, 80), (150, 120)),
                  sigma=sigma)
        full = cv2.GaussianBlur(m, (0, 0), 9.0)
        assert np.abs(blur_map(m, 9.0) - full).max() < 0.012 * full.max()
    small = np.random.RandomState(0).rand(20, 20).astype(np.float32)
    np.testing.assert_array_equal(blur_map(small, 1.5),
                                  cv2.GaussianBlur(small, (0, 0), 1.5))


def test_dim_is_skipped_when_the_view_has_no_attention():
    m = np.zeros((32, 32), np.float32)
    m[0, 0] = 1.0  # rotated out of the frame by any large angle
    for seed in range(50):
        out = run(seed, results_for(m, value=100), scale=(32, 32),
                  crop_prob=0, flip_prob=0, rotate_prob=1, erase_prob=0,
                  dim_prob=1)
        if abs(out['gca_params']['angle']) > 20:
            break
    assert out['gaze_map'].sum() == 0
    assert out['gca_params']['dim'] is False
    assert out['img'][16, 16, 0] == 100


def test_resize_map_never_loses_a_positive_pixel():
    rs = np.random.RandomState(0)
    shapes = [((100, 50), (30, 200)), ((64, 64), (17, 9)),
              ((300, 200), (160, 224)), ((451, 380), (224, 224))]
    shapes += [(tuple(rs.randint(2, 300, 2)), tuple(rs.randint(2, 300, 2)))
               for _ in range(150)]
    for (h, w), (out_h, out_w) in shapes:
        for y, x in [(0, 0), (h - 1, w - 1), (rs.randint(h), rs.randint(w))]:
            m = np.zeros((h, w), np.float32)
            m[y, x] = 1
            out = resize_map(m, (out_w, out_h))
            assert out.shape == (out_h, out_w)
            assert out.min() >= 0 and out.sum() > 0, (h, w, out_h, out_w)


def test_crop_resize_rejects_box_outside_image():
    with pytest.raises(ValueError, match='outside the image'):
        crop_resize(np.zeros((4, 4), np.uint8), np.ones((4, 4), np.float32),
                    (0, 0, 5, 4), (2, 2))


def test_same_seed_same_view_different_seed_different_view():
    r = results_for(blobs())
    kwargs = dict(scale=OUT, rotate_prob=0.5, erase_prob=0.5, dim_prob=0.5)
    a, b, c = run(3, r, **kwargs), run(3, r, **kwargs), run(4, r, **kwargs)
    np.testing.assert_array_equal(a['img'], b['img'])
    np.testing.assert_array_equal(a['gaze_map'], b['gaze_map'])
    assert a['gca_params'] == b['gca_params']
    assert a['gca_params'] != c['gca_params']
    assert not np.array_equal(a['img'], c['img'])


def test_without_keeping_the_map_the_view_is_the_same():
    r = results_for(blobs())
    r['gaze_map_scale_factor'] = (1.0, 1.0)
    kwargs = dict(scale=OUT, rotate_prob=0.5, erase_prob=0.5, dim_prob=0.5)
    for seed in range(30):
        kept = run(seed, r, **kwargs)
        lean = run(seed, r, keep_gaze_map=False, **kwargs)
        np.testing.assert_array_equal(lean['img'], kept['img'])
        assert lean['gca_params'] == kept['gca_params']
        assert 'gaze_map' not in lean
        assert 'gaze_map_scale_factor' not in lean
        assert kept['gaze_map'].shape == OUT


def test_builds_from_registry_and_repr_lists_every_parameter():
    t = TRANSFORMS.build(dict(type='GazeConditionedAugment'))
    assert isinstance(t, GazeConditionedAugment) and t.scale == (224, 224)
    t = TRANSFORMS.build(
        dict(type='GazeConditionedAugment', scale=(96, 64),
             min_attention=0.75, crop_fallback='full', dim_sigma=0.02))
    assert t.scale == (96, 64) and t.min_attention == 0.75
    text = repr(t)
    for name in inspect.signature(GazeConditionedAugment).parameters:
        assert f'{name}=' in text
    assert 'min_attention=0.75' in text and "crop_fallback='full'" in text
    assert 'scale=(96, 64)' in text and 'dim_sigma=0.02' in text


@pytest.mark.parametrize('kwargs,match', [
    (dict(min_attention=0), 'min_attention'),
    (dict(min_attention=1.2), 'min_attention'),
    (dict(crop_prob=1.5), 'crop_prob'),
    (dict(flip_prob=-0.1), 'flip_prob'),
    (dict(rotate_prob=2), 'rotate_prob'),
    (dict(erase_prob=None), 'erase_prob'),
    (dict(dim_prob=1.01), 'dim_prob'),
    (dict(scale=0), 'scale'),
    (dict(scale=(32, 0)), 'scale'),
    (dict(crop_ratio_range=(0.9, 0.3)), 'crop_ratio_range'),
    (dict(aspect_ratio_range=(1.0, )), 'aspect_ratio_range'),
    (dict(crop_max_tries=0), 'crop_max_tries'),
    (dict(crop_fallback='center'), 'crop_fallback'),
    (dict(max_angle=-5), 'max_angle'),
    (dict(erase_max_attention=1.5), 'erase_max_attention'),
    (dict(erase_fill=300), 'erase_fill'),
    (dict(dim_sigma=0), 'dim_sigma'),
    (dict(interpolation='cubic'), 'interpolation'),
    (dict(backend='pil'), 'backend'),
    (dict(backend='pillow', interpolation='area'), 'area'),
    (dict(keep_gaze_map='no'), 'keep_gaze_map'),
])
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GazeConditionedAugment(**kwargs)


def test_missing_gaze_map_asks_for_load_gaze_map():
    r = results_for(blobs())
    del r['gaze_map']
    with pytest.raises(KeyError, match='add LoadGazeMap to the pipeline'):
        GazeConditionedAugment()(r)


@pytest.mark.parametrize('gaze_map,match', [
    (np.ones((H, W + 1), np.float32), 'shape'),
    (np.ones((H, W, 1), np.float32), 'shape'),
    (np.zeros((H, W), np.float32), 'positive total mass'),
    (np.full((H, W), np.nan, np.float32), 'positive total mass'),
    (blobs() - 0.5, 'positive total mass'),
])
def test_rejects_bad_gaze_map(gaze_map, match):
    # values are validated by LoadGazeMap; GCA checks shape and total mass
    r = results_for(blobs())
    r['gaze_map'] = gaze_map
    with pytest.raises(ValueError, match=match):
        GazeConditionedAugment()(r)


def photometric_steps(channels):
    steps = [
        dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
             magnitude_std='inf', prob=1.0),
        dict(type='Solarize', thr=128, prob=1.0),
    ]
    if channels == 3:  # the stock ColorJitter/RandomGrayscale need HxWx3
        steps[:0] = [
            dict(type='RandomApply', prob=1.0, transforms=[
                dict(type='ColorJitter', brightness=0.8, contrast=0.8,
                     saturation=0.8, hue=0.2)]),
            dict(type='RandomGrayscale', prob=1.0, keep_channels=True,
                 channel_weights=(0.114, 0.587, 0.2989)),
        ]
    return steps


@pytest.mark.filterwarnings('ignore:Only use .alpha. for pillow backend')
@pytest.mark.parametrize('channels', [1, 3])
def test_multiview_views_differ_and_stock_photometric_steps_follow(channels):
    seen = []

    def record(results):
        seen.append((results['gca_params'], results['gaze_map']))
        return results

    view = [dict(type='GazeConditionedAugment', scale=OUT, rotate_prob=0.5,
                 erase_prob=0.5, dim_prob=0.5)]
    view += photometric_steps(channels) + [record]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = TRANSFORMS.build(
            dict(type='MultiView', num_views=2, transforms=[view]))
    r = results_for(blobs(centres=((18, 14), (46, 34))), channels)
    original = r['gaze_map'].copy()
    np.random.seed(0)
    out = pipeline(r)
    assert len(out['img']) == 2
    for img in out['img']:
        assert img.dtype == np.uint8
        assert img.shape == ((30, 40) if channels == 1 else (30, 40, 3))
    (p1, m1), (p2, m2) = seen
    assert p1 != p2 and not np.array_equal(m1, m2)
    assert not np.array_equal(out['img'][0], out['img'][1])
    np.testing.assert_array_equal(out['gaze_map'], original)


def test_old_argument_names_still_work_with_a_warning():
    with pytest.warns(DeprecationWarning, match='crop_ratio_range'):
        old = GazeConditionedAugment(crop_scale=(0.3, 0.9))
    with pytest.warns(DeprecationWarning, match='aspect_ratio_range'):
        GazeConditionedAugment(crop_ratio=(0.5, 2.0))
    new = GazeConditionedAugment(crop_ratio_range=(0.3, 0.9))
    assert old.crop_ratio_range == new.crop_ratio_range == (0.3, 0.9)
    r = results_for(blobs())
    np.testing.assert_array_equal(run(5, r, crop_scale=(0.3, 0.9))['img'],
                                  run(5, r, crop_ratio_range=(0.3, 0.9))['img'])


def test_scale_is_height_width_like_random_resized_crop():
    """(h, w) as mmpretrain's RandomResizedCrop: (64, 32) gives 64 x 32."""
    from mmpretrain.datasets.transforms import RandomResizedCrop
    r = results_for(blobs())
    stock = RandomResizedCrop(scale=(64, 32))(copy.deepcopy(r))['img']
    gca = run(0, r, scale=(64, 32))['img']
    assert stock.shape == gca.shape == (64, 32, 3)


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_backend_resizes_the_crop_like_mmcv(backend):
    r = results_for(blobs())
    out = run(0, r, scale=OUT, backend=backend, flip_prob=0, rotate_prob=0,
              erase_prob=0, dim_prob=0)
    x1, y1, x2, y2 = out['gca_params']['crop_bbox']
    expected = mmcv.imresize(r['img'][y1:y2, x1:x2], OUT[::-1],
                             backend=backend)
    np.testing.assert_array_equal(out['img'], expected)
    assert f"backend='{backend}'" in repr(GazeConditionedAugment(
        backend=backend))


def test_bounded_map_measures_crops_exactly():
    """A map at a quarter of the image's resolution: every crop keeps the
    same attention as on the full-resolution map it stands for (each map
    pixel constant over its 4 x 4 image pixels), and the view's map is that
    map resampled over the crop box."""
    small = blobs(shape=(12, 16), centres=((5, 3), (12, 8)), sigma=1.5)
    full = np.kron(small, np.ones((4, 4), np.float32))
    img = results_for(full)['img']
    bounded = dict(img=img, gaze_map=small, img_shape=img.shape[:2],
                   gaze_map_scale_factor=(0.25, 0.25))
    kwargs = dict(scale=OUT, min_attention=0.7, rotate_prob=0, dim_prob=0,
                  erase_prob=0)
    for seed in range(20):
        a = run(seed, dict(img=img, gaze_map=full, img_shape=img.shape[:2]),
                **kwargs)
        b = run(seed, bounded, **kwargs)
        assert a['gca_params']['crop_bbox'] == b['gca_params']['crop_bbox']
        assert b['gca_params']['crop_attention'] == pytest.approx(
            direct_attention(full, b['gca_params']['crop_bbox']), abs=1e-9)
        np.testing.assert_array_equal(a['img'], b['img'])
        assert b['gaze_map'].shape == (30, 40)
        assert b['gaze_map_scale_factor'] == (1.0, 1.0)
        # the view map: the box of the map, resampled (bilinear)
        x1, y1, x2, y2 = b['gca_params']['crop_bbox']
        view_mass = b['gaze_map'].sum(dtype=np.float64) * (
            (x2 - x1) * (y2 - y1) / (30 * 40))
        assert view_mass == pytest.approx(
            full[y1:y2, x1:x2].sum(dtype=np.float64), rel=0.1)
        assert np.corrcoef(a['gaze_map'].ravel(),
                           b['gaze_map'].ravel())[0, 1] > 0.95


def test_bounded_map_must_cover_the_image():
    r = results_for(blobs())
    r['gaze_map'] = blobs(shape=(12, 16))
    with pytest.raises(ValueError, match='shape'):  # no scale factor given
        GazeConditionedAugment()(copy.deepcopy(r))
    r['gaze_map_scale_factor'] = (0.5, 0.5)  # 24 x 32 expected, not 12 x 16
    with pytest.raises(ValueError, match='must not resize the image'):
        GazeConditionedAugment()(r)


def test_bounded_map_shrunk_more_than_twice_stays_aligned():
    """A view much smaller than the map's box: the map is cropped on whole
    map pixels and shrunk in steps; it still follows the image."""
    m = blobs(shape=(96, 128), centres=((80, 40), ), sigma=8.0)
    img = results_for(m)['img']
    small = cv2.resize(m, (64, 48), interpolation=cv2.INTER_AREA)
    r = dict(img=img, gaze_map=small, img_shape=img.shape[:2],
             gaze_map_scale_factor=(0.5, 0.5))
    out = run(0, r, scale=(8, 10), crop_prob=0, flip_prob=0, rotate_prob=0,
              erase_prob=0, dim_prob=0)
    assert out['gaze_map'].shape == (8, 10)
    view = out['img'][..., 0].astype(np.float32)
    assert np.corrcoef(view.ravel(), out['gaze_map'].ravel())[0, 1] > 0.95
