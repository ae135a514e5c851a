"""gca_mm: Gaze-Conditioned Augmentation for OpenMMLab self-supervised learning.

``import gca_mm`` (or ``custom_imports = dict(imports=['gca_mm'])`` in a
config) registers every module of the package into mmpretrain's registries,
and into mmselfsup's when mmselfsup is installed, enables weights-only
loading of mmengine checkpoints on torch >= 2.6, and makes mmengine's local
file writes (checkpoints included) atomic.
"""
import warnings

# mmcv-lite has no compiled ops; gca_mm and mmpretrain never use the one
# mmcv warns about on import.
warnings.filterwarnings(
    'ignore', message='Fail to import ``MultiScaleDeformableAttention``')

from .compat import (enable_atomic_local_writes,  # noqa: E402
                     enable_safe_checkpoint_loading, register_into_mmselfsup)
from .version import __version__  # noqa: E402

from . import datasets, engine, evaluation, models  # noqa: F401,E402
from .apis import apply_gca  # noqa: E402

enable_safe_checkpoint_loading()
enable_atomic_local_writes()
register_into_mmselfsup()

__all__ = ['__version__', 'apply_gca']
