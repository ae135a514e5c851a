"""Readers of eye-tracking recordings; each returns a ``FixationTable``.

Formats: the generic CSV of gca_mm, REFLACX, EGD-CXR and the gaze
toolkit's line log. A malformed row raises ``ValueError`` naming the file and
line. When image sizes are known (always for EGD-CXR and for the toolkit log
without ``scale``), fixations outside their image follow ``outside``
(see ``apply_outside_policy``).
"""
import ast
import glob
import math
import numbers
import os.path as osp
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
from mmengine.fileio import get_text

from .bounds import apply_outside_policy, lookup_size
from .csv_rows import csv_rows, parse_number
from .table import GENERIC_COLUMNS, FixationTable

REFLACX_COLUMNS = ('timestamp_start_fixation', 'timestamp_end_fixation',
                   'x_position', 'y_position',
                   'angular_resolution_x_pixels_per_degree',
                   'angular_resolution_y_pixels_per_degree')
EGD_COLUMNS = ('DICOM_ID', 'FPOGX', 'FPOGY')
TOOLKIT_DISPLAY_HEIGHT = 800


def _finish(table, path, image_sizes, outside):
    if image_sizes is None:
        return table
    return apply_outside_policy(table, image_sizes, outside, source=path)


def read_generic(path, image_sizes=None, outside='error', default_reader='0'):
    """Read the generic CSV ``image,x,y[,duration_ms][,reader]``.

    Args:
        path (str): the CSV file (header required, other columns refused).
        image_sizes: mapping ``image -> (h, w)`` to check the fixations
            against, or None to skip the check.
        outside (str): ``'clip'``, ``'drop'`` or ``'error'``.
        default_reader (str): reader id when there is no ``reader`` column.

    Fixations of one (image, reader) pair are one reading, ordered as the
    rows are.
    """
    cols = {k: [] for k in ('image', 'reader', 'x', 'y', 'duration_ms')}
    rows = csv_rows(
        path, ('image', 'x', 'y'),
        'generic fixation CSV',
        allowed=GENERIC_COLUMNS)
    for line, row in rows:
        image = row['image'].strip()
        if not image:
            raise ValueError(f'{path}:{line}: empty image field')
        duration = parse_number(
            row.get('duration_ms', ''),
            path,
            line,
            'duration_ms',
            allow_empty=True)
        if duration < 0:
            raise ValueError(f'{path}:{line}: negative duration_ms '
                             f'{duration:g}')
        cols['image'].append(image)
        cols['reader'].append(row.get('reader', '').strip() or default_reader)
        cols['x'].append(parse_number(row['x'], path, line, 'x'))
        cols['y'].append(parse_number(row['y'], path, line, 'y'))
        cols['duration_ms'].append(duration)
    return _finish(FixationTable(**cols), path, image_sizes, outside)


def read_reflacx(path,
                 image=None,
                 reader=None,
                 image_sizes=None,
                 outside='error'):
    """Read one REFLACX reading (``fixations.csv``).

    Durations are ``timestamp_end_fixation - timestamp_start_fixation`` (s)
    in ms; rows are ordered by start time; the per-row angular resolutions
    are kept as ``ppd_x`` / ``ppd_y`` so that heat maps can use a sigma in
    degrees.

    Args:
        path (str): the reading's ``fixations.csv``.
        image (str): image id; default the name of the file's folder.
        reader (str): reader id; default the name of the folder above it.
        image_sizes, outside: see ``read_generic``.
    """
    folder = osp.dirname(osp.abspath(path))
    image = image or osp.basename(folder)
    reader = reader or osp.basename(osp.dirname(folder))
    if not image or not reader:
        raise ValueError(f'{path}: cannot take the image and reader ids from '
                         'the folder names; pass image= and reader=')
    values = {c: [] for c in REFLACX_COLUMNS}
    for line, row in csv_rows(path, REFLACX_COLUMNS, 'REFLACX fixations'):
        parsed = {
            c: parse_number(row[c], path, line, c)
            for c in REFLACX_COLUMNS
        }
        if parsed['timestamp_end_fixation'] < parsed[
                'timestamp_start_fixation']:
            raise ValueError(f'{path}:{line}: timestamp_end_fixation is '
                             'before timestamp_start_fixation')
        for c in REFLACX_COLUMNS:
            values[c].append(parsed[c])
    v = {c: np.asarray(values[c], dtype=np.float64) for c in values}
    n = len(v['x_position'])
    order = np.empty(n, dtype=np.int64)
    order[np.argsort(v['timestamp_start_fixation'], kind='stable')] = \
        np.arange(n)
    table = FixationTable(
        [image] * n, [reader] * n,
        v['x_position'],
        v['y_position'],
        duration_ms=1000.0 *
        (v['timestamp_end_fixation'] - v['timestamp_start_fixation']),
        order=order,
        ppd_x=v['angular_resolution_x_pixels_per_degree'],
        ppd_y=v['angular_resolution_y_pixels_per_degree'])
    return _finish(table, path, image_sizes, outside)


