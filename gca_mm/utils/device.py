"""Make a config runnable on the hardware at hand."""
import torch
from mmengine.logging import print_log

#: optimizer wrapper types that mean "mixed precision"
AMP_WRAPPERS = ('AmpOptimWrapper', 'CPUAmpOptimWrapper')


def _plain(optim):
    optim.type = 'OptimWrapper'
    for key in ('loss_scale', 'dtype', 'check_support'):
        optim.pop(key, None)


def native_mixed_precision():
    """Whether ``--amp`` can run here: a CUDA GPU (fp16) or a CPU with
    native bf16 (AMX-BF16 / AVX512-BF16). Elsewhere mixed precision would
    be emulated, slower than fp32, and ``--amp`` is an error."""
    from ..engine.optimizers import cpu_supports_bf16
    return torch.cuda.is_available() or cpu_supports_bf16()


def precision_name(amp):
    """What ``tools/train.py`` trains in, with ``--amp`` or without."""
    if not amp:
        return 'fp32'
    return 'fp16' if torch.cuda.is_available() else 'bf16'


def adapt_cfg_to_device(cfg, amp=False):
    """Adjust ``cfg`` in place for the available accelerator.

    - ``amp=True`` turns on mixed precision: ``AmpOptimWrapper`` (fp16 with
      a dynamic ``GradScaler``) on a GPU; ``CPUAmpOptimWrapper`` (bf16
      autocast, no scaler) on a CPU with native bf16 (AMX-BF16 or
      AVX512-BF16). A CPU without native bf16 is an error.
    - Without ``amp``, an ``AmpOptimWrapper`` inherited from a stock config
      becomes a plain ``OptimWrapper`` on a machine without a GPU (same
      optimizer and ``paramwise_cfg``), and a ``CPUAmpOptimWrapper`` becomes
      ``AmpOptimWrapper`` on a GPU, so a config runs anywhere.
    - Without a GPU, the ``nccl`` process-group backend becomes ``gloo``.
    """
    from ..engine.optimizers import cpu_supports_bf16
    has_gpu = torch.cuda.is_available()
    optim = cfg.get('optim_wrapper')
    kind = None if optim is None else optim.get('type')
    if amp and optim is None:
        raise ValueError('--amp needs an optim_wrapper in the config')
    if amp or kind in AMP_WRAPPERS:
        if has_gpu and kind != 'AmpOptimWrapper':
            _plain(optim)
            optim.type = 'AmpOptimWrapper'
            optim.setdefault('loss_scale', 'dynamic')
        elif not has_gpu and kind != 'CPUAmpOptimWrapper':
            if cpu_supports_bf16():
                _plain(optim)
                optim.type = 'CPUAmpOptimWrapper'
                print_log('No GPU: mixed precision is bf16 autocast on the '
                          'CPU (CPUAmpOptimWrapper).', logger='current')
            elif amp:
                raise RuntimeError(
                    '--amp: no CUDA GPU, and this CPU has no native bf16 '
                    '(AMX-BF16 / AVX512-BF16), so mixed precision would be '
                    'slower than fp32; run without --amp.')
            else:
                _plain(optim)
                print_log('No GPU and no native bf16: AmpOptimWrapper '
                          'replaced by OptimWrapper.', logger='current')
    dist_cfg = cfg.get('env_cfg', {}).get('dist_cfg')
    if not has_gpu and dist_cfg is not None and \
            dist_cfg.get('backend') == 'nccl':
        dist_cfg.backend = 'gloo'
    return cfg
