from .atomic_backend import AtomicLocalBackend, enable_atomic_local_writes
from .checkpoint import (enable_safe_checkpoint_loading, guarded_getattr,
                         safe_checkpoint_globals)
from .mmselfsup import mmselfsup_available, register_into_mmselfsup

__all__ = [
    'AtomicLocalBackend', 'enable_atomic_local_writes',
    'enable_safe_checkpoint_loading', 'guarded_getattr',
    'safe_checkpoint_globals', 'mmselfsup_available', 'register_into_mmselfsup'
]
