"""Atomic local writes for everything mmengine writes through its file
backends: checkpoints, dumped configs, results. A run killed while saving
leaves the previous file (or none), never a truncated one."""
from mmengine.fileio import LocalBackend, register_backend

from ..utils.atomic import atomic_write_bytes


class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` whose ``put`` / ``put_text`` write a
    temporary file beside the target and rename it over the target."""

    def put(self, obj, filepath):
        atomic_write_bytes(filepath, obj)

    def put_text(self, obj, filepath, encoding='utf-8'):
        atomic_write_bytes(filepath, obj.encode(encoding))


def enable_atomic_local_writes():
    """Make :class:`AtomicLocalBackend` mmengine's backend for local
    paths."""
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
