"""Distributed training on machines without a GPU (gloo backend).

mmengine 0.10.7 is not ready for it: ``init_dist`` calls
``torch.cuda.set_device`` for every launcher, its default model wrapper passes
``device_ids=[LOCAL_RANK]`` (which DistributedDataParallel refuses for a CPU
module), and SyncBN layers (the stock necks use them) only run on a GPU.
"""
import contextlib

import torch
from mmengine.dist import init_dist, is_distributed
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmengine.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for CPU processes: no device ids, and
    SyncBN layers reverted to BN (statistics per process, as on one GPU).

    Registered in mmengine's root registry, so any default scope finds it.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        # mmengine passes device_ids=[LOCAL_RANK]; a CPU module takes none.
        super().__init__(
            module=revert_sync_batchnorm(module), device_ids=None, **kwargs)


@contextlib.contextmanager
def _cuda_set_device_disabled():
    set_device = torch.cuda.set_device
    torch.cuda.set_device = lambda device: None
    try:
        yield
    finally:
        torch.cuda.set_device = set_device


def setup_cpu_distributed(cfg, launcher):
    """Start the process group of a GPU-less distributed run and make
    ``cfg`` use :class:`CPUDistributedDataParallel`.

    Call it before building the Runner (which then finds the process group
    and does not start another). Does nothing with ``launcher='none'`` or
    with a GPU; an existing process group is kept.

    Args:
        cfg (Config): the run's config; ``env_cfg.dist_cfg`` is passed to
            ``init_process_group`` (its backend must be ``gloo`` or
            ``mpi``; ``gca_mm.utils.adapt_cfg_to_device`` switches ``nccl``
            to ``gloo``) and ``model_wrapper_cfg`` is set.
        launcher (str): 'pytorch' (torchrun, ``tools/dist_train.sh``),
            'slurm' (srun, ``tools/slurm_train.sh``) or 'mpi'.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg') or {})
    dist_cfg.setdefault('backend', 'gloo')
    if dist_cfg['backend'] not in ('gloo', 'mpi'):
        raise ValueError(
            f"env_cfg.dist_cfg.backend is {dist_cfg['backend']!r}, which "
            "needs a GPU; use 'gloo' on a machine without one")
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    if wrapper.get('type', 'MMDistributedDataParallel') not in (
            'MMDistributedDataParallel', 'CPUDistributedDataParallel'):
        raise ValueError(
            f"model_wrapper_cfg.type is {wrapper['type']!r}; without a GPU "
            'only MMDistributedDataParallel is supported')
    if not is_distributed():
        with _cuda_set_device_disabled():
            init_dist(launcher, **dist_cfg)

    wrapper['type'] = 'CPUDistributedDataParallel'
    # mmengine's defaults when no model_wrapper_cfg is given
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
    print_log(
        f'No GPU: {launcher} launcher on CPU with the '
        f"{dist_cfg['backend']} backend; SyncBN layers run as BN.",
        logger='current')