def read_reflacx_tree(root, image_sizes=None, outside='error'):
    """Read every ``fixations.csv`` under ``root`` (image id = its folder,
    reader id = the folder above, as in ``read_reflacx``)."""
    paths = sorted(
        glob.glob(osp.join(root, '**', 'fixations.csv'), recursive=True))
    if not paths:
        raise FileNotFoundError(f'no fixations.csv under {root!r}')
    return FixationTable.concat(
        read_reflacx(p, image_sizes=image_sizes, outside=outside)
        for p in paths)


@dataclass(frozen=True)
class ScreenGeometry:
    """Where an image was shown on the eye-tracking screen.

    Args:
        screen_size (tuple[int]): ``(width, height)`` of the screen in px.
        image_rect (tuple[float], optional): ``(left, top, right, bottom)``
            edges of the shown image in screen px. None: the image was
            fitted to the screen, aspect ratio kept, and centred.
    """
    screen_size: Tuple[int, int]
    image_rect: Optional[Tuple[float, float, float, float]] = None

    def __post_init__(self):
        if len(self.screen_size) != 2 or min(self.screen_size) <= 0:
            raise ValueError(f'screen_size must be (width, height) > 0, got '
                             f'{self.screen_size}')
        if self.image_rect is not None:
            left, top, right, bottom = self.image_rect
            if right <= left or bottom <= top:
                raise ValueError('image_rect must be (left, top, right, '
                                 f'bottom) with right > left and bottom > '
                                 f'top, got {self.image_rect}')

    @classmethod
    def from_padding(cls, screen_size, top, bottom, left, right):
        """Geometry from the padding around the shown image (EGD-CXR's
        ``image_top_pad`` ... columns of ``master_sheet.csv``)."""
        width, height = screen_size
        return cls(screen_size, (left, top, width - right, height - bottom))

    def rect(self, image_hw):
        """``(left, top, right, bottom)`` of an ``(h, w)`` image on screen."""
        if self.image_rect is not None:
            return self.image_rect
        (sw, sh), (h, w) = self.screen_size, image_hw
        scale = min(sw / w, sh / h)
        left, top = (sw - w * scale) / 2, (sh - h * scale) / 2
        return (left, top, left + w * scale, top + h * scale)

    def to_image(self, fx, fy, image_hw):
        """Screen fractions -> image pixel coordinates (pixel centres at
        integers)."""
        left, top, right, bottom = self.rect(image_hw)
        h, w = image_hw
        x = (np.asarray(fx) * self.screen_size[0] - left) / (right -
                                                             left) * w - 0.5
        y = (np.asarray(fy) * self.screen_size[1] - top) / (bottom -
                                                            top) * h - 0.5
        return x, y


EGD_SCREEN = ScreenGeometry((1920, 1080))


def read_egd_cxr(path,
                 image_sizes,
                 geometry=EGD_SCREEN,
                 reader='0',
                 outside='error'):
    """Read an EGD-CXR ``fixations.csv`` (all images in one file).

    ``FPOGX``/``FPOGY`` (fractions of the screen) are mapped to image pixels
    through the display geometry; ``FPOGD`` (s) becomes ``duration_ms``;
    rows with ``FPOGV`` = 0 are left out and counted in ``n_invalid``.

    Args:
        path (str): the CSV file.
        image_sizes: mapping ``DICOM_ID -> (h, w)`` of the images.
        geometry: one ``ScreenGeometry`` for all images or a mapping
            ``DICOM_ID -> ScreenGeometry``. Default: a 1920x1080 screen with
            the image fitted and centred.
        reader (str): reader id.
        outside (str): ``'clip'``, ``'drop'`` or ``'error'``.
    """
    cols = {k: [] for k in ('image', 'fx', 'fy', 'duration_ms')}
    n_invalid = 0
    for line, row in csv_rows(path, EGD_COLUMNS, 'EGD-CXR fixations'):
        if 'FPOGV' in row and parse_number(row['FPOGV'], path, line,
                                           'FPOGV') == 0:
            n_invalid += 1
            continue
        image = row['DICOM_ID'].strip()
        if not image:
            raise ValueError(f'{path}:{line}: empty DICOM_ID')
        duration = (
            parse_number(row['FPOGD'], path, line, 'FPOGD') *
            1000.0 if 'FPOGD' in row else math.nan)
        if duration < 0:
            raise ValueError(f'{path}:{line}: negative FPOGD')
        cols['image'].append(image)
        cols['fx'].append(parse_number(row['FPOGX'], path, line, 'FPOGX'))
        cols['fy'].append(parse_number(row['FPOGY'], path, line, 'FPOGY'))
        cols['duration_ms'].append(duration)
    image = np.asarray(cols['image'], dtype=object)
    fx, fy = np.asarray(cols['fx']), np.asarray(cols['fy'])
    x, y = np.empty(len(image)), np.empty(len(image))
    for name in sorted(set(cols['image'])):
        rows = image == name
        geo = (
            geometry
            if isinstance(geometry, ScreenGeometry) else geometry[name])
        x[rows], y[rows] = geo.to_image(fx[rows], fy[rows],
                                        lookup_size(image_sizes, name))
    table = FixationTable(
        image, [reader] * len(image),
        x,
        y,
        duration_ms=cols['duration_ms'],
        n_invalid=n_invalid)
    return apply_outside_policy(table, image_sizes, outside, source=path)


