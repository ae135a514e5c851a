"""What users call: turn a config's views into GCA views, and predict
attention maps with a trained gaze-saliency model."""
from .gca_config import apply_gca, effective_config
from .saliency_inference import predict_saliency_maps

__all__ = ['apply_gca', 'effective_config', 'predict_saliency_maps']
