from .atomic import (atomic_imwrite, atomic_open, atomic_save_npy,
                     atomic_write_bytes, atomic_write_text)
from .config_checks import check_data_paths, check_gca_pipelines
from .config_walk import (iter_datasets, loader_datasets, pipeline_datasets,
                          transform_type, walk_pipeline)
from .device import (adapt_cfg_to_device, native_mixed_precision,
                     precision_name)
from .map_path import gaze_map_path

__all__ = [
    'atomic_open', 'atomic_write_bytes', 'atomic_write_text',
    'atomic_save_npy', 'atomic_imwrite', 'adapt_cfg_to_device',
    'native_mixed_precision', 'precision_name',
    'check_data_paths', 'check_gca_pipelines', 'iter_datasets',
    'loader_datasets', 'pipeline_datasets', 'transform_type', 'walk_pipeline',
    'gaze_map_path'
]
