"""The shipped pre-training and linear-probe configs build and train."""
import pytest
import torch
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

from runner_utils import tiny_cfg

SSL_CONFIGS = ['configs/simclr_knee.py', 'configs/mocov3_knee.py',
               'configs/byol_knee.py']


def _train(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


@pytest.mark.parametrize('config', SSL_CONFIGS)
def test_ssl_config_trains_on_tiny_data(config, tiny_knee_root, tmp_path):
    runner = _train(tiny_cfg(config, tiny_knee_root, tmp_path))
    # 10 train images, batch 4, drop_last -> 2 iterations
    assert runner.iter == 2
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))
    assert (tmp_path / 'epoch_1.pth').is_file()


def test_checkpoint_resume_load_from_and_linear_probe(tiny_knee_root,
                                                      tmp_path):
    """save -> resume -> load_from -> Pretrained init, all weights-only."""
    first = _train(tiny_cfg('configs/mocov3_knee.py', tiny_knee_root,
                            tmp_path / 'a'))
    ckpt1 = str(tmp_path / 'a' / 'epoch_1.pth')

    resumed = _train(tiny_cfg('configs/mocov3_knee.py', tiny_knee_root,
                              tmp_path / 'b', max_epochs=2, resume=True,
                              load_from=ckpt1))
    assert resumed.epoch == 2 and resumed.iter == 4  # continued from epoch 1
    assert first.iter == 2
    ckpt2 = str(tmp_path / 'b' / 'epoch_2.pth')
    state = _load_checkpoint(ckpt2)['state_dict']

    cfg = tiny_cfg('configs/mocov3_knee.py', tiny_knee_root, tmp_path / 'c',
                   load_from=ckpt2)
    runner = Runner.from_cfg(cfg)
    runner.load_or_resume()
    conv = runner.model.backbone.conv1.weight
    assert torch.equal(conv, state['backbone.conv1.weight'])

    probe = tiny_cfg('configs/linear_probe_knee.py', tiny_knee_root,
                     tmp_path / 'd')
    probe.model.backbone.init_cfg.checkpoint = ckpt2
    probe_runner = Runner.from_cfg(probe)
    probe_runner.train()
    backbone = probe_runner.model.backbone
    # frozen: still exactly the pre-trained weights after probe training
    assert torch.equal(backbone.conv1.weight, state['backbone.conv1.weight'])
    assert torch.equal(backbone.layer4[1].conv2.weight,
                       state['backbone.layer4.1.conv2.weight'])
    metrics = probe_runner.val_loop.run()
    assert set(metrics) >= {'accuracy/top1', 'single-label/f1-score',
                            'grade/mae'}
    # the reported numbers are those of the probe's own predictions on the
    # val images: accuracy in percent, MAE in grades
    preds, grades = [], []
    probe_runner.model.eval()
    with torch.no_grad():
        for batch in probe_runner.val_dataloader:
            for sample in probe_runner.model.val_step(batch):
                preds.append(int(sample.pred_label))
                grades.append(int(sample.gt_label))
    preds, grades = torch.tensor(preds), torch.tensor(grades)
    assert len(grades) == 10
    assert metrics['accuracy/top1'] == pytest.approx(
        100 * (preds == grades).float().mean().item())
    assert metrics['grade/mae'] == pytest.approx(
        (preds - grades).abs().float().mean().item())


GPU_CONFIGS = ['configs/gpu/simclr_resnet50_knee.py',
               'configs/gpu/mocov3_resnet50_knee.py',
               'configs/gpu/byol_resnet50_knee.py',
               'configs/gpu/mocov3_gca_resnet50_knee.py']


@pytest.mark.parametrize('config', GPU_CONFIGS)
def test_gpu_configs_are_the_stock_recipe_on_knee_data(config,
                                                       tiny_knee_root,
                                                       tmp_path):
    from mmengine.config import Config
    from mmpretrain.registry import DATASETS

    from gca_mm.apis import apply_gca
    cfg = Config.fromfile(config)
    if cfg.get('runner_type') == 'GCARunner':
        cfg = apply_gca(cfg, gaze_map_root=f'{tiny_knee_root}/maps')
    assert cfg.model.backbone.depth == 50
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(data_root=tiny_knee_root,
                       decoded_cache=dict(cache_dir=str(tmp_path)))
    sample = DATASETS.build(dataset_cfg)[0]
    assert [tuple(v.shape) for v in sample['inputs']] == [(3, 224, 224)] * 2


def test_finetune_trains_the_backbone_on_a_label_fraction(tiny_knee_root,
                                                          tmp_path):
    """configs/finetune_knee.py: the pre-trained backbone is loaded and
    trained (not frozen, BN in train mode), at a tenth of the head's rate,
    on a label-fraction subset read as an annotation CSV."""
    from gca_mm.experiments.label_subsets import write_label_subsets
    ssl = _train(tiny_cfg('configs/mocov3_knee.py', tiny_knee_root,
                          tmp_path / 'ssl'))
    ckpt = str(tmp_path / 'ssl' / 'epoch_1.pth')
    state = _load_checkpoint(ckpt)['state_dict']
    assert ssl.iter == 2
    import shutil
    root = tmp_path / 'data'
    shutil.copytree(tiny_knee_root, root)
    files = write_label_subsets(str(root), (50, 100))
    ft = tiny_cfg('configs/finetune_knee.py', root, tmp_path / 'ft',
                  batch_size=2)
    ft.model.backbone.init_cfg.checkpoint = ckpt
    ft.train_dataloader.dataset.split = None
    ft.train_dataloader.dataset.ann_file = files[50]
    runner = Runner.from_cfg(ft)
    runner.train()
    assert len(runner.train_dataloader.dataset) == 5  # 1 of 2 per grade
    assert runner.iter == 3  # 5 images, batch 2
    backbone = runner.model.backbone
    assert not torch.equal(backbone.conv1.weight,
                           state['backbone.conv1.weight'])
    lrs = {g['lr'] for g in runner.optim_wrapper.optimizer.param_groups}
    assert len(lrs) == 2 and max(lrs) == pytest.approx(10 * min(lrs))
