import copy

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmpretrain.registry import TRANSFORMS

from gca_mm.datasets.transforms.gca_sampling import summed_area_table
from gca_mm.datasets.transforms.shared_map import (SharedGazeMap,
                                                   SharedSummedAreaTable,
                                                   share_gaze_map)


def blob(shape=(24, 32)):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    return np.exp(-((xx - 22)**2 + (yy - 8)**2) / 4.5).astype(np.float32)


def test_shared_table_is_computed_once_and_only_for_its_map():
    m = blob()  # not symmetric: a flip changes it
    shared = SharedSummedAreaTable(m)
    assert copy.deepcopy(shared) is shared  # MultiView's copies share it
    table = shared.get(copy.deepcopy(m))
    np.testing.assert_array_equal(table, summed_area_table(m))
    assert shared.get(m.copy()) is table  # not recomputed
    flipped = np.ascontiguousarray(m[:, ::-1])
    other = shared.get(flipped)  # a map changed before GCA
    assert other is not table
    np.testing.assert_array_equal(other, summed_area_table(flipped))
    edited = m.copy()  # one pixel changed, between any sampling grid's
    edited[1, 1] += 1.0
    np.testing.assert_array_equal(shared.get(edited),
                                  summed_area_table(edited))


def test_shared_map_is_read_only_and_shared_by_deep_copies():
    results = {}
    m = blob()
    shared = share_gaze_map(results, m)
    assert results['gaze_map'] is shared
    assert isinstance(shared, SharedGazeMap)
    np.testing.assert_array_equal(shared, m)
    with pytest.raises(ValueError, match='read-only'):
        shared[0, 0] = 1.0
    with pytest.raises(ValueError):
        shared.flags.writeable = True
    copied = copy.deepcopy(results)
    assert copied['gaze_map'] is shared
    assert copied['gaze_map_sat'] is results['gaze_map_sat']
    # the table is the shared map's, computed once for every copy
    table = copied['gaze_map_sat'].get(copied['gaze_map'])
    assert results['gaze_map_sat'].get(shared) is table


def test_arithmetic_and_writable_copies_of_a_shared_map_are_plain():
    shared = share_gaze_map({}, blob())
    for out in (shared * 2, shared / shared.max(), np.sqrt(shared),
                shared.max()):
        assert type(out) is not SharedGazeMap
    writable = shared.copy()
    writable[0, 0] = 5.0
    copied = copy.deepcopy(writable)
    assert type(copied) is np.ndarray and copied is not writable
    assert copied[0, 0] == 5.0
    into = np.empty_like(shared.view(np.ndarray))
    np.multiply(shared, 2, out=into)
    np.testing.assert_array_equal(into, blob() * 2)


def test_multiview_views_share_the_loaded_map(tmp_path):
    import cv2
    m = blob((48, 64))
    img = np.rint(m / m.max() * 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    cv2.imwrite(str(tmp_path / 'a_map.png'),
                np.rint(m / m.max() * 65535).astype(np.uint16))
    seen = []

    class Spy:  # records the map each view receives

        def __call__(self, results):
            seen.append(results['gaze_map'])
            return results

    with DefaultScope.overwrite_default_scope('mmpretrain'):
        load = TRANSFORMS.build(dict(type='LoadGazeMap'))
        views = TRANSFORMS.build(
            dict(type='MultiView', num_views=2, transforms=[[Spy()]]))
    results = dict(img=img, img_shape=img.shape,
                   gaze_map_path=str(tmp_path / 'a_map.png'))
    results = views(load(results))
    assert len(seen) == 2
    assert seen[0] is seen[1] is results['gaze_map']
    assert not results['gaze_map'].flags.writeable


def test_saliency_target_is_a_writable_plain_copy():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        to_target = TRANSFORMS.build(dict(type='GazeMapToTarget'))
    results = {}
    share_gaze_map(results, blob())
    target = to_target(results)['gt_saliency']
    assert type(target) is np.ndarray and target.flags.writeable
    assert target.flags.c_contiguous
    np.testing.assert_array_equal(target, blob())
