"""tools/analysis/gca_throughput.py: one run times GCA against stock at the
demo's size and at DICOM size."""
import importlib.util
import json
import os.path as osp

from runner_utils import REPO


def test_gca_throughput_tool_end_to_end(tiny_knee_root, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'gca_throughput', osp.join(REPO, 'tools', 'analysis',
                                   'gca_throughput.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'report.json'
    tool.main([
        '--stock', osp.join(REPO, 'configs', 'mocov3_knee.py'), '--gca',
        osp.join(REPO, 'configs', 'mocov3_gca_knee.py'), '--data-root',
        tiny_knee_root, '--gaze-map-root', osp.join(tiny_knee_root, 'maps'),
        '--images', '2', '--rounds', '1', '--dicom-images', '1',
        '--dicom-rounds', '1', '--work-dir', str(tmp_path / 'work'),
        '--out', str(out)])
    printed = capsys.readouterr().out
    assert 'demo' in printed and 'DICOM size' in printed
    report = json.loads(out.read_text())
    assert report['demo']['image_shape'] == [64, 64]
    assert report['demo_from_files']['images'] == 2
    dicom = report['dicom']
    assert dicom['image_shape'] == [2560, 2048]
    # the bounded map GCA works on, and the full-resolution one it replaces
    assert dicom['map_shape'] == [320, 256]
    assert set(dicom['images_per_s']) == {'stock', 'gca', 'gca_full_map'}
    # the pipelines timed are the training datasets': decoded images in
    # memory, or (from files) the loaders GCA adds its map loader to
    assert list(report['demo']['step_us']['gca']) == [
        'LoadFromDecodedCache', 'MultiView', 'PackInputs']
    assert list(report['demo_from_files']['step_us']['gca']) == [
        'LoadXrayFromFile', 'LoadGazeMap', 'MultiView', 'PackInputs']
