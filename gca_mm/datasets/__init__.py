from . import transforms  # noqa: F401  (registers the transforms)
from .knee_xray import KneeXrayDataset

__all__ = ['KneeXrayDataset']

from .seeded_pipeline import SeededPipeline, sample_seed  # noqa: E402

__all__ += ['SeededPipeline', 'sample_seed']

from .decoded_cache import DecodedImageCache  # noqa: E402

__all__ += ['DecodedImageCache']
