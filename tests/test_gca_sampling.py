import math

import numpy as np
import pytest

from gca_mm.datasets.transforms.gca_sampling import (
    FIRST_BATCH, box_attention, box_mass, crop_candidates,
    erase_candidates, sample_attention_crop, sample_attention_erase,
    select_erase, summed_area_table)

H, W = 24, 32  # non-square on purpose: catches x/y mix-ups


def gaussian_map(centres, sigma, shape=(H, W)):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    m = np.zeros(shape, np.float32)
    for cx, cy in centres:
        m += np.exp(-((xx - cx)**2 + (yy - cy)**2) / (2 * sigma**2))
    return m


MAPS = {
    'blob': gaussian_map([(22, 8)], 1.5),
    'two_blobs': gaussian_map([(4, 12), (W - 5, 12)], 1.0),
    'uniform': np.full((H, W), 3.0, np.float32),
}


def direct_attention(m, box):
    x1, y1, x2, y2 = box
    return float(m[y1:y2, x1:x2].sum(dtype=np.float64) / m.sum(
        dtype=np.float64))


def reachable_sizes(shape, scale, ratio):
    """(w, h) sizes the crop sampler can produce, from a dense grid of
    areas and ratios through the same rounding."""
    h, w = shape
    a = np.linspace(scale[0], scale[1], 400)[:, None] * h * w
    r = np.exp(np.linspace(math.log(ratio[0]), math.log(ratio[1]), 400))
    cw = np.rint(np.sqrt(a * r)).astype(int).ravel()
    ch = np.rint(np.sqrt(a / r)).astype(int).ravel()
    ok = (cw > 0) & (cw <= w) & (ch > 0) & (ch <= h)
    return set(zip(cw[ok], ch[ok]))


def best_attention(m, scale, ratio):
    """Largest kept fraction over every reachable box (brute force)."""
    sat = summed_area_table(m)
    best = 0.0
    for cw, ch in reachable_sizes(m.shape, scale, ratio):
        ys, xs = np.mgrid[:H - ch + 1, :W - cw + 1]
        boxes = np.stack([xs, ys, xs + cw, ys + ch], -1)
        best = max(best, float(box_attention(sat, boxes).max()))
    return best


def test_box_mass_equals_direct_sum():
    rs = np.random.RandomState(0)
    m = rs.rand(H, W).astype(np.float32)
    sat = summed_area_table(m)
    assert sat.shape == (H + 1, W + 1) and sat.dtype == np.float64
    boxes = [(0, 0, W, H), (0, 0, 1, 1), (W - 1, H - 1, W, H), (3, 5, 17, 9)]
    for _ in range(50):
        x1, x2 = sorted(rs.choice(W + 1, 2, replace=False))
        y1, y2 = sorted(rs.choice(H + 1, 2, replace=False))
        boxes.append((x1, y1, x2, y2))
    masses = box_mass(sat, np.array(boxes))
    direct = [m[y1:y2, x1:x2].sum(dtype=np.float64)
              for x1, y1, x2, y2 in boxes]
    np.testing.assert_allclose(masses, direct, rtol=1e-9)
    np.testing.assert_allclose(
        box_attention(sat, np.array(boxes)), np.array(direct) / m.sum(),
        rtol=1e-6)


def test_box_attention_rejects_map_without_mass():
    with pytest.raises(ValueError, match='no positive finite mass'):
        box_attention(summed_area_table(np.zeros((4, 4), np.float32)),
                      (0, 0, 2, 2))


@pytest.mark.parametrize('name,scale,min_attention,exists', [
    ('blob', (0.25, 1.0), 0.9, True),
    ('two_blobs', (0.25, 1.0), 0.9, True),
    ('uniform', (0.25, 1.0), 0.5, True),
    ('two_blobs', (0.25, 0.5), 0.9, False),
    ('uniform', (0.25, 0.8), 0.9, False),
])
def test_crop_keeps_attention_whenever_possible(name, scale, min_attention,
                                                exists):
    m = MAPS[name]
    ratio = (3 / 4, 4 / 3)
    best = best_attention(m, scale, ratio)
    assert (best >= min_attention) == exists  # the case is what it claims
    sat = summed_area_table(m)
    for seed in range(300):
        out = sample_attention_crop(
            sat, m.shape, scale, ratio, min_attention,
            rng=np.random.RandomState(seed))
        kept = direct_attention(m, out['bbox'])
        assert out['attention'] == pytest.approx(kept, abs=1e-6)
        assert out['qualified'] == exists
        if exists:
            assert kept >= min_attention - 1e-9
            assert 1 <= out['tries'] <= 200
        else:
            # fallback 'best': the best candidate, never better than possible
            assert out['tries'] == 200
            assert kept <= best + 1e-9