def _gaze_points(field, path, line):
    """Parse ``[(x, y), ...]`` or ``[x, y, x, y, ...]`` into an (n, 2)
    array."""
    try:
        points = ast.literal_eval(field.strip())
    except (ValueError, SyntaxError):
        points = None
    if not isinstance(points, (list, tuple)):
        raise ValueError(f'{path}:{line}: gaze field {field.strip()[:60]!r} '
                         'is not a list [(x, y), ...] or [x, y, x, y, ...]')

    def is_num(v):
        return isinstance(v, numbers.Real) and not isinstance(v, bool)

    if all(is_num(v) for v in points):
        if len(points) % 2:
            raise ValueError(f'{path}:{line}: flat gaze list has an odd '
                             f'number of values ({len(points)})')
        arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    elif all(
            isinstance(p, (list, tuple)) and len(p) == 2 and all(
                is_num(v) for v in p) for p in points):
        arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    else:
        raise ValueError(f'{path}:{line}: gaze list mixes formats; expected '
                         '[(x, y), ...] or [x, y, x, y, ...] of numbers')
    if not np.isfinite(arr).all():
        raise ValueError(f'{path}:{line}: gaze list has non-finite values')
    return arr


def read_toolkit_log(path,
                     image_sizes=None,
                     scale=None,
                     display_height=TOOLKIT_DISPLAY_HEIGHT,
                     reader=None,
                     outside='error'):
    """Read the gaze toolkit's line log
    ``image-location;class-label;[gaze points];[bbox];keypoint-loc``.

    Gaze points were recorded on the image shown ``display_height`` px high;
    they are mapped to image pixels by ``scale`` (image px per shown px),
    by default ``h / display_height`` from ``image_sizes``. Fields after
    the gaze list are not used; durations are unknown (NaN).

    Args:
        path (str): the log file.
        image_sizes: mapping ``image -> (h, w)``; needed when ``scale`` is
            None, and used for the outside check when given.
        scale (float, optional): one scale for all images.
        display_height (int): height of the shown image in px.
        reader (str): reader id; default the log file's name without
            extension.
        outside (str): ``'clip'``, ``'drop'`` or ``'error'``.
    """
    if scale is None and image_sizes is None:
        raise ValueError('read_toolkit_log needs image_sizes or scale to map '
                         'the shown gaze points to image pixels')
    if scale is not None and not scale > 0:
        raise ValueError(f'scale must be > 0, got {scale}')
    reader = reader or osp.splitext(osp.basename(path))[0]
    images, xs, ys = [], [], []
    for line, text in enumerate(get_text(path).splitlines(), start=1):
        if not text.strip():
            continue
        fields = text.split(';')
        if len(fields) < 3:
            raise ValueError(f'{path}:{line}: expected fields '
                             'image;label;[gaze points];..., found '
                             f'{len(fields)} field(s)')
        image = fields[0].strip()
        if not image:
            raise ValueError(f'{path}:{line}: empty image field')
        points = _gaze_points(fields[2], path, line)
        s = scale or lookup_size(image_sizes, image)[0] / display_height
        # shown pixel centres -> image pixel centres
        images += [image] * len(points)
        xs.append((points[:, 0] + 0.5) * s - 0.5)
        ys.append((points[:, 1] + 0.5) * s - 0.5)
    table = FixationTable(images, [reader] * len(images),
                          np.concatenate(xs) if xs else [],
                          np.concatenate(ys) if ys else [])
    return _finish(table, path, image_sizes, outside)


FORMATS = ('generic', 'reflacx', 'egd-cxr', 'toolkit')


def read_fixations(path, fmt, **kwargs):
    """Read ``path`` in format ``fmt`` (one of ``FORMATS``); for REFLACX
    ``path`` may be a folder of readings. ``kwargs`` go to the reader."""
    if fmt == 'generic':
        return read_generic(path, **kwargs)
    if fmt == 'reflacx':
        if osp.isdir(path):
            return read_reflacx_tree(path, **kwargs)
        return read_reflacx(path, **kwargs)
    if fmt == 'egd-cxr':
        return read_egd_cxr(path, **kwargs)
    if fmt == 'toolkit':
        return read_toolkit_log(path, **kwargs)
    raise ValueError(f'unknown fixation format {fmt!r}; expected one of '
                     f'{FORMATS}')
