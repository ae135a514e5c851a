from .gca_config import apply_gca, check_gca_pipelines
from .stages import Stage, run_script, run_stages
from .saliency_inference import predict_saliency_maps

__all__ = ['apply_gca', 'check_gca_pipelines', 'Stage', 'run_stages',
           'run_script', 'predict_saliency_maps']
