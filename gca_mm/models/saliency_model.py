"""Model that predicts radiologists' attention maps for X-rays."""
import copy

from mmengine.model import BaseModel
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample


@MODELS.register_module()
class GazeSaliencyModel(BaseModel):
    """Backbone (+ optional neck) + :class:`GazeSaliencyHead`.

    Args:
        backbone (dict): Any mmpretrain backbone returning multi-scale
            features, finest first. Defaults to ResNet-18 with all 4 stages.
        neck (dict, optional): Applied to the backbone features.
        head (dict): The saliency head; its ``in_channels`` must match the
            features. Defaults to :class:`GazeSaliencyHead` for ResNet-18.
        data_preprocessor (dict | nn.Module, optional): Defaults to
            :class:`SaliencyDataPreprocessor` without normalisation.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone=dict(type='ResNet', depth=18, out_indices=(0, 1, 2,
                                                                     3)),
                 neck=None,
                 head=dict(type='GazeSaliencyHead'),
                 data_preprocessor=None,
                 init_cfg=None):
        if data_preprocessor is None:
            data_preprocessor = {}
        if isinstance(data_preprocessor, dict):
            data_preprocessor = copy.deepcopy(data_preprocessor)
            data_preprocessor.setdefault('type', 'SaliencyDataPreprocessor')
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)

    def extract_feat(self, inputs):
        """Backbone (and neck) features of an ``(N, C, H, W)`` batch."""
        feats = self.backbone(inputs)
        return self.neck(feats) if self.neck is not None else feats

    def forward(self, inputs, data_samples=None, mode='tensor'):
        """``'tensor'``: head logits ``(N, 1, h, w)`` at the finest feature
        resolution; ``'loss'``: dict of losses; ``'predict'``: data samples
        with ``pred_saliency`` (and ``pred_saliency_ori``)."""
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}"; expected "tensor", '
                           '"loss" or "predict"')

    def loss(self, inputs, data_samples):
        """Losses against the ``gt_saliency`` maps of ``data_samples``."""
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs, data_samples=None):
        """Predicted maps in (0, 1]: ``pred_saliency`` at the input
        resolution; ``pred_saliency_ori`` at ``ori_shape`` for samples whose
        metainfo has it. Resizing back to ``ori_shape`` is exact when the
        test pipeline only resized the image (no crop or pad)."""
        if data_samples is None:
            data_samples = [DataSample() for _ in range(inputs.size(0))]
        for sample in data_samples:
            sample.set_metainfo(
                dict(batch_input_shape=tuple(inputs.shape[-2:])))
        return self.head.predict(self.extract_feat(inputs), data_samples)
