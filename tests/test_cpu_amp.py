"""bf16 mixed precision on a CPU (CPUAmpOptimWrapper, tools/train.py --amp)
and the channels-last switch."""
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from gca_mm.engine import CPUAmpOptimWrapper, cpu_supports_bf16
from gca_mm.utils import adapt_cfg_to_device
from runner_utils import tiny_cfg

needs_bf16 = pytest.mark.skipif(not cpu_supports_bf16(),
                                reason='this CPU has no native bf16')


def _losses(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner, runner.message_hub.get_scalar('train/loss').data[0]


def _cfg(tiny_knee_root, work_dir, amp, channels_last=True, **kw):
    cfg = tiny_cfg('configs/simclr_knee.py', tiny_knee_root, work_dir,
                   max_epochs=2)
    cfg.merge_from_dict(kw)
    if not channels_last:
        cfg.custom_hooks = [h for h in cfg.custom_hooks
                            if h.type != 'ChannelsLastHook']
    return adapt_cfg_to_device(cfg, amp=amp)


def test_amp_on_a_cpu_picks_bf16_or_says_why(monkeypatch):
    cfg = Config(dict(optim_wrapper=dict(
        type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3),
        paramwise_cfg=dict(custom_keys={'bn': dict(decay_mult=0)}))))
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr('gca_mm.engine.optimizers.cpu_supports_bf16',
                        lambda: True)
    adapt_cfg_to_device(cfg, amp=True)
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    # optimizer and paramwise_cfg untouched
    assert cfg.optim_wrapper.optimizer == dict(type='AdamW', lr=1e-3)
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.bn.decay_mult == 0
    # a stock AmpOptimWrapper (MoCo v3) becomes bf16 too
    stock = Config(dict(optim_wrapper=dict(
        type='AmpOptimWrapper', loss_scale='dynamic',
        optimizer=dict(type='LARS', lr=9.6))))
    adapt_cfg_to_device(stock)
    assert stock.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert 'loss_scale' not in stock.optim_wrapper
    monkeypatch.setattr('gca_mm.engine.optimizers.cpu_supports_bf16',
                        lambda: False)
    with pytest.raises(RuntimeError, match='no native bf16'):
        adapt_cfg_to_device(Config(dict(optim_wrapper=dict(
            type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)))),
            amp=True)
    stock = Config(dict(optim_wrapper=dict(
        type='AmpOptimWrapper', optimizer=dict(type='SGD', lr=0.1))))
    adapt_cfg_to_device(stock)
    assert stock.optim_wrapper.type == 'OptimWrapper'


def test_wrapper_refuses_fp16_and_unsupported_cpus(monkeypatch):
    params = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match='bfloat16'):
        CPUAmpOptimWrapper(dtype='float16',
                           optimizer=torch.optim.SGD(params, lr=0.1))
    monkeypatch.setattr(
        'gca_mm.engine.optimizers.cpu_amp_optimizer_wrapper.'
        'cpu_supports_bf16', lambda: False)
    with pytest.raises(RuntimeError, match='check_support=False'):
        CPUAmpOptimWrapper(optimizer=torch.optim.SGD(params, lr=0.1))


@needs_bf16
def test_forward_runs_in_bf16_and_weights_stay_fp32():
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU())
    wrapper = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with wrapper.optim_context(model):
        out = model(torch.randn(2, 1, 8, 8))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().mean())
    assert all(p.dtype == torch.float32 for p in model.parameters())


@needs_bf16
def test_bf16_losses_close_to_fp32_and_checkpoint_resumes(tiny_knee_root,
                                                          tmp_path):
    """4 iterations of SimCLR from the same seed: bf16 + channels-last
    losses within 2 % of fp32 (bf16 keeps 8 bits of mantissa; the loss is
    a mean over the batch, so rounding averages out; a small learning rate
    keeps the two runs' weights close, so the comparison is of precision,
    not of diverging trajectories); a bf16 checkpoint resumes, also into a
    plain fp32 run."""
    small_lr = {'optim_wrapper.optimizer.lr': 1e-5}
    fp32, loss32 = _losses(_cfg(tiny_knee_root, tmp_path / 'fp32', False,
                                channels_last=False, **small_lr))
    bf16, loss16 = _losses(_cfg(tiny_knee_root, tmp_path / 'bf16', True,
                                **small_lr))
    assert type(bf16.optim_wrapper).__name__ == 'CPUAmpOptimWrapper'
    assert len(loss32) == len(loss16) == 4
    # 4 %: bf16 keeps 8 mantissa bits; with every residual block live
    # (zero_init_residual=False) its rounding passes through all 8 blocks
    assert loss16 == pytest.approx(loss32, rel=0.04)
    assert list(loss16) != list(loss32)  # really ran in another precision

    ckpt = str(tmp_path / 'bf16' / 'epoch_1.pth')
    resumed, loss_resumed = _losses(_cfg(
        tiny_knee_root, tmp_path / 'resumed', True, resume=True,
        load_from=ckpt, **small_lr))
    assert resumed.iter == 4
    # the history of epoch 1 comes back with the checkpoint, and the
    # resumed epoch repeats the uninterrupted run's second epoch
    assert list(loss_resumed[:2]) == list(loss16[:2])
    assert loss_resumed[2:] == pytest.approx(loss16[2:], rel=1e-3)
    plain, _ = _losses(_cfg(tiny_knee_root, tmp_path / 'plain', False,
                            resume=True, load_from=ckpt, **small_lr))
    assert plain.iter == 4


def test_channels_last_hook_converts_the_model(tiny_knee_root, tmp_path):
    runner, _ = _losses(_cfg(tiny_knee_root, tmp_path, False))
    conv = runner.model.backbone.conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert conv.shape[1] == 1  # one grey channel
    layer = runner.model.backbone.layer1[0].conv1.weight
    assert layer.is_contiguous(memory_format=torch.channels_last) and \
        not layer.is_contiguous()


def test_benchmark_budget_uses_mixed_precision_only_where_native(monkeypatch):
    """The benchmark and the demo pass --amp only where it can run, so they
    train in fp32 on a CPU without native bf16 instead of failing."""
    from gca_mm.experiments.benchmark import Budget
    from gca_mm.utils import precision_name
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr('gca_mm.engine.optimizers.cpu_supports_bf16',
                        lambda: True)
    assert Budget().amp and precision_name(Budget().amp) == 'bf16'
    monkeypatch.setattr('gca_mm.engine.optimizers.cpu_supports_bf16',
                        lambda: False)
    assert not Budget().amp and precision_name(Budget().amp) == 'fp32'
    assert Budget(amp=True).amp  # an explicit choice is kept