def test_crop_fallback_full_returns_whole_image():
    m = MAPS['two_blobs']
    out = sample_attention_crop(summed_area_table(m), m.shape, (0.25, 0.5),
                                fallback='full', rng=np.random.RandomState(0))
    assert out == dict(bbox=(0, 0, W, H), attention=1.0, tries=200,
                       qualified=False)


def sequential_crop(m, boxes, valid, min_attention):
    """Plain rejection loop over the same candidates."""
    for i, (box, ok) in enumerate(zip(boxes, valid)):
        if ok and direct_attention(m, box) >= min_attention:
            return tuple(int(v) for v in box), i + 1
    return None, len(boxes)


@pytest.mark.parametrize('name', ['blob', 'two_blobs'])
def test_vectorised_crop_equals_sequential_rejection(name):
    m = MAPS[name]
    sat = summed_area_table(m)
    for seed in range(100):
        boxes, valid = crop_candidates(m.shape, num=200,
                                       rng=np.random.RandomState(seed))
        box, tries = sequential_crop(m, boxes, valid, 0.9)
        out = sample_attention_crop(sat, m.shape,
                                    rng=np.random.RandomState(seed))
        assert out['qualified']
        assert (out['bbox'], out['tries']) == (box, tries)


def test_candidates_past_the_first_batch_are_examined_in_order():
    # a narrow blob that few crops keep: the first qualifying candidate is
    # often past the first batch, and the fallback ranks every candidate
    m = gaussian_map([(3, 3)], 0.7)
    sat = summed_area_table(m)
    late = 0
    for seed in range(200):
        boxes, valid = crop_candidates(m.shape, (0.05, 0.3), num=200,
                                       rng=np.random.RandomState(seed))
        box, tries = sequential_crop(m, boxes, valid, 0.95)
        out = sample_attention_crop(sat, m.shape, (0.05, 0.3),
                                    min_attention=0.95,
                                    rng=np.random.RandomState(seed))
        if box is None:
            att = np.where(valid, box_attention(sat, boxes), -1.0)
            box, tries = tuple(boxes[int(np.argmax(att))].tolist()), 200
            assert not out['qualified']
        assert (out['bbox'], out['tries']) == (box, tries)
        late += tries > FIRST_BATCH
    assert 20 < late < 200  # both batches were exercised


def test_batched_erase_equals_selecting_among_all_candidates():
    # only rectangles inside the empty top-left corner cover no attention:
    # the first such candidate is often past the first batch, or absent
    m = np.ones((H, W), np.float32)
    m[:12, :14] = 0
    sat = summed_area_table(m)
    late = none = 0
    for seed in range(200):
        boxes = erase_candidates(m.shape, num=100,
                                 rng=np.random.RandomState(seed))
        expected = select_erase(sat, boxes, 0.0)
        out = sample_attention_erase(sat, m.shape, max_attention=0.0,
                                     rng=np.random.RandomState(seed))
        assert out == expected
        late += expected['bbox'] is not None and \
            expected['tries'] > FIRST_BATCH
        none += expected['bbox'] is None
    assert late > 10 and none > 0  # both batches and the miss exercised


def test_crop_candidates_follow_random_resized_crop_ranges():
    boxes, valid = crop_candidates((H, W), (0.3, 0.6), (0.5, 2.0), num=2000,
                                   rng=np.random.default_rng(0))
    assert boxes.dtype == np.int64 and boxes.shape == (2000, 4)
    assert valid.mean() > 0.5
    b = boxes[valid]
    cw, ch = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    assert (b[:, 0] >= 0).all() and (b[:, 2] <= W).all()
    assert (b[:, 1] >= 0).all() and (b[:, 3] <= H).all()
    # rounding each side moves the area by at most about one row/column
    area = cw * ch / (H * W)
    assert area.min() > 0.3 - 0.1 and area.max() < 0.6 + 0.1
    assert (cw / ch).min() > 0.5 * 0.8 and (cw / ch).max() < 2.0 * 1.25
    # positions cover the whole range, not just the top-left corner
    assert b[:, 0].max() > 0.3 * W and b[:, 1].max() > 0.3 * H


def test_sampling_is_deterministic_for_a_seed_and_varies_across_seeds():
    m = MAPS['blob']
    sat = summed_area_table(m)
    runs = [sample_attention_crop(sat, m.shape, rng=np.random.default_rng(s))
            for s in (1, 1, 2)]
    assert runs[0] == runs[1]
    assert runs[0]['bbox'] != runs[2]['bbox']
    np.random.seed(5)
    a = sample_attention_erase(sat, m.shape)
    np.random.seed(5)
    assert sample_attention_erase(sat, m.shape) == a


