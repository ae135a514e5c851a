"""An mmengine file backend for local files whose writes are atomic: a run
killed while saving leaves the previous file (or none), never a truncated
one.

It is registered under its own name, ``'atomic_local'``; mmengine's
``'local'`` backend is not replaced. A config asks for it where the runner
writes, e.g. ``default_hooks.checkpoint.backend_args =
dict(backend='atomic_local')`` (gca_mm's configs do).
"""
from mmengine.fileio import LocalBackend, register_backend

from ..utils.atomic import atomic_write_bytes

#: the name configs give as ``backend_args=dict(backend=ATOMIC_BACKEND)``
ATOMIC_BACKEND = 'atomic_local'


class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` whose ``put`` / ``put_text`` write a
    temporary file beside the target and rename it over the target."""

    def put(self, obj, filepath):
        atomic_write_bytes(filepath, obj)

    def put_text(self, obj, filepath, encoding='utf-8'):
        atomic_write_bytes(filepath, obj.encode(encoding))


def register_atomic_backend():
    """Register :class:`AtomicLocalBackend` as mmengine's file backend
    ``'atomic_local'`` (no URI prefix: it is used only where asked for)."""
    register_backend(ATOMIC_BACKEND, AtomicLocalBackend, force=True)
