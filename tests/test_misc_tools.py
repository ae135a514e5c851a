"""tools/misc: the effective config of GCARunner, printed or written as an
explicit config that runs without it."""
import importlib.util
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from gca_mm.apis import effective_config
from runner_utils import REPO, tiny_cfg


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', 'misc', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _types(pipeline):
    return [t['type'] for t in pipeline]


def test_print_config_shows_the_views_gcarunner_builds(capsys):
    tool = load_tool('print_config')
    tool.main([osp.join(REPO, 'configs', 'mocov3_gca_knee.py'),
               '--gca-options', 'min_attention=0.8'])
    gca = capsys.readouterr().out
    assert gca.startswith('# ') and 'as GCARunner runs it' in gca
    assert "type='GazeConditionedAugment'" in gca
    assert 'min_attention=0.8' in gca and "type='LoadGazeMap'" in gca
    tool.main([osp.join(REPO, 'configs', 'mocov3_knee.py')])
    stock = capsys.readouterr().out
    assert 'GazeConditionedAugment' not in stock
    assert "type='RandomResizedCrop'" in stock


def test_converted_config_trains_without_gcarunner(tiny_knee_root, tmp_path):
    out = str(tmp_path / 'mocov3_gca_explicit.py')
    maps = osp.join(tiny_knee_root, 'maps')
    load_tool('gca_convert_config').main([
        osp.join(REPO, 'configs', 'mocov3_gca_knee.py'), out,
        '--gaze-map-root', maps])
    with open(out) as f:
        assert f.readline().startswith('# The GCA version of')
    explicit = Config.fromfile(out)
    assert 'runner_type' not in explicit and 'gca' not in explicit
    # the very config GCARunner would run
    runner_view = effective_config(
        Config.fromfile(osp.join(REPO, 'configs', 'mocov3_gca_knee.py')),
        gaze_map_root=maps)
    assert explicit.train_dataloader == runner_view.train_dataloader
    pipeline = explicit.train_dataloader.dataset.pipeline
    assert _types(pipeline)[:3] == ['LoadXrayFromFile', 'LoadGazeMap',
                                    'MultiView']
    assert all(view[0]['type'] == 'GazeConditionedAugment'
               for view in pipeline[2]['transforms'])

    cfg = tiny_cfg(out, tiny_knee_root, tmp_path / 'work')
    runner = Runner.from_cfg(cfg)  # mmengine's own Runner
    assert type(runner) is Runner
    runner.train()
    assert runner.iter == 2
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert all(torch.isfinite(torch.tensor(losses)))
