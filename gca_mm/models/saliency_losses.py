"""Losses between predicted saliency logits and target attention maps.

The prediction is a distribution over pixels: ``softmax`` of the logits over
all pixels of one image. Targets are non-negative maps on any scale. A target
that carries no information for a loss (no mass for KLD, no variation for CC,
e.g. a crop that missed all attention) is left out of that loss; a batch
without any such target gives a zero loss that still has a graph.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS


def _flatten_pair(logits, target):
    """Check ``(N, 1, H, W)`` or ``(N, H, W)`` logits and targets and return
    both as ``(N, H*W)``; the target in the logits' dtype."""
    if logits.dim() == 4 and logits.size(1) == 1:
        logits = logits.squeeze(1)
    if target.dim() == 4 and target.size(1) == 1:
        target = target.squeeze(1)
    if logits.dim() != 3 or logits.shape != target.shape:
        raise ValueError(
            f'saliency logits {tuple(logits.shape)} and target maps '
            f'{tuple(target.shape)} must both be (N, H, W) or (N, 1, H, W) '
            'with the same shape')
    target = target.to(logits.dtype)
    if not torch.isfinite(target).all() or (target < 0).any():
        raise ValueError('target saliency maps must be finite and '
                         'non-negative')
    return logits.flatten(1), target.flatten(1)


def _masked_mean(per_sample, valid, logits):
    if valid.any():
        return per_sample[valid].mean()
    return logits.sum() * 0


@MODELS.register_module()
class SaliencyKLDLoss(nn.Module):
    """KL(target || softmax over pixels of the logits), averaged over images.

    Args:
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Key of the loss in the loss dict (must contain
            ``'loss'`` to be back-propagated). Defaults to ``'loss_kld'``.
    """

    def __init__(self, loss_weight=1.0, loss_name='loss_kld'):
        super().__init__()
        self.loss_weight = loss_weight
        self.loss_name = loss_name

    def forward(self, logits, target):
        logits, target = _flatten_pair(logits, target)
        mass = target.sum(1, keepdim=True)
        gt = target / mass.clamp_min(torch.finfo(target.dtype).tiny)
        log_pred = F.log_softmax(logits, dim=1)
        kl = (torch.xlogy(gt, gt) - gt * log_pred).sum(1)
        return self.loss_weight * _masked_mean(kl, mass.squeeze(1) > 0,
                                               logits)

    def extra_repr(self):
        return f'loss_weight={self.loss_weight}, loss_name={self.loss_name!r}'


@MODELS.register_module()
class SaliencyCCLoss(nn.Module):
    """``1 - CC`` between the predicted distribution (softmax over pixels of
    the logits) and the target map, averaged over images.

    Args:
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Key of the loss in the loss dict. Defaults to
            ``'loss_cc'``.
        eps (float): Guards the division when the prediction is flat.
            Defaults to 1e-8.
    """

    def __init__(self, loss_weight=1.0, loss_name='loss_cc', eps=1e-8):
        super().__init__()
        self.loss_weight = loss_weight
        self.loss_name = loss_name
        self.eps = eps

    def forward(self, logits, target):
        logits, target = _flatten_pair(logits, target)
        # Scaling by the pixel count keeps values O(1), so ``eps`` is
        # negligible whatever the resolution (CC itself is scale-free).
        pred = F.softmax(logits, dim=1) * logits.size(1)
        pred = pred - pred.mean(1, keepdim=True)
        gt = target - target.mean(1, keepdim=True)
        gt_norm = gt.norm(dim=1)
        cc = (pred * gt).sum(1) / (pred.norm(dim=1) * gt_norm + self.eps)
        return self.loss_weight * _masked_mean(1 - cc, gt_norm > 0, logits)

    def extra_repr(self):
        return (f'loss_weight={self.loss_weight}, '
                f'loss_name={self.loss_name!r}, eps={self.eps}')
