"""Decoded images in memory: the same pixels as decoding the files, decoded
once, shared by workers through a file, rebuilt when an image changes."""
import os
import pickle

import cv2
import numpy as np
import pytest
import torch
from mmpretrain.registry import DATASETS

from gca_mm.datasets import DecodedImageCache
from gca_mm.datasets.decoded_cache import shrink_side

LOAD = [dict(type='LoadXrayFromFile'),
        dict(type='LoadGazeMap', on_missing='uniform')]


def _dataset(root, cache_dir=None, pipeline=LOAD, split='train', **cache):
    return DATASETS.build(dict(
        type='KneeXrayDataset', data_root=root, split=split,
        gaze_map_root=os.path.join(root, 'maps'), pipeline=pipeline,
        decoded_cache=None if cache_dir is None else dict(
            cache_dir=str(cache_dir), **cache)))


def test_cached_pixels_and_maps_equal_the_files(tiny_knee_root, tmp_path):
    plain = _dataset(tiny_knee_root)
    cached = _dataset(tiny_knee_root, tmp_path)
    assert len(cached) == len(plain) == 10
    assert type(cached.pipeline.transforms[0]).__name__ == \
        'LoadFromDecodedCache' and len(cached.pipeline.transforms) == 1
    for i in range(len(plain)):
        a, b = plain[i], cached[i]
        np.testing.assert_array_equal(a['img'], b['img'])
        assert b['img'].shape == (64, 64, 3) and b['img'].dtype == np.uint8
        # maps are stored as the loader gives them (float32), read-only
        np.testing.assert_array_equal(a['gaze_map'], b['gaze_map'])
        assert not b['gaze_map'].flags.writeable
        assert b['gaze_map_scale_factor'] == (1.0, 1.0)
        assert b['gaze_map_fallback'] is None
    assert 'Decoded cache' in repr(cached)
    files = sorted(os.listdir(tmp_path))
    assert len(files) == 3 and not any(f.endswith('.tmp') for f in files)


def test_maps_beyond_float16_range_keep_their_scale(tmp_path):
    """Raw maps with values past float16's largest (65504) come back
    finite and exact."""
    from conftest import write_tiny_knee_tree
    root = str(tmp_path / 'data')
    write_tiny_knee_tree(root, splits=('train', ))
    for png in (tmp_path / 'data' / 'maps').rglob('*.png'):
        raw = cv2.imread(str(png), cv2.IMREAD_UNCHANGED).astype(np.float32)
        np.save(png.with_suffix('.npy'), raw * 10)  # up to 655350
    plain, cached = (DATASETS.build(dict(
        type='KneeXrayDataset', data_root=root, split='train',
        gaze_map_root=os.path.join(root, 'maps'), gaze_map_suffix='.npy',
        pipeline=LOAD, decoded_cache=cache)) for cache in (
            None, dict(cache_dir=str(tmp_path / 'cache'))))
    a, b = plain[0]['gaze_map'], cached[0]['gaze_map']
    assert a.max() > 65504 and np.isfinite(b).all()
    np.testing.assert_array_equal(b, a)


def test_second_dataset_reuses_the_cache(tiny_knee_root, tmp_path,
                                         monkeypatch):
    _dataset(tiny_knee_root, tmp_path)
    built = []
    monkeypatch.setattr(DecodedImageCache, '_write',
                        staticmethod(lambda *a: built.append(a)))
    again = _dataset(tiny_knee_root, tmp_path)
    assert not built  # opened, not decoded again
    assert again[0]['img'].shape == (64, 64, 3)


def test_a_changed_image_gives_a_new_cache(tmp_path):
    from conftest import write_tiny_knee_tree
    root = str(tmp_path / 'data')
    paths = write_tiny_knee_tree(root, splits=('train', ))
    first = _dataset(root, tmp_path / 'cache')
    old = first[0]['img'][..., 0].copy()
    target = first.get_data_info(0)['img_path']
    assert target in paths
    new = 255 - old
    cv2.imwrite(target, new)
    st = os.stat(target)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    second = _dataset(root, tmp_path / 'cache')
    np.testing.assert_array_equal(second[0]['img'][..., 0], new)
    assert second.cache.prefix != first.cache.prefix
    # the untouched images read the same
    np.testing.assert_array_equal(first[1]['img'], second[1]['img'])


def test_max_side_shrinks_images_and_maps(tiny_knee_root, tmp_path):
    small = _dataset(tiny_knee_root, tmp_path, max_side=32)
    out = small[0]
    assert out['img'].shape == (32, 32, 3)
    assert out['gaze_map'].shape == (32, 32)
    assert shrink_side((100, 50), 25) == (50, 25)
    assert shrink_side((100, 50), 80) == (100, 50)  # never enlarges
    assert shrink_side((100, 50), None) == (100, 50)


def test_bounded_maps_are_kept_at_their_resolution(tiny_knee_root,
                                                   tmp_path):
    """A map LoadGazeMap keeps below the image's resolution is cached at
    that resolution, with the scale factor that maps GCA's boxes onto it."""
    load = [dict(type='LoadXrayFromFile'),
            dict(type='LoadGazeMap', max_side=16)]
    plain = _dataset(tiny_knee_root, pipeline=load)[0]
    cached = _dataset(tiny_knee_root, tmp_path, pipeline=load)[0]
    assert cached['img'].shape == (64, 64, 3)
    assert cached['gaze_map'].shape == plain['gaze_map'].shape == (16, 16)
    assert cached['gaze_map_scale_factor'] == (0.25, 0.25)
    np.testing.assert_allclose(cached['gaze_map'], plain['gaze_map'],
                               rtol=1e-3, atol=1e-4)


def test_memory_bound_and_bad_settings_are_refused(tiny_knee_root,
                                                   tmp_path):
    with pytest.raises(ValueError, match='decoded_cache.max_bytes'):
        _dataset(tiny_knee_root, tmp_path, max_bytes=1000)
    assert not [f for f in os.listdir(tmp_path) if f.endswith('.json')]
    with pytest.raises(ValueError, match='decoded_cache must be'):
        DATASETS.build(dict(type='KneeXrayDataset', data_root=tiny_knee_root,
                            split='train', decoded_cache=dict(max_side=32)))
    with pytest.raises(ValueError, match='starts with LoadXrayFromFile'):
        _dataset(tiny_knee_root, tmp_path,
                 pipeline=[dict(type='PackInputs')])
    with pytest.raises(ValueError, match='max_side'):
        _dataset(tiny_knee_root, tmp_path, max_side=0)


def test_workers_read_the_file_not_a_copy(tiny_knee_root, tmp_path):
    dataset = _dataset(tiny_knee_root, tmp_path,
                       pipeline=LOAD[:1] + [dict(type='PackInputs')])
    dataset[0]  # the main process has opened its map of the files
    state = pickle.dumps(dataset.cache)
    assert len(state) < 10_000  # the index, not the pixels
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=5, num_workers=2,
        collate_fn=lambda batch: [b['inputs'] for b in batch])
    from_workers = [x for batch in loader for x in batch]
    for i, x in enumerate(from_workers):
        assert torch.equal(x, dataset[i]['inputs'])
