"""Readers of eye-tracking recordings; each returns a ``FixationTable``.

Formats: the generic CSV of gca_mm, REFLACX (the download as distributed,
one reading's fixations, or its raw gaze), EGD-CXR and the gaze toolkit's
line log. A malformed row raises ``ValueError`` naming the file and
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

from .bounds import ImageSizes, apply_outside_policy, lookup_size
from .csv_rows import csv_rows, parse_number
from .image_index import image_lookup
from .table import GENERIC_COLUMNS, FixationTable

REFLACX_COLUMNS = ('timestamp_start_fixation', 'timestamp_end_fixation',
                   'x_position', 'y_position')
REFLACX_GAZE_COLUMNS = ('timestamp_sample', 'x_position', 'y_position')
REFLACX_PPD = ('angular_resolution_x_pixels_per_degree',
               'angular_resolution_y_pixels_per_degree')
REFLACX_SHOWN = ('xmin_shown_from_image', 'ymin_shown_from_image',
                 'xmax_shown_from_image', 'ymax_shown_from_image')
REFLACX_METADATA_COLUMNS = ('id', 'eye_tracking_data_discarded', 'dicom_id',
                            'image_size_x', 'image_size_y')
REFLACX_SOURCES = ('fixations', 'gaze')
EGD_COLUMNS = ('DICOM_ID', 'FPOGX', 'FPOGY')
# EGD-CXR's screen ("DO NOT CHANGE" in the dataset's mapping script) and
# the padding around each image on it, per dicom_id, in master_sheet.csv
EGD_SCREEN_SIZE = (1920, 1080)
EGD_PADDING_COLUMNS = ('image_top', 'image_bottom', 'image_left',
                       'image_right')
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


def _optional_columns(row, names, path, line):
    """The numbers of ``names`` in ``row``, NaN for absent columns."""
    return [
        parse_number(row[c], path, line, c) if c in row else math.nan
        for c in names
    ]


def _reflacx_point(row, path, line):
    """Position, pixels per degree and shown rectangle of one row of a
    REFLACX ``fixations.csv`` or ``gaze.csv``."""
    return dict(
        x=parse_number(row['x_position'], path, line, 'x_position'),
        y=parse_number(row['y_position'], path, line, 'y_position'),
        ppd=_optional_columns(row, REFLACX_PPD, path, line),
        shown=_optional_columns(row, REFLACX_SHOWN, path, line))


def _reflacx_table(image, reader, rows, time, duration_ms, n_invalid=0):
    """A table of one REFLACX reading from parsed ``rows`` (dicts of x, y,
    ppd, shown), ordered by ``time``."""
    n = len(rows)
    order = np.empty(n, dtype=np.int64)
    order[np.argsort(np.asarray(time, dtype=np.float64), kind='stable')] = \
        np.arange(n)
    return FixationTable(
        [image] * n, [reader] * n, [r['x'] for r in rows],
        [r['y'] for r in rows],
        duration_ms=duration_ms,
        order=order,
        ppd_x=[r['ppd'][0] for r in rows],
        ppd_y=[r['ppd'][1] for r in rows],
        shown=np.asarray([r['shown'] for r in rows],
                         dtype=np.float64).reshape(n, 4),
        n_invalid=n_invalid)


def _reading_ids(path, image, reader):
    if not image:
        raise ValueError(f'{path}: a REFLACX reading is named by its reading '
                         'id, not its image: pass image= (the image id under '
                         'your image root, --image)')
    return str(image), str(reader or osp.basename(
        osp.dirname(osp.abspath(path))))


def read_reflacx(path, image, reader=None, image_sizes=None,
                 outside='error'):
    """Read one REFLACX reading (``main_data/<id>/fixations.csv``).

    Durations are ``timestamp_end_fixation - timestamp_start_fixation`` (s)
    in ms; rows are ordered by start time; the per-row angular resolutions
    are kept as ``ppd_x`` / ``ppd_y`` (for a sigma in degrees) and the
    ``{x,y}{min,max}_shown_from_image`` rectangle as ``shown``.

    Args:
        path (str): the reading's ``fixations.csv``.
        image (str): the image id (path under the user's image root).
        reader (str): reader id; default the name of the file's folder,
            i.e. the reading id.
        image_sizes, outside: see ``read_generic``.
    """
    image, reader = _reading_ids(path, image, reader)
    rows, start, duration = [], [], []
    for line, row in csv_rows(path, REFLACX_COLUMNS, 'REFLACX fixations'):
        t0, t1 = (parse_number(row[c], path, line, c)
                  for c in REFLACX_COLUMNS[:2])
        if t1 < t0:
            raise ValueError(f'{path}:{line}: timestamp_end_fixation is '
                             'before timestamp_start_fixation')
        rows.append(_reflacx_point(row, path, line))
        start.append(t0)
        duration.append(1000.0 * (t1 - t0))
    table = _reflacx_table(image, reader, rows, start, duration)
    return _finish(table, path, image_sizes, outside)


def read_reflacx_gaze(path,
                      image,
                      reader=None,
                      sample_ms=1.0,
                      image_sizes=None,
                      outside='error'):
    """Read one REFLACX raw gaze recording (``gaze_data/<id>/gaze.csv``,
    1000 Hz) as fixation-free points.

    Each valid sample is one point of duration ``sample_ms`` (its sampling
    period), so a duration-weighted map of the points is the time density
    of the gaze, with no fixation detection in between. Rows with an empty
    position are blinks (or lost tracking): left out and counted in
    ``n_invalid``. Pixels per degree and the shown rectangle are kept as in
    ``read_reflacx``.

    Args:
        path (str): the recording's ``gaze.csv``.
        image, reader, image_sizes, outside: see ``read_reflacx``.
        sample_ms (float): duration of one sample in ms (1000 Hz: 1).
    """
    if not sample_ms > 0:
        raise ValueError(f'sample_ms must be > 0, got {sample_ms}')
    image, reader = _reading_ids(path, image, reader)
    rows, time, n_invalid = [], [], 0
    for line, row in csv_rows(path, REFLACX_GAZE_COLUMNS, 'REFLACX gaze'):
        if not (row['x_position'].strip() and row['y_position'].strip()):
            n_invalid += 1
            continue
        rows.append(_reflacx_point(row, path, line))
        time.append(
            parse_number(row['timestamp_sample'], path, line,
                         'timestamp_sample'))
    table = _reflacx_table(image, reader, rows, time,
                           [float(sample_ms)] * len(rows), n_invalid)
    return _finish(table, path, image_sizes, outside)


def _reflacx_dirs(root):
    """``(main_data, dataset root)`` from either of them."""
    if osp.isdir(osp.join(root, 'main_data')):
        return osp.join(root, 'main_data'), root
    if glob.glob(osp.join(root, 'metadata_phase_*.csv')):
        return root, osp.dirname(osp.abspath(root))
    raise FileNotFoundError(
        f'{root!r} is not a REFLACX download: expected main_data/ with '
        'metadata_phase_*.csv in it, or that folder itself')


def _parse_flag(value, path, line, column):
    flag = str(value).strip().lower()
    if flag in ('true', '1'):
        return True
    if flag in ('false', '0'):
        return False
    raise ValueError(f'{path}:{line}: column {column!r}: expected True or '
                     f'False, got {value!r}')


def reflacx_readings(root):
    """The rows of REFLACX's ``metadata_phase_*.csv`` tables under ``root``
    (the dataset or its ``main_data``), as dicts with ``id``, ``dicom_id``,
    ``discarded``, ``size`` ((h, w) from ``image_size_{y,x}``), ``source``
    (``file:line``), in table and row order."""
    main, _ = _reflacx_dirs(root)
    readings, seen = [], {}
    for meta in sorted(glob.glob(osp.join(main, 'metadata_phase_*.csv'))):
        for line, row in csv_rows(meta, REFLACX_METADATA_COLUMNS,
                                  'REFLACX metadata'):
            rid = row['id'].strip()
            if not rid:
                raise ValueError(f'{meta}:{line}: empty reading id')
            if rid in seen:
                raise ValueError(f'{meta}:{line}: reading id {rid!r} is '
                                 f'already listed at {seen[rid]}')
            seen[rid] = f'{meta}:{line}'
            size = [
                parse_number(row[c], path=meta, line=line, column=c)
                for c in ('image_size_y', 'image_size_x')
            ]
            readings.append(
                dict(
                    id=rid,
                    dicom_id=row['dicom_id'].strip(),
                    discarded=_parse_flag(row['eye_tracking_data_discarded'],
                                          meta, line,
                                          'eye_tracking_data_discarded'),
                    size=(int(size[0]), int(size[1])),
                    source=f'{meta}:{line}'))
    return readings


def read_reflacx_dataset(root,
                         images_root=None,
                         image_map=None,
                         image_sizes=None,
                         source='fixations',
                         sample_ms=1.0,
                         outside='keep'):
    """Read a REFLACX download as distributed.

    The metadata tables (``main_data/metadata_phase_*.csv``) list every
    reading: its ``id`` (the folder of its files), its image's MIMIC-CXR
    ``dicom_id`` and size, and whether its eye-tracking data were discarded.
    Discarded readings are skipped (``n_discarded``). The others are matched
    to the user's images by ``dicom_id`` (anywhere under ``images_root``, or
    through ``image_map``); readings whose image the user does not have are
    skipped (``n_unmatched``). Several readings of one image are several
    readers of it (reader id = reading id).

    Args:
        root (str): the dataset folder (holding ``main_data/`` and, for
            ``source='gaze'``, ``gaze_data/``) or its ``main_data``.
        images_root (str): the user's image tree.
        image_map (str | dict): ``dicom_id -> image`` (relative to
            ``images_root``), or the path of such a CSV (``dicom_id,image``),
            instead of finding the images by file name.
        image_sizes: mapping ``image -> (h, w)``; default the headers of
            the images under ``images_root``. Each image's size must be the
            one in the metadata.
        source (str): ``'fixations'`` (``main_data/<id>/fixations.csv``) or
            ``'gaze'`` (``gaze_data/<id>/gaze.csv``, see
            ``read_reflacx_gaze``).
        sample_ms (float): see ``read_reflacx_gaze``.
        outside (str): see ``apply_outside_policy``; default ``'keep'`` as
            the reference maps do (render them with ``method='pdf'``).
    """
    if source not in REFLACX_SOURCES:
        raise ValueError(f'source must be one of {REFLACX_SOURCES}, got '
                         f'{source!r}')
    main, base = _reflacx_dirs(root)
    readings = reflacx_readings(root)
    if not readings:
        raise ValueError(f'{main}: the metadata tables list no readings')
    lookup = image_lookup(images_root, image_map)
    if image_sizes is None:
        if images_root is None:
            raise ValueError('need images_root or image_sizes to check the '
                             'image sizes')
        image_sizes = ImageSizes(images_root)
    tables, n_discarded, n_unmatched = [], 0, 0
    for reading in readings:
        if reading['discarded']:
            n_discarded += 1
            continue
        image = lookup.get(reading['dicom_id'])
        if image is None:
            n_unmatched += 1
            continue
        h, w = lookup_size(image_sizes, image)
        if (h, w) != reading['size']:
            eh, ew = reading['size']
            raise ValueError(
                f'{reading["source"]}: reading {reading["id"]!r}: image '
                f'{image!r} is {w}x{h} px (width x height) but the metadata '
                f'gives image_size_x={ew}, image_size_y={eh}; is it a resized '
                'copy? REFLACX coordinates are in the original image\'s '
                'pixels')
        if source == 'fixations':
            path = osp.join(main, reading['id'], 'fixations.csv')
        else:
            path = osp.join(base, 'gaze_data', reading['id'], 'gaze.csv')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path}: missing; reading {reading["id"]!r} is not flagged '
                f'eye_tracking_data_discarded in {reading["source"]}')
        if source == 'fixations':
            table = read_reflacx(path, image, reading['id'])
        else:
            table = read_reflacx_gaze(path, image, reading['id'], sample_ms)
        tables.append(
            apply_outside_policy(table, image_sizes, outside, source=path))
    if not tables:
        raise ValueError(
            f'{main}: none of the {len(readings)} readings could be read: '
            f'{n_discarded} discarded, {n_unmatched} without an image under '
            f'{images_root!r} (matched by dicom_id)')
    return FixationTable.concat(tables).with_counts(
        n_discarded=n_discarded, n_unmatched=n_unmatched)


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


def read_egd_master_sheet(path, screen_size=EGD_SCREEN_SIZE):
    """EGD-CXR's published screen geometry: ``dicom_id -> ScreenGeometry``
    from ``master_sheet.csv``, whose ``image_top``, ``image_bottom``,
    ``image_left`` and ``image_right`` columns (or the same names with a
    ``_pad`` suffix) give the padding in screen px around each image on the
    1920x1080 screen of the experiment."""
    geometry = {}
    for line, row in csv_rows(path, ('dicom_id', ), 'EGD-CXR master sheet'):
        names = EGD_PADDING_COLUMNS
        if not all(c in row for c in names):
            names = tuple(c + '_pad' for c in EGD_PADDING_COLUMNS)
        if not all(c in row for c in names):
            raise ValueError(
                f'{path}: EGD-CXR master sheet header lacks the padding '
                f'columns {", ".join(EGD_PADDING_COLUMNS)} (or the same '
                f'with _pad; found {", ".join(row)})')
        top, bottom, left, right = (parse_number(row[c], path, line, c)
                                    for c in names)
        try:
            geometry[row['dicom_id'].strip()] = ScreenGeometry.from_padding(
                screen_size, top=top, bottom=bottom, left=left, right=right)
        except ValueError as e:
            raise ValueError(f'{path}:{line}: {e}') from None
    return geometry


def egd_default_geometry(fixations_path):
    """The geometry of ``master_sheet.csv`` beside ``fixations_path``, as
    the dataset ships them."""
    sheet = osp.join(osp.dirname(osp.abspath(fixations_path)),
                     'master_sheet.csv')
    if not osp.isfile(sheet):
        raise FileNotFoundError(
            f'{sheet}: not found. EGD-CXR publishes where each image was '
            'shown in master_sheet.csv beside fixations.csv; pass its path '
            '(geometry=read_egd_master_sheet(...), --master-sheet) or give '
            'the geometry yourself (--screen-size, --image-rect)')
    return read_egd_master_sheet(sheet)


def read_egd_cxr(path,
                 image_sizes,
                 geometry=None,
                 reader='0',
                 outside='error',
                 image_ids=None):
    """Read an EGD-CXR ``fixations.csv`` (all images in one file).

    ``FPOGX``/``FPOGY`` (fractions of the screen) are mapped to image pixels
    through the display geometry; ``FPOGD`` (s) becomes ``duration_ms``;
    rows with ``FPOGV`` = 0 are left out and counted in ``n_invalid``.

    Args:
        path (str): the CSV file.
        image_sizes: mapping ``image id -> (h, w)`` of the images.
        geometry: one ``ScreenGeometry`` for all images, a mapping
            ``DICOM_ID -> ScreenGeometry``, or None for the dataset's
            published geometry (``master_sheet.csv`` beside ``path``, see
            ``read_egd_master_sheet``).
        reader (str): reader id.
        outside (str): see ``apply_outside_policy``.
        image_ids: mapping ``DICOM_ID -> image id`` (e.g. a
            ``DicomIdIndex`` of the user's image tree). Rows of a
            ``DICOM_ID`` without an image (the calibration screens, images
            the user does not have) are skipped; ``n_unmatched`` counts those
            ``DICOM_ID`` values. None: the image id is the ``DICOM_ID``.
    """
    if geometry is None:
        geometry = egd_default_geometry(path)
    cols = {k: [] for k in ('image', 'dicom_id', 'fx', 'fy', 'duration_ms')}
    n_invalid, unmatched = 0, set()
    for line, row in csv_rows(path, EGD_COLUMNS, 'EGD-CXR fixations'):
        dicom_id = row['DICOM_ID'].strip()
        if not dicom_id:
            raise ValueError(f'{path}:{line}: empty DICOM_ID')
        if image_ids is None:
            image = dicom_id
        else:
            image = image_ids.get(dicom_id)
            if image is None:
                unmatched.add(dicom_id)
                continue
        if 'FPOGV' in row and parse_number(row['FPOGV'], path, line,
                                           'FPOGV') == 0:
            n_invalid += 1
            continue
        duration = (
            parse_number(row['FPOGD'], path, line, 'FPOGD') *
            1000.0 if 'FPOGD' in row else math.nan)
        if duration < 0:
            raise ValueError(f'{path}:{line}: negative FPOGD')
        cols['image'].append(image)
        cols['dicom_id'].append(dicom_id)
        cols['fx'].append(parse_number(row['FPOGX'], path, line, 'FPOGX'))
        cols['fy'].append(parse_number(row['FPOGY'], path, line, 'FPOGY'))
        cols['duration_ms'].append(duration)
    image = np.asarray(cols['image'], dtype=object)
    dicom = np.asarray(cols['dicom_id'], dtype=object)
    fx, fy = np.asarray(cols['fx']), np.asarray(cols['fy'])
    x, y = np.empty(len(image)), np.empty(len(image))
    for name in sorted(set(cols['dicom_id'])):
        rows = dicom == name
        if isinstance(geometry, ScreenGeometry):
            geo = geometry
        elif name in geometry:
            geo = geometry[name]
        else:
            raise KeyError(f'{path}: no screen geometry for DICOM_ID '
                           f'{name!r} (not in the master sheet?)')
        x[rows], y[rows] = geo.to_image(
            fx[rows], fy[rows], lookup_size(image_sizes, image[rows][0]))
    table = FixationTable(
        image, [reader] * len(image),
        x,
        y,
        duration_ms=cols['duration_ms'],
        n_invalid=n_invalid,
        n_unmatched=len(unmatched))
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
    """Read ``path`` in format ``fmt`` (one of ``FORMATS``). For REFLACX a
    folder is the dataset (``read_reflacx_dataset``), a file named
    ``gaze.csv`` one raw recording (``read_reflacx_gaze``), another file one
    reading's fixations (``read_reflacx``). ``kwargs`` go to the reader."""
    if fmt == 'generic':
        return read_generic(path, **kwargs)
    if fmt == 'reflacx':
        if osp.isdir(path):
            return read_reflacx_dataset(path, **kwargs)
        if osp.basename(path) == 'gaze.csv':
            return read_reflacx_gaze(path, **kwargs)
        return read_reflacx(path, **kwargs)
    if fmt == 'egd-cxr':
        return read_egd_cxr(path, **kwargs)
    if fmt == 'toolkit':
        return read_toolkit_log(path, **kwargs)
    raise ValueError(f'unknown fixation format {fmt!r}; expected one of '
                     f'{FORMATS}')
