"""Write the synthetic demo data set: class-folder PNGs, ``findings.csv`` and
``meta.json`` (layout in ``docs/data_formats.md``)."""
import csv
import dataclasses
import io
import json
import os
import os.path as osp

import numpy as np
from mmengine.utils import ProgressBar

from gca_mm.utils import atomic_imwrite, atomic_write_text
from .synthetic_knee import (GENERATOR_VERSION, NUM_GRADES, SyntheticKnee,
                             image_rng)

SPLITS = ('train', 'val', 'test')
# The public KL-grade data set (Chen et al. 2019): 5778/826/1656 images per
# split, training-set grade counts 2286/1046/1516/757/173.
PUBLIC_SPLIT_FRACTIONS = (0.70, 0.10, 0.20)
PUBLIC_CLASS_PROPORTIONS = (2286, 1046, 1516, 757, 173)
FINDINGS_COLUMNS = ('image', 'split', 'grade', 'side', 'kind', 'compartment',
                    'x', 'y', 'x1', 'y1', 'x2', 'y2', 'severity')
META_FILE = 'meta.json'
FINDINGS_FILE = 'findings.csv'
# Written first and removed last: marks a run in progress and its arguments.
PENDING_FILE = '.make_demo_dataset.pending.json'


def _weights(name, values, length):
    try:
        w = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        w = None
    if (w is None or w.shape != (length, ) or not np.all(np.isfinite(w))
            or np.any(w < 0) or w.sum() <= 0):
        raise ValueError(f'{name} must be {length} non-negative weights with '
                         f'a positive sum, got {values!r}')
    return w / w.sum()


def _quota(total, weights, minimum=0):
    """Split ``total`` in proportion to ``weights`` (largest remainder), then
    lift every positive-weight entry to ``minimum`` when that is possible."""
    share = total * weights
    counts = np.floor(share).astype(int)
    remainder = share - counts
    counts[np.argsort(-remainder, kind='stable')[:total - counts.sum()]] += 1
    positive = np.flatnonzero(weights > 0)
    if minimum * len(positive) <= total:
        for i in positive:
            while counts[i] < minimum:
                counts[np.argmax(counts)] -= 1
                counts[i] += 1
    return counts


def plan_dataset(num_images,
                 seed=0,
                 split_fractions=PUBLIC_SPLIT_FRACTIONS,
                 class_proportions=PUBLIC_CLASS_PROPORTIONS):
    """Stratified ``(split, grade)`` of every image index.

    Grades follow ``class_proportions`` and each grade is divided among the
    splits by ``split_fractions`` (both relative weights), so every split with
    a positive fraction holds every grade as soon as there are enough images
    (about 3 per grade for 3 splits). Index order is shuffled with ``seed``.

    Returns:
        list[tuple[str, int]]: ``(split, grade)`` for indices ``0..N-1``.
    """
    if not isinstance(num_images, (int, np.integer)) or num_images < 1:
        raise ValueError(f'num_images must be a positive integer, '
                         f'got {num_images!r}')
    split_w = _weights('split_fractions', split_fractions, len(SPLITS))
    grade_w = _weights('class_proportions', class_proportions, NUM_GRADES)
    active_splits = int(np.count_nonzero(split_w))
    grade_counts = _quota(int(num_images), grade_w, minimum=active_splits)
    items = []
    for grade, count in enumerate(grade_counts):
        per_split = _quota(int(count), split_w, minimum=1)
        for split, n in zip(SPLITS, per_split):
            items += [(split, grade)] * int(n)
    order = np.random.default_rng(seed).permutation(len(items))
    return [items[i] for i in order]


def _arguments(knee, num_images, seed, split_fractions, class_proportions):
    """Everything the output depends on, as plain JSON values."""
    return json.loads(
        json.dumps(
            dict(
                num_images=int(num_images),
                seed=int(seed),
                split_fractions=[float(f) for f in split_fractions],
                class_proportions=[float(p) for p in class_proportions],
                generator=dataclasses.asdict(knee))))


def _differences(old, new, prefix=''):
    keys = sorted(set(old) | set(new))
    diffs = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            diffs += _differences(a, b, f'{prefix}{key}.')
        elif a != b:
            diffs.append(f'{prefix}{key}')
    return diffs


def _read_json(path, out_dir):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'cannot read {path} ({e}); delete {out_dir} or '
                         'choose another output folder') from e


