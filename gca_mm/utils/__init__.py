from .atomic import (atomic_imwrite, atomic_open, atomic_save_npy,
                     atomic_write_bytes, atomic_write_text)

__all__ = [
    'atomic_open', 'atomic_write_bytes', 'atomic_write_text',
    'atomic_save_npy', 'atomic_imwrite'
]
from .device import adapt_cfg_to_device  # noqa: E402

__all__ += ['adapt_cfg_to_device']

from .config_checks import check_data_paths  # noqa: E402

__all__ += ['check_data_paths']
