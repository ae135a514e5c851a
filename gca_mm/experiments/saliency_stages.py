"""The gaze-saliency half of a job, as resumable stages: train the saliency
model on the images with gaze, evaluate it against its baselines, and
predict an attention map for every image (what the GCA configs read).

One place for the demo (``tools/demo.py``) and the benchmark's
``--prepare`` (``tools/benchmark.py``), so both make their maps the same
way: the same config, epochs and seed give the same maps on the same
machine, which is what lets a later benchmark run carry over cells whose
maps it can fingerprint (:mod:`gca_mm.experiments.provenance`).
"""
import functools
import json
import os.path as osp

from mmengine.config import Config

from ..utils import atomic_write_text
from .config_dir import config_dir, tools_dir
from .stages import Stage, run_script

#: the saliency model both jobs train (``configs/``)
SALIENCY_CONFIG = 'gaze_saliency_resnet18_knee.py'
#: progress lines of the child processes shown on the console
ECHO = r'Epoch\((train|val|test)\)|images/s|written'


class SaliencyStages:
    """Train, evaluate and apply the gaze-saliency model on ``data_root``
    (data made by ``tools/make_demo_data.py``: ``gaze/maps`` and
    ``gaze/fixations.csv`` below it).

    Args:
        data_root (str): the images, with gaze for some of them.
        work_dir (str): the model, its scores and the logs go here
            (``saliency/``, ``logs/``).
        maps_dir (str): where the predicted maps are written, mirroring
            the image tree. Defaults to ``<data_root>/saliency_maps``, where
            the GCA configs and ``tools/benchmark.py`` look.
        epochs (int): training epochs. Defaults to 30 (the paper's).
        seed (int): training seed.
        configs, tools (str, optional): gca_mm's configs and tools
            (:func:`~gca_mm.experiments.config_dir`).
    """

    def __init__(self, data_root, work_dir, maps_dir=None, epochs=30,
                 seed=0, configs=None, tools=None):
        if not isinstance(epochs, int) or epochs < 1:
            raise ValueError(
                f'saliency epochs: expected a whole number >= 1, got '
                f'{epochs!r}')
        self.data_root = data_root
        self.work_dir = work_dir
        self.maps_dir = maps_dir or osp.join(data_root, 'saliency_maps')
        self.epochs = epochs
        self.seed = seed
        self.configs = configs
        self.tools = tools
        self.model_dir = osp.join(work_dir, 'saliency')
        self.checkpoint = osp.join(self.model_dir, f'epoch_{epochs}.pth')
        self.metrics = osp.join(self.model_dir, 'test_metrics.json')
        self.baselines = osp.join(self.model_dir, 'baselines.json')
        self.ceiling = osp.join(self.model_dir, 'gaze_ceiling.json')
        # written last by predict(): the maps are complete
        self.maps_done = osp.join(work_dir, 'saliency_maps.json')

    def _script(self, name):
        return osp.join(tools_dir(self.tools), name)

    def _log(self, name):
        return dict(log_file=osp.join(self.work_dir, 'logs', f'{name}.log'),
                    echo=ECHO)

    @functools.cached_property
    def config(self):
        """Path of the saliency config pointed at this data, epochs and
        seed (written into the model's folder)."""
        cfg = Config.fromfile(osp.join(config_dir(self.configs),
                                       SALIENCY_CONFIG))
        gaze = osp.join(self.data_root, 'gaze')
        for name in ('train', 'val', 'test'):
            dataset = cfg[f'{name}_dataloader'].dataset
            dataset.update(data_root=self.data_root,
                           gaze_map_root=osp.join(gaze, 'maps'))
            for t in dataset.pipeline:
                if t.type == 'LoadFixations':
                    t.update(data_root=self.data_root,
                             fixation_file=osp.join(gaze, 'fixations.csv'))
        cfg.train_cfg.max_epochs = self.epochs
        if self.epochs > 1:
            cfg.param_scheduler[-1].update(T_max=self.epochs - 1,
                                           end=self.epochs)
        else:
            # one epoch is the warm-up alone: the cosine stage would span
            # epochs 1..1, which mmengine refuses (end must exceed begin)
            cfg.param_scheduler = cfg.param_scheduler[:1]
        cfg.randomness.seed = self.seed
        path = osp.join(self.model_dir, 'saliency_config.py')
        atomic_write_text(path, cfg.pretty_text)
        return path

    def train(self):
        run_script(self._script('train.py'), self.config, '--work-dir',
                   self.model_dir, '--resume', **self._log('saliency_train'))

    def evaluate(self):
        """The model's scores on held-out gaze, its baselines (centre bias,
        mean map) and the inter-reader ceiling."""
        run_script(self._script('test.py'), self.config, self.checkpoint,
                   '--work-dir', self.model_dir, '--metrics-out',
                   self.metrics, **self._log('saliency_test'))
        run_script(self._script('saliency_baselines.py'), self.config,
                   '--out', self.baselines, **self._log('saliency_baselines'))
        run_script(self._script('gaze_ceiling.py'),
                   osp.join(self.data_root, 'gaze', 'fixations.csv'),
                   '--images', self.data_root, '--out', self.ceiling,
                   **self._log('gaze_ceiling'))

    def predict(self):
        run_script(self._script('predict_saliency.py'), self.config,
                   self.checkpoint, '--data-root', self.data_root, '--out',
                   self.maps_dir, **self._log('predict_saliency'))
        atomic_write_text(self.maps_done, json.dumps(dict(
            checkpoint=self.checkpoint, out=self.maps_dir)))

    def stages(self, evaluate=True):
        """:class:`~gca_mm.experiments.Stage` list: train, (evaluate),
        predict."""
        out = [Stage('gaze-saliency model: training', self.train,
                     lambda: osp.isfile(self.checkpoint), 6 * self.epochs)]
        if evaluate:
            out.append(Stage(
                'gaze-saliency model: evaluation and baselines',
                self.evaluate, lambda: all(osp.isfile(p) for p in (
                    self.metrics, self.baselines, self.ceiling)), 50))
        out.append(Stage('attention maps for every image', self.predict,
                         lambda: osp.isfile(self.maps_done), 45))
        return out


__all__ = ['SALIENCY_CONFIG', 'SaliencyStages']
