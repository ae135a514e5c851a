from .runner import GCARunner

__all__ = ['GCARunner']

from .cpu_distributed import (CPUDistributedDataParallel,  # noqa: E402
                              setup_cpu_distributed)
from .hooks import (ChannelsLastHook,  # noqa: E402
                    DeterministicAugmentationHook)
from .optimizers import CPUAmpOptimWrapper, cpu_supports_bf16  # noqa: E402

__all__ += ['DeterministicAugmentationHook', 'ChannelsLastHook',
            'CPUAmpOptimWrapper', 'cpu_supports_bf16',
            'CPUDistributedDataParallel', 'setup_cpu_distributed']
