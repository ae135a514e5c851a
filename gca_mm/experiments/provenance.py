"""What a benchmark cell was run on, and finished cells carried over from a
committed report.

The CPU matrix takes longer than one working session, and a work dir does
not outlive its machine. Each cell's record therefore carries its
**provenance**: fingerprints of the data and of the attention maps it
read, the hardware and the date. A later run on freshly made data imports
a committed record (``docs/benchmark.json``) instead of pre-training the
cell again, but only when what the cell depends on is byte for byte the
same: the same budget, the same data, and for the arms that read the
predicted maps (or measure their crop area on them) the same maps.
"""
import hashlib
import json
import os
import os.path as osp
import platform
import subprocess
import time

from ..utils import atomic_write_text

#: entries of a data root made from the data, not part of it
DERIVED = ('saliency_maps', 'control_maps', 'label_fractions')


def tree_fingerprint(root, exclude=()):
    """SHA-256 (16 hex digits) of every file below ``root``: relative
    paths and bytes, in sorted order; top-level entries named in
    ``exclude`` are left out."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'cannot fingerprint {root}: no such '
                                'directory')
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        if osp.samefile(dirpath, root):
            dirnames[:] = [d for d in dirnames if d not in exclude]
            filenames = [f for f in filenames if f not in exclude]
        dirnames.sort()
        for name in sorted(filenames):
            path = osp.join(dirpath, name)
            digest.update(osp.relpath(path, root).replace(os.sep, '/')
                          .encode() + b'\0')
            with open(path, 'rb') as f:
                for block in iter(lambda: f.read(1 << 20), b''):
                    digest.update(block)
            digest.update(b'\0')
    return digest.hexdigest()[:16]


def uses_predicted_maps(arm):
    """Whether a cell of ``arm`` depends on the predicted attention maps:
    the GCA arms that read them and ``stock-matched``, whose crop range is
    measured on them."""
    from .benchmark import CONTROL_MAPS
    return arm == 'stock-matched' or (arm.startswith('gca')
                                      and arm not in CONTROL_MAPS)


def hardware():
    """The processor and accelerator, in words."""
    import torch
    device = (torch.cuda.get_device_name(0) if torch.cuda.is_available()
              else f'CPU only, {os.cpu_count()} cores')
    cpu = platform.processor() or platform.machine()
    flags = set()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                elif line.startswith('flags'):
                    flags = set(line.split(':', 1)[1].split())
                if flags and not cpu == platform.machine():
                    break
    except OSError:
        pass
    # what sets a CPU's speed and bf16 rounding here (the same model name
    # covers CPUs with and without them)
    extensions = [name for flag, name in (
        ('amx_bf16', 'AMX-BF16'), ('avx512_bf16', 'AVX512-BF16'),
        ('avx512f', 'AVX-512'), ('avx2', 'AVX2')) if flag in flags]
    if extensions:
        cpu += f' ({extensions[0]})'
    return f'{cpu}, {device}'


def git_commit(path='.'):
    """The commit checked out at ``path``, or None."""
    try:
        out = subprocess.run(['git', '-C', path, 'rev-parse', 'HEAD'],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def run_provenance(data_root, gaze_map_root=None, repo=None):
    """Fingerprints and machine of this run: ``{data, gaze_maps,
    hardware, commit, measured}`` (``gaze_maps`` None without maps)."""
    return dict(
        data=tree_fingerprint(data_root, exclude=DERIVED),
        gaze_maps=(tree_fingerprint(gaze_map_root)
                   if gaze_map_root and osp.isdir(gaze_map_root) else None),
        hardware=hardware(), commit=git_commit(repo or '.'),
        measured=time.strftime('%Y-%m-%d'))


def finished_provenance(provenance, result_path):
    """Provenance for a cell finished in this work dir by a version that
    kept none: this run's fingerprints and machine (a work dir does not
    outlive its machine), the date its ``result.json`` was written, and no
    commit (this run's is not the one that ran it)."""
    written = time.strftime('%Y-%m-%d',
                            time.localtime(osp.getmtime(result_path)))
    return dict(provenance, commit=None, measured=written)


def importable(record, budget, provenance):
    """Why a run record of a report cannot stand for a cell of this run,
    or None when it can: its budget, data and (where the arm reads them)
    predicted maps must equal this run's."""
    from .benchmark import budget_record
    if not record.get('budget') or \
            budget_record(record['budget']) != budget_record(budget):
        return f"budget {record.get('budget')} is not this run's {budget}"
    if not record.get('provenance'):
        return 'the record has no provenance (made before fingerprints)'
    return _measured_elsewhere(record, provenance)


def _measured_elsewhere(record, provenance):
    """Why ``record`` was measured on other data, or (for an arm that reads
    them) other predicted maps, than ``provenance``'s; None if it was not."""
    theirs = record.get('provenance') or {}
    needs = ['data'] + (['gaze_maps'] if uses_predicted_maps(record['arm'])
                        else [])
    for key in needs:
        if theirs.get(key) is None or theirs.get(key) != provenance.get(key):
            return (f'{key} fingerprint {theirs.get(key)} is not this '
                    f"run's {provenance.get(key)}")
    return None


def rendering_provenance(report, repo=None):
    """Provenance of a run that only re-renders ``report`` (``--report-only``
    with ``--import-results``): the report's data and map fingerprints,
    what its cells were measured on, with this machine, commit and date.

    Nothing is trained, so this machine's data and maps are not compared:
    the predicted maps are not byte for byte the same on every CPU (the
    saliency model's training rounds differently), and a report made on
    one CPU must still re-render on another. None if the report records
    no provenance."""
    with open(report) as f:
        theirs = json.load(f).get('settings', {}).get('provenance')
    if not theirs or not theirs.get('data'):
        return None
    return dict(data=theirs['data'], gaze_maps=theirs.get('gaze_maps'),
                hardware=hardware(), commit=git_commit(repo or '.'),
                measured=time.strftime('%Y-%m-%d'))


def mixed_cells(results, provenance):
    """``{(algorithm, arm, seed): why}`` of the run records among
    ``results`` that were measured on other data, or (arms that read them)
    other predicted maps, than ``provenance``'s: cells that cannot be
    compared with the others in one report."""
    mixed = {}
    for r in results:
        why = _measured_elsewhere(r, provenance)
        if why:
            mixed[(r['algorithm'], r['arm'], r['seed'])] = why
    return mixed


def portable_numpy_env():
    """Environment for a child process whose numpy output must not depend on
    the CPU: ``NPY_DISABLE_CPU_FEATURES`` naming the AVX-512 features this
    numpy dispatches to.

    numpy's AVX-512 kernels of ``exp``, ``sin`` and ``cos`` round
    differently from its AVX2 ones, so the benchmark data that
    ``tools/make_demo_data.py`` made on an AVX-512 CPU differed, byte for
    byte, from the data made on an AVX2 one (measured 2026-12-07: the
    fingerprint ``bfb26d1f43cf49c4`` on an AMX Xeon, ``05116d6518132a2b``
    on an AVX2 EPYC and on the Xeon with this environment)."""
    try:
        from numpy.core._multiarray_umath import __cpu_dispatch__
    except ImportError:  # numpy >= 2 moved it
        from numpy._core._multiarray_umath import __cpu_dispatch__
    off = [f for f in __cpu_dispatch__ if f.startswith('AVX512')]
    return {'NPY_DISABLE_CPU_FEATURES': ' '.join(off)} if off else {}


def import_cells(report, cells, result_path, budget, provenance):
    """Write the ``result.json`` of each cell that has none from the run
    record of a previous report, where :func:`importable`.

    Args:
        report (str): a report JSON written by ``tools/benchmark.py``.
        cells (list[tuple]): ``(algorithm, arm, seed)`` of this run.
        result_path (callable): ``(algorithm, arm, seed) -> path`` of a
            cell's ``result.json``.
        budget (dict): this run's budget (``asdict(Budget)``).
        provenance (dict): this run's, from :func:`run_provenance`.

    Returns:
        tuple[list, dict]: the cells imported, and ``{cell: reason}`` of
        those the report has but that could not be imported.
    """
    with open(report) as f:
        data = json.load(f)
    records = {(r['algorithm'], r['arm'], r['seed']): r
               for rec in data.get('cells', []) for r in rec.get('runs', [])}
    imported, refused = [], {}
    for cell in cells:
        path = result_path(*cell)
        if cell not in records or osp.isfile(path):
            continue
        why = importable(records[cell], budget, provenance)
        if why:
            refused[cell] = why
            continue
        record = dict(records[cell], imported_from=report)
        os.makedirs(osp.dirname(path), exist_ok=True)
        atomic_write_text(path, json.dumps(record, indent=2))
        imported.append(cell)
    return imported, refused


__all__ = ['DERIVED', 'tree_fingerprint', 'uses_predicted_maps', 'hardware',
           'git_commit', 'run_provenance', 'finished_provenance',
           'importable', 'import_cells', 'rendering_provenance',
           'mixed_cells', 'portable_numpy_env']
