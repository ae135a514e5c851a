"""The experiments find gca_mm's configs and tools without the checkout's
path: by argument, environment variable or the installed package data."""
import os.path as osp

import pytest

from gca_mm.experiments import config_dir, tools_dir
from gca_mm.experiments.benchmark import pretrain_config
from runner_utils import REPO


def test_package_data_holds_the_configs_and_tools(monkeypatch):
    monkeypatch.delenv('GCA_MM_CONFIG_DIR', raising=False)
    found = config_dir()
    assert osp.isfile(osp.join(found, 'mocov3_knee.py'))
    assert osp.samefile(found, osp.join(REPO, 'configs'))  # editable install
    assert osp.isfile(osp.join(tools_dir(), 'train.py'))


def test_argument_then_environment(tmp_path, monkeypatch):
    (tmp_path / 'mocov3_knee.py').write_text('')
    assert config_dir(str(tmp_path)) == str(tmp_path)
    monkeypatch.setenv('GCA_MM_CONFIG_DIR', str(tmp_path))
    assert config_dir() == str(tmp_path)
    assert pretrain_config('mocov3', 'gca') == str(
        tmp_path / 'mocov3_gca_knee.py')


def test_a_folder_without_the_configs_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'no mocov3_knee\.py in .*'
                       r'\(argument\).*--config-dir.*GCA_MM_CONFIG_DIR'):
        config_dir(str(tmp_path))
