"""gca_mm: Gaze-Conditioned Augmentation for OpenMMLab self-supervised learning.

``import gca_mm`` (or ``custom_imports = dict(imports=['gca_mm'])`` in a
config) changes exactly this, once per process:

1. registers gca_mm's modules into mmpretrain's registries (DATASETS,
   TRANSFORMS, MODELS, METRICS, HOOKS, RUNNERS, OPTIM_WRAPPERS), and, when
   mmselfsup is installed, mirrors them into mmselfsup's and puts a
   placeholder module at ``mmselfsup.engine.runner`` (a module mmselfsup
   1.0.0's registry names but its wheel lacks);
2. on torch >= 2.6: adds mmengine's log buffer and numpy's arrays, scalars
   and dtypes (and a ``getattr`` limited to the log buffer's statistics) to
   torch's weights-only allow-list, and makes mmengine's loader of local
   checkpoints load weights-only with an error naming a refused file;
3. registers the file backend ``'atomic_local'`` (atomic writes), which a
   config uses by name; mmengine's ``'local'`` backend is left as it is;
4. hides mmcv-lite's warning about its missing compiled op.

``gca_mm.experiments`` (benchmark, demo, view analysis) is not imported.
"""
import warnings

# mmcv-lite has no compiled ops; gca_mm and mmpretrain never use the one
# mmcv warns about on import.
warnings.filterwarnings(
    'ignore', message='Fail to import ``MultiScaleDeformableAttention``')

from .compat import (enable_safe_checkpoint_loading,  # noqa: E402
                     register_atomic_backend, register_into_mmselfsup)
from .version import __version__  # noqa: E402

from . import datasets, engine, evaluation, models  # noqa: F401,E402
from .apis import apply_gca  # noqa: E402

enable_safe_checkpoint_loading()
register_atomic_backend()
register_into_mmselfsup()

__all__ = ['__version__', 'apply_gca']
