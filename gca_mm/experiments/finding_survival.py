"""Do a view's findings survive its crop?

A finding (a lesion box of ``findings.csv``) **survives** a view when at
least ``min_fraction`` (default 50%) of its box area lies inside the view's
crop box. Only the crop box counts: a later rotation or erasing step of the
view is not taken into account. Landmarks (kind ``compartment``) are not
findings.
"""
import os
import os.path as osp
from collections import defaultdict

import numpy as np

from ..gaze import load_findings

SURVIVAL_FRACTION = 0.5


def load_findings_table(findings, data_root):
    """Findings by image (``gca_mm.gaze.load_findings``) from ``findings``
    (a ``findings.csv`` path), or from ``<data_root>/findings.csv`` when
    ``findings`` is ``'auto'`` and that file exists; None when there is no
    table."""
    if findings == 'auto':
        findings = osp.join(data_root, 'findings.csv')
        if not osp.isfile(findings):
            return None
    return load_findings(findings) if findings else None


def image_findings(table, data_root, img_path):
    """The ``ImageFindings`` of ``img_path`` in ``table`` (keys: paths
    relative to ``data_root``)."""
    rel = osp.relpath(img_path, data_root).replace(os.sep, '/')
    if rel not in table:
        raise KeyError(f'image {rel} (below {data_root}) is not listed in '
                       'the findings table')
    return table[rel]


def fraction_inside(box, crop):
    """Fraction of the area of ``box`` lying inside ``crop`` (both
    x1, y1, x2, y2, inclusive-exclusive)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    area = (x2 - x1) * (y2 - y1)
    if not area > 0:
        raise ValueError(f'box {tuple(box)} has no area; expected '
                         'x1 < x2 and y1 < y2')
    w = min(x2, crop[2]) - max(x1, crop[0])
    h = min(y2, crop[3]) - max(y1, crop[1])
    return max(w, 0.0) * max(h, 0.0) / area


class SurvivalCounter:
    """Counts, over views, how often findings survive the crop, by kind and
    by (kind, KL grade), and how often all findings of an image survive.

    Args:
        min_fraction (float): survival threshold, in (0, 1].
            Defaults to 0.5.
    """

    def __init__(self, min_fraction=SURVIVAL_FRACTION):
        if not 0 < min_fraction <= 1:
            raise ValueError('min_fraction must be in (0, 1], got '
                             f'{min_fraction!r}')
        self.min_fraction = min_fraction
        self.by_kind = defaultdict(lambda: [0, 0])  # kind -> [kept, seen]
        self.by_grade = defaultdict(lambda: [0, 0])  # (kind, grade) -> ...
        self.all_kept = [0, 0]  # views of images with >= 1 finding

    def add(self, crop, lesions, grade):
        """Count one view with crop box ``crop`` of an image of KL ``grade``
        whose lesions are ``lesions`` (objects with ``kind`` and ``box``).

        Returns:
            list[bool]: whether each lesion survived.
        """
        kept = [fraction_inside(f.box, crop) >= self.min_fraction
                for f in lesions]
        for f, ok in zip(lesions, kept):
            for counts in (self.by_kind[f.kind],
                           self.by_grade[f.kind, int(grade)]):
                counts[0] += ok
                counts[1] += 1
        if lesions:
            self.all_kept[0] += all(kept)
            self.all_kept[1] += 1
        return kept

    @staticmethod
    def _rate(counts):
        kept, seen = counts
        return dict(rate=kept / seen if seen else float('nan'), kept=kept,
                    views=seen)

    def summary(self):
        """``by_kind`` {kind: {rate, kept, views}}, ``by_kind_grade``
        {kind: {grade: {...}}} and ``all_findings_kept`` {rate, kept,
        views} (views counted once per finding in the first two)."""
        by_grade = defaultdict(dict)
        for (kind, grade), counts in sorted(self.by_grade.items()):
            by_grade[kind][str(grade)] = self._rate(counts)
        return dict(
            min_fraction=self.min_fraction,
            by_kind={k: self._rate(c)
                     for k, c in sorted(self.by_kind.items())},
            by_kind_grade=dict(by_grade),
            all_findings_kept=self._rate(self.all_kept))


def lesion_rate_table(summaries, kinds=None):
    """Rows ``(kind, grade, rate per summary...)`` comparing several
    :meth:`SurvivalCounter.summary` results (e.g. stock and GCA); grade
    ``'all'`` is the kind's overall rate."""
    kinds = kinds or sorted({k for s in summaries for k in s['by_kind']})
    rows = []
    for kind in kinds:
        rows.append((kind, 'all') + tuple(
            s['by_kind'].get(kind, {}).get('rate', np.nan)
            for s in summaries))
        grades = sorted({g for s in summaries
                         for g in s['by_kind_grade'].get(kind, {})})
        for g in grades:
            rows.append((kind, g) + tuple(
                s['by_kind_grade'].get(kind, {}).get(g, {}).get(
                    'rate', np.nan) for s in summaries))
    return rows
