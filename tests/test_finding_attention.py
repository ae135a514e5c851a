"""Finding-attention measures (gca_mm.evaluation.finding_attention)."""
import re

import numpy as np
import pytest

from gca_mm.evaluation import (above_median_share, finding_attention,
                               load_lesion_boxes, mass_in_boxes,
                               summarize_finding_attention)
from gca_mm.evaluation.finding_attention import (above_quantile_share,
                                                 box_coverage)

BOX = (10, 20, 30, 30)  # x1, y1, x2, y2: 20 x 10 px of a 40 x 50 image


def test_uniform_map_scores_one():
    out = mass_in_boxes(np.full((40, 50), 3.0), [BOX])
    assert out['area_share'] == pytest.approx(200 / 2000)
    assert out['mass_in_boxes'] == pytest.approx(0.1)
    assert out['mass_ratio'] == pytest.approx(1.0)
    # nothing of a constant map is above its median
    assert above_median_share(np.ones((40, 50)), [BOX]) == 0.0


def test_map_concentrated_in_the_box():
    m = np.full((40, 50), 0.01)
    m[20:30, 10:30] = 1.0
    out = finding_attention(m, [BOX])
    assert out['mass_in_boxes'] == pytest.approx(200 / (200 + 18))
    assert out['mass_ratio'] == pytest.approx(10 * 200 / 218)
    assert out['mass_ratio'] > 1
    assert out['above_median_share'] == 1.0
    assert out['num_boxes'] == 1
    # all mass outside: ratio 0
    assert mass_in_boxes(1.0 - (m == 1), [BOX])['mass_ratio'] == 0.0


def test_any_map_scale_and_fractional_boxes():
    m = np.full((40, 50), 0.01)
    m[20:30, 10:30] = 1.0
    full = mass_in_boxes(m, [BOX])
    # the same map at half the size, boxes still in image pixels
    half = mass_in_boxes(m[::2, ::2], [BOX], image_shape=(40, 50))
    assert half == pytest.approx(full)
    # a box over half a map pixel covers half of it
    cover = box_coverage([(0, 0, 3, 2)], (2, 2), image_shape=(4, 4))[0]
    np.testing.assert_allclose(cover, [[1, 0.5], [0, 0]])


def test_union_of_overlapping_boxes_counts_once():
    boxes = [(0, 0, 10, 10), (5, 5, 15, 15)]
    out = mass_in_boxes(np.ones((20, 20)), boxes)
    assert out['area_share'] == pytest.approx((100 + 100 - 25) / 400)
    assert out['mass_ratio'] == pytest.approx(1.0)


def test_above_median_share_averages_the_boxes():
    # left half bright: the median is the dark value, so "above" = left half
    m = np.zeros((10, 20))
    m[:, :10] = 1
    boxes = [(0, 0, 10, 10),   # all above
             (5, 0, 15, 10),   # half
             (10, 0, 20, 5)]   # none
    assert above_median_share(m, boxes) == pytest.approx((1 + 0.5 + 0) / 3)
    # a gradient: the share above the median is the share right of centre
    ramp = np.tile(np.arange(20.0), (10, 1))
    assert above_median_share(ramp, [(5, 0, 15, 10)]) == pytest.approx(0.5)
    # above the 90th percentile: the two rightmost columns only
    assert above_quantile_share(ramp, [(5, 0, 15, 10)], 0.9) == 0.0
    assert above_quantile_share(ramp, [(15, 0, 20, 10)], 0.9) == \
        pytest.approx(2 / 5)
    with pytest.raises(ValueError, match='quantile must be in'):
        above_quantile_share(ramp, [(5, 0, 15, 10)], 1.0)


def test_summary_means_over_images():
    rows = [finding_attention(np.ones((10, 10)), [(0, 0, 5, 5)]),
            finding_attention(np.ones((10, 10)), [(0, 0, 5, 5)] * 2)]
    out = summarize_finding_attention(rows)
    assert out['mass_ratio'] == pytest.approx(1.0)
    assert (out['num_images'], out['num_boxes']) == (2, 3)
    with pytest.raises(ValueError, match='no images with findings'):
        summarize_finding_attention([])


@pytest.mark.parametrize('saliency_map,boxes,message', [
    (np.ones((4, 4, 3)), [BOX], 'expected an HxW attention map'),
    (np.zeros((40, 50)), [BOX], 'has no mass'),
    (-np.ones((40, 50)), [BOX], 'finite and non-negative'),
    (np.full((40, 50), np.nan), [BOX], 'finite and non-negative'),
    (np.ones((40, 50)), [], 'no finding boxes'),
    (np.ones((40, 50)), [(30, 20, 10, 30)], 'needs finite x1 < x2'),
    (np.ones((40, 50)), [(1, 2, 3)], 'must be (x1, y1, x2, y2)'),
    (np.ones((40, 50)), [(60, 0, 70, 10)], 'lies outside the 40x50 image'),
])
def test_bad_input(saliency_map, boxes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        finding_attention(saliency_map, boxes)


def test_bad_image_shape():
    with pytest.raises(ValueError, match='image_shape must be'):
        mass_in_boxes(np.ones((4, 4)), [(0, 0, 1, 1)], image_shape=(0, 4))


HEADER = 'image,split,grade,side,kind,compartment,x,y,x1,y1,x2,y2,severity\n'


def test_lesion_boxes_leave_out_the_landmarks(tmp_path):
    csv = tmp_path / 'findings.csv'
    csv.write_text(
        HEADER +
        'test/2/a.png,test,2,L,compartment,medial,5,5,0,0,10,10,0.0\n'
        'test/2/a.png,test,2,L,osteophyte,medial,5,5,2,3,8,9,0.4\n'
        'test/2/a.png,test,2,L,jsn,lateral,5,5,12,3,18,9,0.2\n'
        'test/0/b.png,test,0,R,compartment,lateral,5,5,0,0,10,10,0.0\n')
    assert load_lesion_boxes(str(csv)) == {
        'test/2/a.png': [(12.0, 3.0, 18.0, 9.0), (2.0, 3.0, 8.0, 9.0)],
        'test/0/b.png': []}


def test_lesion_boxes_name_the_file_and_column(tmp_path):
    csv = tmp_path / 'findings.csv'
    csv.write_text(HEADER.replace(',severity', '') +
                   'test/2/a.png,test,2,L,compartment,medial,5,5,0,0,10,10\n')
    with pytest.raises(ValueError, match=re.escape(
            f'{csv}: findings table header lacks column(s) severity')):
        load_lesion_boxes(str(csv))
    csv.write_text(
        HEADER +
        'test/2/a.png,test,2,L,compartment,medial,5,5,0,0,10,10,0.0\n'
        'test/2/a.png,test,2,L,jsn,medial,5,5,0,0,ten,10,0.2\n')
    with pytest.raises(ValueError, match=re.escape(
            f"{csv}:3: column 'x2': expected a finite number, got 'ten'")):
        load_lesion_boxes(str(csv))
