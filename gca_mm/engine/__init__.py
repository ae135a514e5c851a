from .runner import GCARunner

__all__ = ['GCARunner']

from .cpu_distributed import (CPUDistributedDataParallel,  # noqa: E402
                              setup_cpu_distributed)
from .hooks import DeterministicAugmentationHook  # noqa: E402

__all__ += ['DeterministicAugmentationHook', 'CPUDistributedDataParallel',
            'setup_cpu_distributed']
