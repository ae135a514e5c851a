"""How much a frozen backbone's features say about the KL grade.

A check on the linear probe (``configs/linear_probe_knee.py``): pooled
features of every image are standardised and a multinomial logistic
regression is fitted to convergence (full-batch L-BFGS), its L2 strength
chosen on the validation split. When this probe too stays at the
majority-class rate, the features carry no grade, whatever the probe's
schedule.
"""
import copy

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmpretrain.registry import DATASETS, MODELS

WEIGHT_DECAYS = (1e-4, 1e-3, 1e-2, 1e-1)


def build_probe_model(cfg, checkpoint=None, seed=0):
    """The probe config's classifier with its backbone loaded from
    ``checkpoint`` (``None``: random initialisation under ``seed``)."""
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.init_cfg = None if checkpoint is None else dict(
        type='Pretrained', checkpoint=checkpoint, prefix='backbone.')
    if cfg.get('data_preprocessor'):  # as mmengine's Runner does
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    torch.manual_seed(seed)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model.eval()


@torch.no_grad()
def extract_features(model, dataset_cfg, split, batch_size=64):
    """Pooled features and grades of every image of ``split``."""
    dataset_cfg = copy.deepcopy(dataset_cfg)
    dataset_cfg.split = split
    dataset = DATASETS.build(dataset_cfg)
    feats, labels = [], []
    for start in range(0, len(dataset), batch_size):
        batch = pseudo_collate(
            [dataset[i] for i in range(start,
                                       min(start + batch_size, len(dataset)))])
        data = model.data_preprocessor(batch, False)
        feats.append(model.extract_feat(data['inputs'])[-1].flatten(1))
        labels += [int(s.gt_label) for s in data['data_samples']]
    return torch.cat(feats).numpy(), np.asarray(labels)


def fit_logistic(x, y, num_classes, weight_decay, max_iter=300):
    """Multinomial logistic regression ``(W, b)`` on standardised ``x``."""
    x = torch.as_tensor(x, dtype=torch.float64)
    y = torch.as_tensor(y)
    w = torch.zeros(x.shape[1], num_classes, dtype=torch.float64,
                    requires_grad=True)
    b = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=max_iter,
                            line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ w + b, y) + \
            weight_decay * (w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach()


def predict_logistic(params, x):
    w, b = params
    return (torch.as_tensor(x, dtype=torch.float64) @ w + b).argmax(1).numpy()


def feature_probe(train, val, test, num_classes=5,
                  weight_decays=WEIGHT_DECAYS):
    """Fit on ``train``, pick the L2 strength on ``val``, score ``test``;
    each argument is ``(features, labels)``. Returns accuracy (%), grade
    MAE, the chosen weight decay and the majority-class accuracy (%) of the
    test split (majority class of the training split)."""
    mean = train[0].mean(0)
    std = train[0].std(0) + 1e-6

    def norm(x):
        return (x - mean) / std

    best = None
    for wd in weight_decays:
        params = fit_logistic(norm(train[0]), train[1], num_classes, wd)
        val_acc = (predict_logistic(params, norm(val[0])) == val[1]).mean()
        if best is None or val_acc > best[0]:
            best = (val_acc, wd, params)
    pred = predict_logistic(best[2], norm(test[0]))
    majority = np.bincount(train[1], minlength=num_classes).argmax()
    return dict(
        accuracy=100 * float((pred == test[1]).mean()),
        grade_mae=float(np.abs(pred - test[1]).mean()),
        val_accuracy=100 * float(best[0]),
        weight_decay=best[1],
        majority_accuracy=100 * float((test[1] == majority).mean()))
