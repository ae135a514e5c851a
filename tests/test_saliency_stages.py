"""The saliency stages' config: its schedule follows the epochs asked for."""
import pytest
from mmengine.config import Config

from gca_mm.experiments.saliency_stages import SaliencyStages


def _schedule(tmp_path, epochs):
    stages = SaliencyStages(str(tmp_path / 'data'), str(tmp_path / 'work'),
                            epochs=epochs, seed=3)
    cfg = Config.fromfile(stages.config)
    return cfg


def test_schedule_spans_the_epochs(tmp_path):
    cfg = _schedule(tmp_path, 5)
    assert cfg.train_cfg.max_epochs == 5
    assert cfg.randomness.seed == 3
    warmup, cosine = cfg.param_scheduler
    assert (warmup.begin, warmup.end) == (0, 1)
    assert (cosine.begin, cosine.end, cosine.T_max) == (1, 5, 4)


def test_one_epoch_is_the_warmup_alone(tmp_path):
    # a cosine stage from epoch 1 to 1 is refused by mmengine
    cfg = _schedule(tmp_path, 1)
    assert cfg.train_cfg.max_epochs == 1
    assert [s.type for s in cfg.param_scheduler] == ['LinearLR']


@pytest.mark.parametrize('epochs', [0, -2, 1.5])
def test_bad_epochs_are_refused(tmp_path, epochs):
    with pytest.raises(ValueError, match='saliency epochs'):
        SaliencyStages(str(tmp_path), str(tmp_path), epochs=epochs)
