"""Finding-level probes: does a frozen backbone see the lesions?

The KL grade summarises several findings. Probing for each finding on its
own shows directly whether stock crops taught the encoder to ignore a small
lesion and whether GCA kept it. From ``findings.csv`` (lesion rows, severity
> 0), three binary targets per image:

- ``any_osteophyte``: an osteophyte in either compartment;
- ``medial_jsn``: joint-space narrowing of the medial compartment;
- ``lateral_jsn``: joint-space narrowing of the lateral compartment.

Each is a binary logistic regression on the same standardised frozen
features as the grade probe (:mod:`gca_mm.experiments.feature_probe`), its
``C`` chosen on the val split's ROC AUC, scored by the test split's ROC AUC
(0.5: the features say nothing about the finding).
"""
import warnings

import numpy as np

from ..gaze import load_findings
from .feature_probe import C_GRID

FINDING_TARGETS = {
    'any_osteophyte': lambda f: f.kind == 'osteophyte',
    'medial_jsn': lambda f: f.kind == 'jsn' and f.compartment == 'medial',
    'lateral_jsn': lambda f: f.kind == 'jsn' and f.compartment == 'lateral',
}


def finding_labels(findings, images):
    """``{target: 0/1 array}`` over ``images`` (paths relative to the data
    root, as in the table).

    Raises:
        ValueError: if an image has no row in the table.
    """
    table = load_findings(findings) if isinstance(findings, str) else findings
    labels = {name: np.zeros(len(images), np.int64)
              for name in FINDING_TARGETS}
    for i, image in enumerate(images):
        key = str(image).replace('\\', '/')
        if key not in table:
            raise ValueError(f'findings table: no row for image {key!r}')
        for f in table[key].findings:
            if f.severity > 0:
                for name, match in FINDING_TARGETS.items():
                    if match(f):
                        labels[name][i] = 1
    return labels


def binary_probe(x_train, y_train, x_val, y_val, x_test, y_test,
                 c_grid=C_GRID):
    """Binary logistic regression on standardised features; ``C`` chosen
    on val ROC AUC (ties: the stronger regularisation). Returns ``auc``
    (test), ``val_auc``, ``C`` and the test ``positives`` share; ``auc`` is
    None when a split has one class only."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    for name, y in dict(train=y_train, val=y_val, test=y_test).items():
        if len(np.unique(y)) < 2:
            return dict(auc=None, val_auc=None, C=None,
                        positives=float(np.mean(y_test)),
                        note=f'{name} split has one class only')
    best = None
    for c in sorted(c_grid):
        clf = LogisticRegression(C=c, max_iter=500)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', ConvergenceWarning)
            clf.fit(x_train, y_train)
        auc = roc_auc_score(y_val, clf.decision_function(x_val))
        if best is None or auc > best[0]:
            best = (auc, c, clf)
    val_auc, c, clf = best
    auc = roc_auc_score(y_test, clf.decision_function(x_test))
    return dict(auc=float(auc), val_auc=float(val_auc), C=c,
                positives=float(np.mean(y_test)))


__all__ = ['FINDING_TARGETS', 'finding_labels', 'binary_probe']
