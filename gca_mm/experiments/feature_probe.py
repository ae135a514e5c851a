"""The benchmark's probe: how much a frozen backbone's features say about
the KL grade.

Pooled features of the un-augmented images (the probe config's test
pipeline) are extracted once per backbone, standardised with the training
split's statistics, and a multinomial logistic regression (scikit-learn,
L-BFGS to convergence) is fitted on the training split; its inverse L2
strength ``C`` is chosen on the validation split's macro-F1, and only the
chosen model is scored on the test split. Accuracy, macro-F1 and grade MAE
are always reported together: KL0 alone is ~40 % of the images, so
accuracy near 40 % can mean anything from "always KL0" to a useful grader.
Choosing ``C`` on val accuracy instead would pick, for weak features, the
strongest regularisation, which answers KL0 for every knee and hides what
the features hold.
"""
import copy
import warnings

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmpretrain.registry import DATASETS, MODELS

#: inverse L2 strengths tried on the validation split
C_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


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
    if torch.cuda.is_available():  # the GPU preset's ResNet-50
        model = model.cuda()
    return model.eval()


@torch.no_grad()
def extract_features(model, dataset_cfg, split, batch_size=64, bf16=False):
    """Pooled features (float32) and grades of every image of ``split``.

    ``bf16=True`` runs the backbone under CPU bf16 autocast (faster on
    AMX-BF16 CPUs; features then differ from fp32 by bf16 rounding)."""
    dataset_cfg = copy.deepcopy(dataset_cfg)
    dataset_cfg.split = split
    dataset = DATASETS.build(dataset_cfg)
    feats, labels = [], []
    for start in range(0, len(dataset), batch_size):
        batch = pseudo_collate(
            [dataset[i] for i in range(start,
                                       min(start + batch_size, len(dataset)))])
        data = model.data_preprocessor(batch, False)
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            out = model.extract_feat(data['inputs'])[-1]
        feats.append(out.float().flatten(1).cpu())
        labels += [int(s.gt_label) for s in data['data_samples']]
    return torch.cat(feats).numpy(), np.asarray(labels)


def grade_scores(pred, target, num_classes=5):
    """Accuracy (%), macro-F1 (%) and grade MAE of predicted grades."""
    from sklearn.metrics import f1_score
    pred, target = np.asarray(pred), np.asarray(target)
    return dict(
        accuracy=100 * float((pred == target).mean()),
        macro_f1=100 * float(f1_score(target, pred, average='macro',
                                      labels=list(range(num_classes)),
                                      zero_division=0)),
        grade_mae=float(np.abs(pred - target).mean()))


def fit_logistic(x, y, c, warm=None):
    """Multinomial logistic regression on ``x`` (already standardised);
    ``warm``: a fitted model to start from (a path of ``C`` values)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    clf = LogisticRegression(C=c, max_iter=500, warm_start=True)
    if warm is not None:
        clf.coef_, clf.intercept_ = warm.coef_.copy(), warm.intercept_.copy()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', ConvergenceWarning)
        clf.fit(x, y)
    return clf


def feature_probe(train, val, test, num_classes=5, c_grid=C_GRID):
    """Fit on ``train``, choose ``C`` on ``val`` macro-F1 (ties: the
    stronger regularisation), score ``test``; each argument is
    ``(features, labels)``.

    Returns a dict: ``accuracy``, ``macro_f1``, ``grade_mae`` (test),
    ``val_accuracy``, ``val_macro_f1``, ``val_grade_mae``, the chosen ``C``,
    ``val_by_c`` (val macro-F1 of every ``C``) and ``majority_accuracy``
    (the test accuracy of always answering the training split's most
    frequent grade)."""
    for name, (x, y) in dict(train=train, val=val, test=test).items():
        if len(x) != len(y) or len(x) == 0:
            raise ValueError(f'feature_probe: {name} has {len(x)} feature '
                             f'rows and {len(y)} labels')
    mean = train[0].mean(0)
    std = train[0].std(0) + 1e-6

    def norm(x):
        return ((np.asarray(x, np.float64) - mean) / std).astype(np.float32)

    best, val_by_c, clf = None, {}, None
    x_train, x_val = norm(train[0]), norm(val[0])
    for c in sorted(c_grid):
        clf = fit_logistic(x_train, train[1], c, warm=clf)
        val_scores = grade_scores(clf.predict(x_val), val[1], num_classes)
        val_by_c[c] = val_scores['macro_f1']
        if best is None or val_scores['macro_f1'] > best[0]['macro_f1']:
            best = (val_scores, c, clf)
    val_scores, c, clf = best
    result = grade_scores(clf.predict(norm(test[0])), test[1], num_classes)
    majority = np.bincount(train[1], minlength=num_classes).argmax()
    result.update(
        {f'val_{k}': v for k, v in val_scores.items()},
        C=c, val_by_c=val_by_c,
        majority_accuracy=100 * float((test[1] == majority).mean()))
    return result
