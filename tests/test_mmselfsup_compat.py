"""The legacy mmselfsup 1.x stack sees gca_mm's modules and trains."""
import sys

import pytest
from mmengine.runner import Runner

from gca_mm.compat import mmselfsup_available, register_into_mmselfsup
from runner_utils import tiny_cfg

pytestmark = pytest.mark.skipif(
    not mmselfsup_available(), reason='mmselfsup is an optional extra')


def test_modules_mirrored_into_mmselfsup_registries():
    import mmpretrain.registry as mmpretrain_registry
    import mmselfsup.registry as mmselfsup_registry
    names = register_into_mmselfsup()
    assert 'DATASETS.KneeXrayDataset' in names
    assert 'TRANSFORMS.LoadXrayFromFile' in names
    assert 'TRANSFORMS.GazeConditionedAugment' in names
    for entry in names:
        reg, name = entry.split('.')
        assert getattr(mmselfsup_registry, reg).get(name) is \
            getattr(mmpretrain_registry, reg).get(name)
    assert 'mmselfsup.engine.runner' in sys.modules


def test_mmselfsup_mocov3_config_trains(tiny_knee_root, tmp_path):
    cfg = tiny_cfg('configs/mmselfsup/mocov3_knee.py', tiny_knee_root,
                   tmp_path)
    runner = Runner.from_cfg(cfg)
    assert type(runner.model).__module__.startswith('mmselfsup.')
    runner.train()
    assert runner.iter == 2
    assert (tmp_path / 'epoch_1.pth').is_file()
