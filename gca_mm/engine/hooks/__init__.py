from .channels_last_hook import ChannelsLastHook
from .deterministic_augmentation_hook import DeterministicAugmentationHook

__all__ = ['ChannelsLastHook', 'DeterministicAugmentationHook']
