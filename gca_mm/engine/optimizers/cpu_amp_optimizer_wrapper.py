"""bf16 mixed precision on CPUs (AMX-BF16 / AVX512-BF16).

mmengine 0.10.7's ``AmpOptimWrapper`` asserts that a GPU (or NPU, MLU,
MUSA) is present. On a CPU whose oneDNN build runs bf16 natively, the same
idea is a plain optimizer step with the forward pass under
``torch.autocast('cpu', dtype=torch.bfloat16)``: bf16 has fp32's exponent
range, so no loss scaling (GradScaler) is needed, and the parameters, the
gradients and the optimizer state stay fp32.
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmpretrain.registry import OPTIM_WRAPPERS


def cpu_supports_bf16():
    """Whether this CPU runs bf16 convolutions and matmuls natively
    (oneDNN with AVX512-BF16 or AMX-BF16)."""
    if not torch.backends.mkldnn.is_available():
        return False
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """An :class:`mmengine.optim.OptimWrapper` whose forward pass runs in
    ``torch.autocast('cpu', dtype=torch.bfloat16)``.

    Everything else is ``OptimWrapper``'s: the same ``optimizer``,
    ``paramwise_cfg`` (through the optim wrapper constructor), gradient
    accumulation, clipping and checkpoint state (a checkpoint of this
    wrapper resumes into ``OptimWrapper`` and back). ``tools/train.py
    --amp`` picks it on a machine without a GPU.

    Args:
        dtype (str): ``'bfloat16'`` (the only CPU autocast type that trains
            without loss scaling). Defaults to 'bfloat16'.
        check_support (bool): Refuse to build on a CPU without native bf16,
            where autocast would emulate it and run slower than fp32.
            Defaults to True.
        **kwargs: ``OptimWrapper``'s arguments (``optimizer``,
            ``accumulative_counts``, ``clip_grad``).
    """

    def __init__(self, dtype='bfloat16', check_support=True, **kwargs):
        if dtype not in ('bfloat16', torch.bfloat16):
            raise ValueError(
                f'{type(self).__name__}: dtype must be "bfloat16" on a CPU, '
                f'got {dtype!r} (fp16 needs a GPU and AmpOptimWrapper)')
        if check_support and not cpu_supports_bf16():
            raise RuntimeError(
                f'{type(self).__name__}: this CPU has no native bf16 '
                '(oneDNN reports no AVX512-BF16 / AMX-BF16), so bf16 '
                'autocast would be slower than fp32; train without --amp, '
                'or set optim_wrapper.check_support=False to force it')
        super().__init__(**kwargs)
        self.cast_dtype = torch.bfloat16

    @contextmanager
    def optim_context(self, model):
        """Gradient-accumulation context of ``OptimWrapper`` plus bf16
        autocast on the CPU."""
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=self.cast_dtype):
            yield
