import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope

import gca_mm  # noqa: F401  (registers all modules once)


def write_tiny_knee_tree(root, splits=('train', 'val', 'test'), per_grade=2,
                         size=64, seed=0, map_dir='maps'):
    """Class-folder layout of small grey PNGs whose bright blob moves with
    the grade, and (with ``map_dir``) a 16-bit attention map per image
    peaked on the blob, under ``<root>/<map_dir>`` mirroring the images;
    enough for pipelines and a few training iterations."""
    rng = np.random.default_rng(seed)
    paths = []
    for split in splits:
        for grade in range(5):
            for i in range(per_grade):
                img = rng.integers(0, 60, (size, size)).astype(np.uint8)
                cx = int(size * (0.2 + 0.15 * grade))
                cv2.circle(img, (cx, size // 2), size // 8, 220, -1)
                rel = osp.join(split, str(grade), f'knee_{i:03d}.png')
                path = osp.join(root, rel)
                paths.append(path)
                os.makedirs(osp.dirname(path), exist_ok=True)
                cv2.imwrite(path, img)
                if map_dir:
                    yy, xx = np.mgrid[:size, :size]
                    blob = np.exp(-((xx - cx)**2 + (yy - size // 2)**2) /
                                  (2 * (size / 10)**2))
                    map_path = osp.join(root, map_dir, rel)
                    os.makedirs(osp.dirname(map_path), exist_ok=True)
                    cv2.imwrite(map_path, (blob * 65535).astype(np.uint16))
    return paths


@pytest.fixture(scope='session')
def tiny_knee_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('tiny_knee')
    write_tiny_knee_tree(str(root))
    return str(root)


@pytest.fixture(autouse=True)
def mmpretrain_default_scope():
    """Each test starts in mmpretrain's scope, whatever scope a Runner built
    by an earlier test (e.g. an mmselfsup one) left current."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield
