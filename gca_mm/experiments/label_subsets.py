"""Label fractions: fixed, stratified, seeded subsets of the train split.

The paper evaluates each pre-trained backbone with 1, 5, 10, 20 and 100 %
of the training labels. The subsets are drawn once from the train split's
grades and saved beside the data (``<data_root>/label_fractions/
train_<pct>pct.csv``, the ``path,grade`` annotation format
``KneeXrayDataset(ann_file=...)`` reads), so every arm and every seed of a
benchmark is probed, and fine-tuned, on the same images.

- **Stratified**: each grade keeps its share of the train split,
  ``round(pct / 100 * n_grade)`` images, at least one of every grade the
  split has.
- **Nested**: one seeded permutation per grade; a subset is a prefix of it,
  so the 1 % images are among the 5 % ones, and so on.
- **Deterministic**: the same data and seed give the same files; a rerun
  rewrites a file only if its content would change (e.g. new images).
"""
import csv
import io
import os.path as osp

import numpy as np

from ..utils import atomic_write_text

FRACTIONS = (1, 5, 10, 20, 100)
SUBSET_DIR = 'label_fractions'


def stratified_subsets(labels, fractions=FRACTIONS, seed=0):
    """Indices into ``labels`` of each fraction's subset (sorted).

    Args:
        labels (Sequence[int]): the grade of each image.
        fractions (Sequence[float]): percentages in (0, 100].
        seed (int): seed of the per-grade permutations.

    Returns:
        dict[float, np.ndarray]: fraction -> sorted indices.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError('stratified_subsets needs a non-empty 1-D sequence '
                         f'of labels, got shape {labels.shape}')
    for pct in fractions:
        if not 0 < pct <= 100:
            raise ValueError(f'label fractions are percentages in (0, 100], '
                             f'got {pct}')
    rng = np.random.default_rng(seed)
    order = {g: rng.permutation(np.flatnonzero(labels == g))
             for g in np.unique(labels)}
    subsets = {}
    for pct in fractions:
        take = [idx[:max(1, int(round(pct / 100 * idx.size)))]
                for idx in order.values()]
        subsets[pct] = np.sort(np.concatenate(take))
    return subsets


def subset_path(data_root, pct):
    """``<data_root>/label_fractions/train_<pct>pct.csv``."""
    return osp.join(data_root, SUBSET_DIR, f'train_{pct:g}pct.csv')


def write_label_subsets(data_root, fractions=FRACTIONS, seed=0):
    """Write the subsets of the train split of ``data_root`` (see the
    module docstring); returns ``{pct: path}``."""
    from ..datasets import KneeXrayDataset
    dataset = KneeXrayDataset(data_root, split='train', serialize_data=False)
    paths = [osp.relpath(dataset.get_data_info(i)['img_path'], data_root)
             for i in range(len(dataset))]
    labels = dataset.get_gt_labels()
    written = {}
    for pct, idx in stratified_subsets(labels, fractions, seed).items():
        out = io.StringIO()
        rows = csv.writer(out, lineterminator='\n')
        rows.writerow(['path', 'grade'])
        rows.writerows((paths[i].replace(osp.sep, '/'), int(labels[i]))
                       for i in idx)
        path = subset_path(data_root, pct)
        if not (osp.isfile(path) and open(path).read() == out.getvalue()):
            atomic_write_text(path, out.getvalue())
        written[pct] = path
    return written


def read_label_subset(path):
    """The image paths (relative to the data root) of a subset file."""
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    if not rows or 'path' not in rows[0]:
        raise ValueError(f'{path}: expected a CSV with a path column and at '
                         'least one row')
    return [r['path'] for r in rows]


__all__ = ['FRACTIONS', 'stratified_subsets', 'subset_path',
           'write_label_subsets', 'read_label_subset']
