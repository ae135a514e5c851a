"""Simulated radiologists reading knee X-rays, driven by the demo findings.

A reading is: an initial glance near the image centre; single fixations
scanning the knee (centre-biased around the joint); clusters of fixations on
both joint compartments (also at KL0); clusters on each finding, more and
longer the more severe it is. Clusters are visited in random order with
saccade-sized jumps between them (a large cluster is split into two visits,
i.e. a revisit). Durations are log-normal (median ~250 ms, most within
~130-600 ms). Each reader has a fixed profile (thoroughness, spatial
scatter, calibration bias, pace, interest in findings).

Every random draw comes from a generator seeded by ``(seed, image path,
reader)``, so the result is deterministic per seed and independent of the
order in which images are listed or processed.
"""
import hashlib
import os
import os.path as osp
import shutil
import tempfile
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Tuple

import numpy as np

from .bounds import ImageSizes, lookup_size
from .csv_rows import csv_rows, parse_number
from .heatmap import DEFAULT_SIGMA_PX, write_heatmaps
from .table import FixationTable

FINDINGS_COLUMNS = ('image', 'split', 'grade', 'side', 'kind', 'compartment',
                    'x', 'y', 'x1', 'y1', 'x2', 'y2', 'severity')
FINDING_KINDS = ('compartment', 'jsn', 'osteophyte', 'sclerosis')
COMPARTMENTS = ('medial', 'lateral')
DEMO_IMAGE_SIZE = (224, 224)

_SELECT, _READER, _READING = 0, 1, 2  # independent random streams
_DURATION_SIGMA = 0.4  # log-normal shape of fixation durations


@dataclass(frozen=True)
class Finding:
    """One row of ``findings.csv`` (a landmark or a lesion)."""
    kind: str
    compartment: str
    x: float
    y: float
    box: Tuple[float, float, float, float]  # x1, y1, x2, y2
    severity: float


@dataclass
class ImageFindings:
    """The findings of one image."""
    image: str
    split: str
    grade: int
    side: str
    findings: list

    @property
    def landmarks(self):
        return [f for f in self.findings if f.kind == 'compartment']

    @property
    def lesions(self):
        return [f for f in self.findings if f.kind != 'compartment']


def load_findings(findings):
    """Parse a findings table (format in docs/data_formats.md).

    Args:
        findings (str | iterable[dict]): path of ``findings.csv`` or rows
            with its columns (values as str or numbers).

    Returns:
        dict[str, ImageFindings]: by image path.
    """
    if isinstance(findings, str):
        source = findings
        rows = csv_rows(findings, FINDINGS_COLUMNS, 'findings table')
    else:
        source = 'findings rows'
        rows = enumerate(findings, start=1)
    images = {}
    for line, row in rows:
        missing = [c for c in FINDINGS_COLUMNS if c not in row]
        if missing:
            raise ValueError(f'{source}:{line}: missing column(s) '
                             f'{", ".join(missing)}')
        where = f'{source}:{line}'
        num = {
            c: parse_number(row[c], source, line, c)
            for c in ('grade', 'x', 'y', 'x1', 'y1', 'x2', 'y2', 'severity')
        }
        image, kind = str(row['image']).strip(), str(row['kind']).strip()
        compartment = str(row['compartment']).strip()
        if not image:
            raise ValueError(f'{where}: empty image')
        if kind not in FINDING_KINDS:
            raise ValueError(f'{where}: kind {kind!r} is not one of '
                             f'{FINDING_KINDS}')
        if compartment not in COMPARTMENTS:
            raise ValueError(f'{where}: compartment {compartment!r} is not '
                             f'one of {COMPARTMENTS}')
        if num['grade'] not in range(5):
            raise ValueError(f'{where}: grade must be an integer 0..4, got '
                             f'{row["grade"]!r}')
        if not 0 <= num['severity'] <= 1:
            raise ValueError(f'{where}: severity must be in [0, 1], got '
                             f'{num["severity"]:g}')
        if not (num['x1'] < num['x2'] and num['y1'] < num['y2']):
            raise ValueError(f'{where}: box needs x1 < x2 and y1 < y2')
        meta = (str(row['split']).strip(), int(num['grade']),
                str(row['side']).strip())
        entry = images.setdefault(image, ImageFindings(image, *meta, []))
        if (entry.split, entry.grade, entry.side) != meta:
            raise ValueError(f'{where}: split/grade/side {meta} of image '
                             f'{image!r} differ from its earlier rows '
                             f'{(entry.split, entry.grade, entry.side)}')
        entry.findings.append(
            Finding(kind, compartment, num['x'], num['y'],
                    (num['x1'], num['y1'], num['x2'], num['y2']),
                    num['severity']))
    for entry in images.values():
        # a canonical order keeps the simulation independent of row order
        entry.findings.sort(
            key=lambda f: (f.kind, f.compartment, f.x, f.y, f.box, f.severity))
        if not entry.landmarks:
            raise ValueError(f'{source}: image {entry.image!r} has no '
                             "'compartment' landmark row")
    return images


