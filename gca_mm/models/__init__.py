from .grey_data_preprocessor import (GreyClsDataPreprocessor,
                                     GreySelfSupDataPreprocessor)
from .saliency_data_preprocessor import SaliencyDataPreprocessor
from .saliency_head import GazeSaliencyHead, logits_to_map
from .saliency_losses import SaliencyCCLoss, SaliencyKLDLoss
from .saliency_model import GazeSaliencyModel
from .saliency_unet import SaliencyUNet

__all__ = [
    'GreyClsDataPreprocessor', 'GreySelfSupDataPreprocessor',
    'GazeSaliencyHead', 'GazeSaliencyModel', 'SaliencyCCLoss',
    'SaliencyDataPreprocessor', 'SaliencyKLDLoss', 'SaliencyUNet',
    'logits_to_map'
]