@pytest.mark.parametrize('name', ['blob', 'two_blobs'])
def test_erase_never_exceeds_its_bound(name):
    m = MAPS[name]
    sat = summed_area_table(m)
    erased = 0
    for seed in range(300):
        out = sample_attention_erase(sat, m.shape, max_attention=0.05,
                                     rng=np.random.RandomState(seed))
        if out['bbox'] is None:
            assert out == dict(bbox=None, attention=0.0, tries=100)
            continue
        erased += 1
        x1, y1, x2, y2 = out['bbox']
        assert 0 <= x1 < x2 <= W and 0 <= y1 < y2 <= H
        side = round(0.1 * min(H, W))
        assert x2 - x1 >= side and y2 - y1 >= side
        assert direct_attention(m, out['bbox']) <= 0.05 + 1e-9
        assert out['attention'] == pytest.approx(
            direct_attention(m, out['bbox']), abs=1e-6)
    assert erased > 250  # low-attention rectangles are common here


def test_erase_nothing_when_no_rectangle_qualifies():
    m = MAPS['uniform']
    # every rectangle covers >= 2% of a uniform map's mass
    for seed in range(20):
        out = sample_attention_erase(summed_area_table(m), m.shape,
                                     max_attention=0.01,
                                     rng=np.random.RandomState(seed))
        assert out == dict(bbox=None, attention=0.0, tries=100)


def test_select_erase_takes_first_qualifying_box():
    m = MAPS['blob']
    boxes = erase_candidates(m.shape, num=100, rng=np.random.RandomState(3))
    att = [direct_attention(m, b) for b in boxes]
    first = next(i for i, a in enumerate(att) if a <= 0.01)
    out = select_erase(summed_area_table(m), boxes, 0.01)
    assert out['bbox'] == tuple(boxes[first]) and out['tries'] == first + 1


def test_select_erase_on_map_without_mass_covers_nothing():
    boxes = np.array([[0, 0, 3, 3], [1, 1, 2, 2]])
    out = select_erase(summed_area_table(np.zeros((5, 5), np.float32)),
                       boxes)
    assert out == dict(bbox=(0, 0, 3, 3), attention=0.0, tries=1)


def test_erase_min_side_is_relative_to_the_view():
    boxes = erase_candidates((200, 100), area=(0.001, 0.002), min_side=0.2,
                             num=50, rng=np.random.RandomState(0))
    assert ((boxes[:, 2] - boxes[:, 0]) >= 20).all()
    assert ((boxes[:, 3] - boxes[:, 1]) >= 20).all()


@pytest.mark.parametrize('kwargs,match', [
    (dict(min_attention=0.0), 'min_attention'),
    (dict(min_attention=1.5), 'min_attention'),
    (dict(max_tries=0), 'max_tries'),
    (dict(fallback='last'), 'fallback'),
    (dict(scale=(0.8, 0.2)), 'scale'),
    (dict(ratio=(0.0, 1.0)), 'ratio'),
])
def test_crop_rejects_bad_arguments(kwargs, match):
    m = MAPS['blob']
    with pytest.raises(ValueError, match=match):
        sample_attention_crop(summed_area_table(m), m.shape, **kwargs)


def test_sampling_rejects_foreign_summed_area_table():
    sat = summed_area_table(MAPS['blob'])
    with pytest.raises(ValueError, match='does not belong'):
        sample_attention_crop(sat, (H + 1, W))
    with pytest.raises(ValueError, match='does not belong'):
        sample_attention_erase(sat, (H, W - 1))


@pytest.mark.parametrize('kwargs,match', [
    (dict(max_attention=-0.1), 'max_attention'),
    (dict(area=(0.0, 0.2)), 'area'),
    (dict(min_side=2), 'min_side'),
    (dict(max_tries=1.5), 'max_tries'),
])
def test_erase_rejects_bad_arguments(kwargs, match):
    m = MAPS['blob']
    with pytest.raises(ValueError, match=match):
        sample_attention_erase(summed_area_table(m), m.shape, **kwargs)


def test_box_mass_on_a_coarser_map_is_the_exact_integral():
    """Boxes in image pixels on a map at a quarter of the resolution: the
    mass of the map, constant over each of its pixels, inside the box."""
    rs = np.random.RandomState(1)
    small = rs.rand(6, 8).astype(np.float32)
    full = np.kron(small, np.ones((4, 4), np.float32))  # the image's pixels
    sat = summed_area_table(small)
    boxes = []
    for _ in range(100):
        x1, x2 = sorted(rs.choice(33, 2, replace=False))
        y1, y2 = sorted(rs.choice(25, 2, replace=False))
        boxes.append((x1, y1, x2, y2))
    masses = box_mass(sat, np.array(boxes), scale_factor=(0.25, 0.25)) * 16
    direct = [full[y1:y2, x1:x2].sum(dtype=np.float64)
              for x1, y1, x2, y2 in boxes]
    np.testing.assert_allclose(masses, direct, rtol=1e-9)
