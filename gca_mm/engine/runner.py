"""A Runner that builds the GCA version of the config it is given."""
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..apis.gca_config import effective_config


@RUNNERS.register_module()
class GCARunner(Runner):
    """mmengine's Runner applying :func:`gca_mm.apply_gca` with the config's
    ``gca`` dict first, so a stock config turns GCA on with::

        _base_ = 'mmpretrain::simsiam/simsiam_resnet50_8xb32-coslr-100e_in1k.py'
        custom_imports = dict(imports=['gca_mm'])
        runner_type = 'GCARunner'
        gca = dict(gaze_map_root='data/maps')

    Works with mmpretrain's stock ``tools/train.py`` as well as ours. The
    conversion happens here, so ``print_config`` and the dataset browser of
    mmpretrain show the stock views: ``tools/misc/print_config.py`` prints
    what this runner runs, and ``tools/misc/gca_convert_config.py`` writes
    it as an explicit config that needs no ``GCARunner`` (the
    ``runner_type`` slot stays free for another runner).
    """

    @classmethod
    def from_cfg(cls, cfg):
        return super().from_cfg(effective_config(cfg))
