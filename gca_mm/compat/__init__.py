from .atomic_backend import (ATOMIC_BACKEND, AtomicLocalBackend,
                             register_atomic_backend)
from .checkpoint import (enable_safe_checkpoint_loading, guarded_getattr,
                         safe_checkpoint_globals)
from .mmselfsup import mmselfsup_available, register_into_mmselfsup

__all__ = [
    'ATOMIC_BACKEND', 'AtomicLocalBackend', 'register_atomic_backend',
    'enable_safe_checkpoint_loading', 'guarded_getattr',
    'safe_checkpoint_globals', 'mmselfsup_available', 'register_into_mmselfsup'
]