def _hash(text):
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), 'little')


def _rng(seed, *keys):
    return np.random.default_rng([seed, *keys])


@dataclass(frozen=True)
class ReaderProfile:
    """How one simulated reader reads.

    Attributes:
        thoroughness: multiplies the number of scanning and dwelling
            fixations.
        scatter: spatial scatter around a target, fraction of image size.
        bias: constant ``(dx, dy)`` offset (calibration), fraction of size.
        pace: multiplies fixation durations.
        finding_interest: multiplies the fixations spent on findings.
    """
    thoroughness: float
    scatter: float
    bias: Tuple[float, float]
    pace: float
    finding_interest: float


def reader_profile(seed, index):
    """The profile of reader ``index`` under ``seed`` (same on every
    image)."""
    rng = _rng(seed, _READER, index)
    return ReaderProfile(
        thoroughness=float(rng.uniform(0.75, 1.25)),
        scatter=float(rng.uniform(0.018, 0.04)),
        bias=tuple(float(v) for v in rng.normal(0, 0.01, size=2)),
        pace=float(np.exp(rng.normal(0, 0.12))),
        finding_interest=float(rng.uniform(0.8, 1.2)))


def _simulate_reading(entry, shape, profile, rng, count_range):
    """Fixations ``(n, 3)`` = x, y, duration_ms of one reading."""
    h, w = shape
    size = min(h, w)
    scatter = profile.scatter * size

    def durations(k, median):
        return (median * profile.pace *
                np.exp(_DURATION_SIGMA * rng.standard_normal(k)))

    def cluster(finding, k, median):
        x1, y1, x2, y2 = finding.box
        jitter = rng.uniform(-0.25, 0.25, size=(k, 2)) * (x2 - x1, y2 - y1)
        xy = (
            np.array([finding.x, finding.y]) + jitter +
            rng.normal(0, scatter, size=(k, 2)))
        return np.column_stack([xy, durations(k, median)])

    landmarks = np.array([(f.x, f.y) for f in entry.landmarks])
    joint = landmarks.mean(axis=0)

    def scan(k):
        xy = joint + rng.normal(0, 1, size=(k, 2)) * (0.22 * w, 0.25 * h)
        xy = np.clip(xy, (0.08 * w, 0.08 * h), (0.92 * w, 0.92 * h))
        return [
            np.array([[x, y, d]]) for (x, y), d in zip(xy, durations(k, 220.0))
        ]

    n_glance = 1 + int(rng.random() < 0.5)
    glance = np.column_stack([
        ((w - 1) / 2,
         (h - 1) / 2) + rng.normal(0, 0.05 * size, size=(n_glance, 2)),
        durations(n_glance, 200.0)
    ])
    visits = scan(3 + rng.poisson(6.0 * profile.thoroughness))
    for f in entry.landmarks:
        visits.append(
            cluster(f, 2 + rng.poisson(2.0 * profile.thoroughness), 260.0))
    for f in entry.lesions:
        k = rng.poisson(profile.finding_interest * profile.thoroughness *
                        (0.5 + 4.0 * f.severity))
        if k:
            c = cluster(f, k, 250.0 * (1.0 + 0.8 * f.severity))
            visits += [c[:k // 2], c[k // 2:]] if k > 3 else [c]
    lo, hi = count_range
    n = n_glance + sum(len(v) for v in visits)
    if n < lo:
        visits += scan(lo - n)
    visits = [visits[i] for i in rng.permutation(len(visits))]
    rest = np.concatenate(visits)
    if n_glance + len(rest) > hi:
        keep = np.sort(rng.choice(len(rest), hi - n_glance, replace=False))
        rest = rest[keep]
    fix = np.concatenate([glance, rest])
    fix[:, :2] += np.array(profile.bias) * size
    fix[:, 0] = np.clip(fix[:, 0], 0, w - 1)
    fix[:, 1] = np.clip(fix[:, 1], 0, h - 1)
    fix[:, 2] = np.clip(fix[:, 2], 80.0, 2000.0)
    fix[:, :2] = np.round(fix[:, :2], 2)
    fix[:, 2] = np.round(fix[:, 2], 1)
    return fix


def select_images(findings, fraction, seed, splits=None):
    """The images that get gaze: in each split, the ``round(fraction * n)``
    images with the smallest seeded hash (order-independent). Sorted."""
    by_split = {}
    for entry in findings.values():
        if splits is None or entry.split in splits:
            by_split.setdefault(entry.split, []).append(entry.image)
    chosen = []
    for images in by_split.values():
        keys = [_rng(seed, _SELECT, _hash(i)).random() for i in images]
        k = int(round(fraction * len(images)))
        chosen += [images[j] for j in np.argsort(keys, kind='stable')[:k]]
    return sorted(chosen)


def simulate_gaze(findings,
                  fraction=0.12,
                  readers=3,
                  seed=0,
                  image_size=DEMO_IMAGE_SIZE,
                  splits=None,
                  count_range=(10, 40)):
    """Simulated readers' fixations on a fraction of the images.

    Args:
        findings (str | iterable[dict] | dict): ``findings.csv`` path, its
            rows, or the result of ``load_findings``.
        fraction (float): share of the images of each split that get gaze
            (default 0.12, as 674 of 5,778 training images in the source
            study).
        readers (int): readers per image, all reading every chosen image.
        seed (int): non-negative seed.
        image_size (tuple | mapping): ``(h, w)`` of every image, or a
            mapping ``image -> (h, w)`` (e.g. ``ImageSizes``).
        splits (sequence[str], optional): only these splits; default all.
        count_range (tuple[int]): bounds on fixations per reading.

    Returns:
        FixationTable: readers ``'reader0'``, ``'reader1'``, ...; rows
        grouped by image (sorted), then by reader, in reading order.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f'fraction must be in (0, 1], got {fraction}')
    if not isinstance(readers, Integral) or readers < 1:
        raise ValueError(f'readers must be an integer >= 1, got {readers!r}')
    if not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f'seed must be an integer >= 0, got {seed!r}')
    lo, hi = count_range
    if not 3 <= lo <= hi:
        raise ValueError(f'count_range must be (lo, hi) with 3 <= lo <= hi, '
                         f'got {count_range}')
    if not isinstance(findings, dict):
        findings = load_findings(findings)
    fixed_size = (
        isinstance(image_size, (tuple, list)) and len(image_size) == 2
        and all(isinstance(v, Real) for v in image_size))
    profiles = [reader_profile(seed, r) for r in range(readers)]
    cols = {k: [] for k in ('image', 'reader', 'x', 'y', 'duration_ms')}
    for image in select_images(findings, fraction, seed, splits):
        shape = (
            tuple(image_size) if fixed_size else lookup_size(
                image_size, image))
        for r, profile in enumerate(profiles):
            fix = _simulate_reading(findings[image], shape, profile,
                                    _rng(seed, _READING, _hash(image), r),
                                    count_range)
            cols['image'] += [image] * len(fix)
            cols['reader'] += [f'reader{r}'] * len(fix)
            cols['x'].append(fix[:, 0])
            cols['y'].append(fix[:, 1])
            cols['duration_ms'].append(fix[:, 2])
    for k in ('x', 'y', 'duration_ms'):
        cols[k] = np.concatenate(cols[k]) if cols[k] else np.zeros(0)
    return FixationTable(**cols)


def write_simulated_gaze(data_root,
                         out_dir=None,
                         fraction=0.12,
                         readers=3,
                         seed=0,
                         sigma_px=DEFAULT_SIGMA_PX,
                         splits=None,
                         findings_file='findings.csv',
                         show_progress=False):
    """Simulate gaze for a demo-data folder and write it.

    Reads ``<data_root>/<findings_file>`` and the image sizes from the image
    headers, then writes ``<out_dir>/fixations.csv`` (generic format with
    reader and duration) and ``<out_dir>/maps/<image path>.png``
    (reader-averaged 0..1 maps, 16-bit, Gaussian ``sigma_px``; the default
    10 px is about 1 degree of visual angle on a 224 px knee crop). The
    maps folder is replaced as a whole, so maps of images that no longer
    get gaze do not linger.

    Args:
        data_root (str): demo-data folder.
        out_dir (str): default ``<data_root>/gaze``.
        fraction, readers, seed, splits: see ``simulate_gaze``.
        sigma_px (float): Gaussian sigma of the maps in px.
        findings_file (str): findings table relative to ``data_root``.
        show_progress (bool): show a progress bar while writing maps.

    Returns:
        dict: ``fixations`` (path), ``maps`` (folder), ``n_images``,
        ``n_fixations``.
    """
    out_dir = out_dir or osp.join(data_root, 'gaze')
    sizes = ImageSizes(data_root)
    table = simulate_gaze(
        osp.join(data_root, findings_file),
        fraction=fraction,
        readers=readers,
        seed=seed,
        image_size=sizes,
        splits=splits)
    maps_dir = osp.join(out_dir, 'maps')
    os.makedirs(out_dir, exist_ok=True)
    tmp_dir = tempfile.mkdtemp(prefix='.maps.', dir=out_dir)
    try:
        write_heatmaps(
            table,
            sizes,
            tmp_dir,
            sigma_px=sigma_px,
            show_progress=show_progress)
        if osp.exists(maps_dir):
            old = tempfile.mkdtemp(prefix='.maps.old.', dir=out_dir)
            os.rename(maps_dir, osp.join(old, 'maps'))
            os.rename(tmp_dir, maps_dir)
            shutil.rmtree(old)
        else:
            os.rename(tmp_dir, maps_dir)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    fixations = osp.join(out_dir, 'fixations.csv')
    table.to_csv(fixations)
    return dict(
        fixations=fixations,
        maps=maps_dir,
        n_images=len(table.images()),
        n_fixations=len(table))
