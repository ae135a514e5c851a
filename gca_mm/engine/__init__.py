from .cpu_distributed import CPUDistributedDataParallel, setup_cpu_distributed
from .hooks import ChannelsLastHook, DeterministicAugmentationHook
from .optimizers import CPUAmpOptimWrapper, cpu_supports_bf16
from .runners import GCARunner

__all__ = [
    'GCARunner', 'DeterministicAugmentationHook', 'ChannelsLastHook',
    'CPUAmpOptimWrapper', 'cpu_supports_bf16', 'CPUDistributedDataParallel',
    'setup_cpu_distributed'
]
