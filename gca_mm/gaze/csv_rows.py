"""Checked CSV parsing shared by the gaze readers: errors name the file and
line."""
import csv
import io
import math

from mmengine.fileio import get_text


def csv_rows(path, required, fmt, allowed=None):
    """Yield ``(line number, row dict)``; check the header (``required``
    columns present; only ``allowed`` ones if given) and row widths."""
    reader = csv.reader(io.StringIO(get_text(path, encoding='utf-8-sig')))
    header = [c.strip() for c in next(reader, [])]
    if not header:
        raise ValueError(f'{path}: empty file, expected a {fmt} header with '
                         f'columns {", ".join(required)}')
    missing = [c for c in required if c not in header]
    if missing:
        raise ValueError(f'{path}: {fmt} header lacks column(s) '
                         f'{", ".join(missing)} (found {", ".join(header)})')
    unknown = [c for c in header if allowed is not None and c not in allowed]
    if unknown:
        raise ValueError(f'{path}: unknown column(s) {", ".join(unknown)}; '
                         f'the {fmt} has {", ".join(allowed)}')
    for fields in reader:
        if not fields:
            continue
        if len(fields) != len(header):
            raise ValueError(f'{path}:{reader.line_num}: expected '
                             f'{len(header)} fields as in the header, found '
                             f'{len(fields)}')
        yield reader.line_num, dict(zip(header, fields))


def parse_number(value, path, line, column, allow_empty=False):
    """A finite float from a field (str or number); NaN for an empty field
    when ``allow_empty``."""
    value = str(value).strip()
    if allow_empty and value == '':
        return math.nan
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f'{path}:{line}: column {column!r}: expected a '
                         f'finite number, got {value!r}')
    return number
