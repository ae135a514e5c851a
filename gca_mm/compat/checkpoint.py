"""Weights-only checkpoint loading for mmengine 0.10.x on torch >= 2.6.

mmengine calls ``torch.load`` without ``weights_only``; since torch 2.6 that
means weights-only unpickling, which refuses the few non-tensor objects
mmengine writes into every checkpoint (the MessageHub's ``HistoryBuffer`` and
numpy arrays/scalars). We allow exactly those. ``getattr`` is not allowed as
such: the pickle of ``HistoryBuffer`` needs ``getattr(HistoryBuffer, 'mean')``
and the like, so a guarded ``getattr`` that only resolves those statistic
methods is registered under that name. Anything else (``os.system``,
``eval``, arbitrary attribute chains) is still refused by torch.
"""
import os.path as osp
import pickle

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.utils import digit_version

# Methods mmengine stores in ``HistoryBuffer._statistics_methods``.
_HISTORY_BUFFER_METHODS = frozenset({'min', 'max', 'current', 'mean'})


def guarded_getattr(obj, name):
    """``getattr`` restricted to ``HistoryBuffer``'s statistic methods."""
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_METHODS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'gca_mm refused getattr({obj!r}, {name!r}) while loading a '
        'checkpoint: only HistoryBuffer statistic methods may be looked up. '
        'This file was not written by mmengine or has been tampered with.')


def _numpy_globals():
    multiarray = np.core.multiarray
    items = [np.ndarray, np.dtype,
             (multiarray._reconstruct, 'numpy.core.multiarray._reconstruct'),
             (multiarray.scalar, 'numpy.core.multiarray.scalar')]
    # numpy >= 1.25 pickles dtypes of scalars through their dtype classes.
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        items += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    return items


def safe_checkpoint_globals():
    """The allow-list registered by :func:`enable_safe_checkpoint_loading`."""
    return [HistoryBuffer, (guarded_getattr, 'builtins.getattr')
            ] + _numpy_globals()


def _refusal_reason(error):
    lines = [line.strip() for line in str(error).splitlines()]
    for key in ('refused getattr', 'GLOBAL', 'Trying to', 'Unsupported'):
        for line in lines:
            if key in line:
                return line
    return lines[-1] if lines else repr(error)


def load_from_local(filename, map_location=None):
    """mmengine's local checkpoint loader, always weights-only, with an error
    that says which file was refused and why."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=True)
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(
            f'Refused to load checkpoint {filename}: it holds objects outside '
            'the weights-only allow-list (tensors, numbers, numpy arrays and '
            f'mmengine log buffers). Reason: {_refusal_reason(e)}. A '
            'checkpoint written by mmengine never needs more; only load this '
            'file with weights_only=False if you trust where it came from.'
        ) from e


def enable_safe_checkpoint_loading():
    """Register the allow-list with torch and route mmengine's local
    checkpoint loading through :func:`load_from_local`.

    Only on torch >= 2.6, where weights-only loading became the default and
    allow-list entries may carry their pickled name; older torch keeps
    mmengine's own loader."""
    if digit_version(torch.__version__) < digit_version('2.6.0'):
        return
    torch.serialization.add_safe_globals(safe_checkpoint_globals())
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
