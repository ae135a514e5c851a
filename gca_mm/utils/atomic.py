"""Atomic file writes: a reader (or a rerun after a kill) sees either the old
file or the complete new one, never a partial file."""
import contextlib
import io
import os
import os.path as osp
import tempfile

import cv2
import numpy as np


@contextlib.contextmanager
def atomic_open(path, mode='wb'):
    """Open a temporary file beside ``path``; rename it over ``path`` only if
    the block finishes without an exception."""
    path = os.fspath(path)
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix='.' + osp.basename(path) + '.', suffix='.tmp')
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path, data):
    with atomic_open(path, 'wb') as f:
        f.write(data)


def atomic_write_text(path, text):
    with atomic_open(path, 'w') as f:
        f.write(text)


def atomic_save_npy(path, array):
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array))
    atomic_write_bytes(path, buf.getvalue())


def atomic_imwrite(path, img):
    """Write an image (format from the extension) atomically with OpenCV."""
    ext = osp.splitext(os.fspath(path))[1] or '.png'
    ok, buf = cv2.imencode(ext, img)
    if not ok:
        raise IOError(f'could not encode an image of shape {img.shape} and '
                      f'dtype {img.dtype} as {ext} for {path}')
    atomic_write_bytes(path, buf.tobytes())