def _existing_meta(out_dir, arguments):
    """The meta of a complete data set made with ``arguments``, or None when
    ``out_dir`` may be (re)written; raises if it holds anything else."""
    meta_path = osp.join(out_dir, META_FILE)
    pending_path = osp.join(out_dir, PENDING_FILE)
    advice = 'choose another output folder or delete it'
    if osp.exists(meta_path):
        meta = _read_json(meta_path, out_dir)
        diffs = _differences(meta.get('arguments', {}), arguments)
        if not diffs:
            return meta
        raise FileExistsError(
            f'{out_dir} already holds demo data made with different '
            f'arguments (differing: {", ".join(diffs)}); {advice}')
    if osp.exists(pending_path):
        diffs = _differences(_read_json(pending_path, out_dir), arguments)
        if diffs:
            raise FileExistsError(
                f'{out_dir} holds an interrupted demo data run with '
                f'different arguments (differing: {", ".join(diffs)}); '
                f'{advice}')
        return None
    if osp.isdir(out_dir) and os.listdir(out_dir):
        raise FileExistsError(f'{out_dir} is not empty and holds no demo '
                              f'data set (no {META_FILE}); {advice}')
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise FileExistsError(f'{out_dir} exists and is not a folder; '
                              f'{advice}')
    return None


def _findings_csv(rows):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FINDINGS_COLUMNS,
                            lineterminator='\n')
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def make_demo_dataset(out_dir,
                      num_images=1500,
                      seed=0,
                      split_fractions=PUBLIC_SPLIT_FRACTIONS,
                      class_proportions=PUBLIC_CLASS_PROPORTIONS,
                      image_size=224,
                      knee_cfg=None,
                      show_progress=True):
    """Generate the demo data set into ``out_dir``.

    Writes ``{train,val,test}/{0..4}/knee_NNNNN.png`` (``NNNNN`` the image
    index), ``findings.csv`` and, last, ``meta.json``. Image ``i`` is rendered
    from :func:`image_rng` ``(seed, i)`` and its grade alone, so its pixels do
    not depend on the other images. Rerunning with the same arguments on a
    complete folder returns at once; an interrupted run is redone.

    Args:
        out_dir (str): output folder; must be new, empty or a previous
            output of this function with the same arguments.
        num_images (int): total number of images.
        seed (int): seed of the split/grade plan and of every image.
        split_fractions: relative sizes of train/val/test.
        class_proportions: relative frequencies of KL grades 0..4.
        image_size (int): side of the square images in pixels.
        knee_cfg (dict, optional): further :class:`SyntheticKnee` arguments.
        show_progress (bool): show an mmengine progress bar.

    Returns:
        dict: the contents of ``meta.json`` (``generator_version``,
        ``arguments``, ``counts`` as ``{split: [n_KL0, ..., n_KL4]}``,
        ``num_findings``) plus ``out_dir`` and ``reused`` (True when nothing
        had to be written).
    """
    out_dir = os.fspath(out_dir)
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f'seed must be a non-negative integer, got {seed!r}')
    knee = SyntheticKnee(image_size=image_size, **(knee_cfg or {}))
    plan = plan_dataset(num_images, seed, split_fractions, class_proportions)
    arguments = _arguments(knee, num_images, seed, split_fractions,
                           class_proportions)
    meta = _existing_meta(out_dir, arguments)
    if meta is not None:
        return dict(meta, out_dir=out_dir, reused=True)

    pending_path = osp.join(out_dir, PENDING_FILE)
    atomic_write_text(pending_path, json.dumps(arguments, indent=2))
    counts = {split: [0] * NUM_GRADES for split in SPLITS}
    rows = []
    progress = ProgressBar(len(plan)) if show_progress else None
    for index, (split, grade) in enumerate(plan):
        img, findings = knee.render(grade, image_rng(seed, index))
        image = f'{split}/{grade}/knee_{index:05d}.png'
        atomic_imwrite(osp.join(out_dir, image), img)
        rows += [dict(image=image, split=split, grade=grade, **f)
                 for f in findings]
        counts[split][grade] += 1
        if progress is not None:
            progress.update()
    if progress is not None:
        print()
    atomic_write_text(osp.join(out_dir, FINDINGS_FILE), _findings_csv(rows))
    meta = dict(
        generator_version=GENERATOR_VERSION,
        arguments=arguments,
        counts=counts,
        num_findings=len(rows))
    atomic_write_text(osp.join(out_dir, META_FILE), json.dumps(meta, indent=2))
    os.remove(pending_path)
    return dict(meta, out_dir=out_dir, reused=False)


def format_counts_table(counts):
    """A text table of images per split (rows) and KL grade (columns)."""
    header = ['split'] + [f'KL{g}' for g in range(NUM_GRADES)] + ['total']
    lines = [header]
    totals = [0] * NUM_GRADES
    for split, per_grade in counts.items():
        lines.append([split] + [str(n) for n in per_grade] +
                     [str(sum(per_grade))])
        totals = [t + n for t, n in zip(totals, per_grade)]
    lines.append(['total'] + [str(n) for n in totals] + [str(sum(totals))])
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    return '\n'.join('  '.join(cell.rjust(w) if i else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(row, widths)))
                     for row in lines)
