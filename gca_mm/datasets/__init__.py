from . import transforms  # noqa: F401  (registers the transforms)
from .knee_xray import KneeXrayDataset

__all__ = ['KneeXrayDataset']
