import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope

import gca_mm  # noqa: F401  (registers all modules once)


def write_tiny_knee_tree(root, splits=('train', 'val', 'test'), per_grade=2,
                         size=64, seed=0):
    """Class-folder layout of small grey PNGs whose bright blob moves with
    the grade; enough for pipelines and a few training iterations."""
    rng = np.random.default_rng(seed)
    paths = []
    for split in splits:
        for grade in range(5):
            for i in range(per_grade):
                img = rng.integers(0, 60, (size, size)).astype(np.uint8)
                cx = int(size * (0.2 + 0.15 * grade))
                cv2.circle(img, (cx, size // 2), size // 8, 220, -1)
                path = osp.join(root, split, str(grade), f'knee_{i:03d}.png')
                paths.append(path)

                os.makedirs(osp.dirname(path), exist_ok=True)
                cv2.imwrite(path, img)
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
