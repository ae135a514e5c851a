"""Make a config runnable on the hardware at hand."""
import torch
from mmengine.logging import print_log


def adapt_cfg_to_device(cfg, amp=False):
    """Adjust ``cfg`` in place for the available accelerator.

    - ``amp=True`` switches the optimizer wrapper to ``AmpOptimWrapper``;
      it needs a GPU, so asking for it without one is an error.
    - Without a GPU, an ``AmpOptimWrapper`` from an inherited stock config
      becomes a plain ``OptimWrapper`` (same optimizer and ``paramwise_cfg``)
      and the ``nccl`` process-group backend becomes ``gloo``.
    """
    has_gpu = torch.cuda.is_available()
    optim = cfg.get('optim_wrapper')
    if amp:
        if not has_gpu:
            raise RuntimeError(
                '--amp needs a CUDA GPU (mmengine refuses AMP training on '
                'CPU); run without --amp on this machine.')
        optim.type = 'AmpOptimWrapper'
        optim.setdefault('loss_scale', 'dynamic')
    elif not has_gpu and optim is not None and \
            optim.get('type') == 'AmpOptimWrapper':
        optim.type = 'OptimWrapper'
        optim.pop('loss_scale', None)
        print_log('No GPU: AmpOptimWrapper replaced by OptimWrapper.',
                  logger='current')
    dist_cfg = cfg.get('env_cfg', {}).get('dist_cfg')
    if not has_gpu and dist_cfg is not None and \
            dist_cfg.get('backend') == 'nccl':
        dist_cfg.backend = 'gloo'
    return cfg
