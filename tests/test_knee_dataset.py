"""KneeXrayDataset: class-folder, CSV and unlabeled layouts, gaze maps,
errors, and use through mmpretrain's registry."""
import re

import cv2
import numpy as np
import pytest
from mmengine.dataset import ClassBalancedDataset

import gca_mm  # noqa: F401
from gca_mm.datasets import KneeXrayDataset
from mmpretrain.registry import DATASETS

# (split, grade, name) of the images in the class-folder fixture
IMAGES = [
    ('train', 0, 'k1.png'), ('train', 0, 'k0.png'), ('train', 2, 'k2.png'),
    ('train', 4, 'k3.png'), ('val', 1, 'v0.png'), ('val', 3, 'v1.jpg'),
    ('auto_test', 2, 'a0.png')
]


def write_png(path, value=0, shape=(6, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full(shape, value, np.uint8))


@pytest.fixture
def root(tmp_path):
    root = tmp_path / 'knee'
    for i, (split, grade, name) in enumerate(IMAGES):
        write_png(root / split / str(grade) / name, value=10 * i)
    (root / 'train' / '1').mkdir()  # an empty grade folder is fine
    (root / 'train' / '0' / 'notes.txt').write_text('not an image')
    return root


def rel_paths(dataset, root):
    return [
        str(dataset.get_data_info(i)['img_path'])[len(str(root)) + 1:]
        for i in range(len(dataset))
    ]


def msg(path):
    return re.escape(str(path))


# ------------------------------------------------------------------ layouts
def test_class_folders_one_split(root):
    ds = KneeXrayDataset(data_root=str(root), split='train')
    assert rel_paths(ds, root) == [
        'train/0/k0.png', 'train/0/k1.png', 'train/2/k2.png', 'train/4/k3.png'
    ]
    assert ds.get_gt_labels().tolist() == [0, 0, 2, 4]
    assert ds.get_cat_ids(3) == [4]
    assert ds.CLASSES == ('KL0', 'KL1', 'KL2', 'KL3', 'KL4')
    info = ds.get_data_info(0)
    assert info['img_path'] == str(root / 'train/0/k0.png')
    assert isinstance(info['gt_label'], int)
    assert 'gaze_map_path' not in info


def test_class_folders_several_splits_sorted(root):
    ds = KneeXrayDataset(data_root=str(root), split=['val', 'train'])
    assert rel_paths(ds, root) == [
        'train/0/k0.png', 'train/0/k1.png', 'train/2/k2.png',
        'train/4/k3.png', 'val/1/v0.png', 'val/3/v1.jpg'
    ]
    assert ds.get_gt_labels().tolist() == [0, 0, 2, 4, 1, 3]
    auto = KneeXrayDataset(data_root=str(root), split='auto_test')
    assert rel_paths(auto, root) == ['auto_test/2/a0.png']


def test_extensions_filter(root):
    ds = KneeXrayDataset(data_root=str(root), split='val', extensions=['JPG'])
    assert rel_paths(ds, root) == ['val/3/v1.jpg']


def test_grade_folders_directly_in_data_root(root):
    ds = KneeXrayDataset(data_root=str(root / 'val'))
    assert ds.get_gt_labels().tolist() == [1, 3]


def test_csv_layout_keeps_row_order(root):
    (root / 'ann.csv').write_text('path,grade,side\n'
                                  'val/3/v1.jpg,4,L\n'
                                  'train/0/k0.png,1,R\n')
    ds = KneeXrayDataset(data_root=str(root), ann_file='ann.csv')
    assert rel_paths(ds, root) == ['val/3/v1.jpg', 'train/0/k0.png']
    assert ds.get_gt_labels().tolist() == [4, 1]  # grades from the CSV


def test_csv_unlabeled_needs_only_path(root):
    (root / 'paths.csv').write_text('path\ntrain/2/k2.png\n')
    ds = KneeXrayDataset(
        data_root=str(root), ann_file=str(root / 'paths.csv'),
        with_label=False)
    assert rel_paths(ds, root) == ['train/2/k2.png']
    assert 'gt_label' not in ds.get_data_info(0)


def test_unlabeled_pools_splits(root):
    ds = KneeXrayDataset(
        data_root=str(root), split=('train', 'val'), with_label=False)
    assert len(ds) == 6
    assert all('gt_label' not in ds.get_data_info(i) for i in range(len(ds)))
    with pytest.raises(ValueError, match='with_label=False'):
        ds.get_cat_ids(0)
    with pytest.raises(ValueError, match='with_label=False'):
        ds.get_gt_labels()


def test_unlabeled_flat_folder(tmp_path):
    for name in ('b.png', 'a.png', 'sub/c.tif'):
        write_png(tmp_path / 'flat' / name)
    write_png(tmp_path / 'flat' / '.hidden' / 'd.png')
    ds = KneeXrayDataset(data_root=str(tmp_path), split='flat',
                         with_label=False)
    assert rel_paths(ds, tmp_path) == [
        'flat/a.png', 'flat/b.png', 'flat/sub/c.tif'
    ]


# ---------------------------------------------------------------- gaze maps
def test_gaze_map_path_mapping(root, tmp_path):
    maps = tmp_path / 'maps'
    maps.mkdir()
    ds = KneeXrayDataset(
        data_root=str(root), split='val', gaze_map_root=str(maps),
        gaze_map_suffix='.npy')
    assert [ds.get_data_info(i)['gaze_map_path'] for i in range(2)] == [
        str(maps / 'val/1/v0.npy'), str(maps / 'val/3/v1.npy')
    ]


def test_require_gaze_map_keeps_images_with_maps(root, tmp_path):
    maps = tmp_path / 'maps'
    write_png(maps / 'train/2/k2.png')
    write_png(maps / 'val/3/v1.png')
    write_png(maps / 'train/0/k0.tif')  # other suffix: no match
    ds = KneeXrayDataset(
        data_root=str(root), split=['train', 'val'], gaze_map_root=str(maps),
        require_gaze_map=True)
    assert rel_paths(ds, root) == ['train/2/k2.png', 'val/3/v1.jpg']
    assert ds.get_data_info(1)['gaze_map_path'] == str(maps / 'val/3/v1.png')
    assert ds.get_gt_labels().tolist() == [2, 3]


def test_require_gaze_map_without_any_map(root, tmp_path):
    maps = tmp_path / 'maps'
    maps.mkdir()
    with pytest.raises(FileNotFoundError, match=msg(maps)):
        KneeXrayDataset(
            data_root=str(root), split='train', gaze_map_root=str(maps),
            require_gaze_map=True)


def test_missing_gaze_map_root(root, tmp_path):
    with pytest.raises(FileNotFoundError, match=msg(tmp_path / 'nomaps')):
        KneeXrayDataset(data_root=str(root), split='train',
                        gaze_map_root=str(tmp_path / 'nomaps'))


# ------------------------------------------------------------------- errors
def test_missing_data_root(tmp_path):
    with pytest.raises(FileNotFoundError, match=msg(tmp_path / 'nope')):
        KneeXrayDataset(data_root=str(tmp_path / 'nope'), split='train')


def test_missing_split_lists_existing(root):
    with pytest.raises(FileNotFoundError) as err:
        KneeXrayDataset(data_root=str(root), split=['train', 'tset'])
    assert str(root / 'tset') in str(err.value)
    assert "['auto_test', 'train', 'val']" in str(err.value)


def test_bad_grade_folder(root):
    write_png(root / 'train' / '5' / 'x.png')
    with pytest.raises(ValueError, match=msg(root / 'train' / '5')):
        KneeXrayDataset(data_root=str(root), split='train')


def test_images_outside_grade_folders_need_with_label_false(root):
    write_png(root / 'train' / 'loose.png')
    with pytest.raises(ValueError, match='with_label=False'):
        KneeXrayDataset(data_root=str(root), split='train')


def test_empty_dataset_names_folders_and_extensions(tmp_path):
    (tmp_path / 'train' / '0').mkdir(parents=True)
    (tmp_path / 'train' / '0' / 'a.txt').write_text('')
    with pytest.raises(FileNotFoundError) as err:
        KneeXrayDataset(data_root=str(tmp_path), split='train')
    assert str(tmp_path / 'train') in str(err.value)
    assert '.png' in str(err.value)


def test_csv_missing_columns(root):
    (root / 'ann.csv').write_text('file,kl\ntrain/0/k0.png,0\n')
    with pytest.raises(ValueError, match=msg(root / 'ann.csv') + '.*grade'):
        KneeXrayDataset(data_root=str(root), ann_file='ann.csv')


def test_csv_unknown_grade_names_line(root):
    (root / 'ann.csv').write_text('path,grade\n'
                                  'train/0/k0.png,0\n'
                                  'train/2/k2.png,KL2\n')
    with pytest.raises(ValueError,
                       match=msg(root / 'ann.csv') + ', line 3.*KL2'):
        KneeXrayDataset(data_root=str(root), ann_file='ann.csv')


def test_csv_missing_image_names_line(root):
    (root / 'ann.csv').write_text('path,grade\ntrain/0/gone.png,0\n')
    with pytest.raises(
            FileNotFoundError,
            match=msg(root / 'ann.csv') + ', line 2.*' +
            msg(root / 'train/0/gone.png')):
        KneeXrayDataset(data_root=str(root), ann_file='ann.csv')


def test_csv_duplicate_row(root):
    (root / 'ann.csv').write_text('path,grade\ntrain/0/k0.png,0\n'
                                  'train/0/k0.png,0\n')
    with pytest.raises(ValueError, match='line 3.*line 2'):
        KneeXrayDataset(data_root=str(root), ann_file='ann.csv')


def test_missing_ann_file(root):
    with pytest.raises(FileNotFoundError, match=msg(root / 'none.csv')):
        KneeXrayDataset(data_root=str(root), ann_file='none.csv')


@pytest.mark.parametrize('kwargs, match', [
    (dict(split='train', ann_file='a.csv'), 'split'),
    (dict(require_gaze_map=True), 'gaze_map_root'),
    (dict(split=[]), 'split'),
    (dict(data_prefix='train'), 'data_prefix'),
])
def test_argument_errors(root, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        KneeXrayDataset(data_root=str(root), **kwargs)


# ---------------------------------------------------- use with mmpretrain
def test_build_from_config_with_pipeline(root):
    ds = DATASETS.build(
        dict(
            type='KneeXrayDataset',
            data_root=str(root),
            split='train',
            pipeline=[
                dict(type='LoadXrayFromFile'),
                dict(type='Resize', scale=(4, 4)),
                dict(type='PackInputs')
            ]))
    item = ds[2]
    assert tuple(item['inputs'].shape) == (3, 4, 4)
    assert item['data_samples'].gt_label.tolist() == [2]
    assert 'Splits' in repr(ds) and 'LoadXrayFromFile' in repr(ds)


def test_lazy_init_and_indices(root):
    lazy = KneeXrayDataset(data_root=str(root / 'missing'), lazy_init=True)
    with pytest.raises(FileNotFoundError, match='missing'):
        lazy.full_init()
    sub = KneeXrayDataset(data_root=str(root), split='train', indices=2)
    assert rel_paths(sub, root) == ['train/0/k0.png', 'train/0/k1.png']


def test_class_balanced_wrapper_uses_grades(root):
    ds = KneeXrayDataset(data_root=str(root), split='train')
    balanced = ClassBalancedDataset(ds, oversample_thr=0.5)
    # KL0 holds half the images; KL2 and KL4 are repeated
    assert len(balanced) > len(ds)
    assert balanced.get_cat_ids(len(balanced) - 1) == [4]
