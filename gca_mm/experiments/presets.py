"""Named benchmark matrices (``tools/benchmark.py --preset``).

- ``quick``: SimCLR, stock and GCA, one seed: what ``make demo`` runs
  (``tools/demo.py``), on the demo data.
- ``cpu``: the issue's matrix on one CPU: BYOL (the paper's algorithm) with
  every arm and the operator ablation; SimCLR and MoCo v3 with ``stock``,
  ``stock-matched``, ``gca`` and ``gca-oracle``; seeds 0, 1, 2; the
  untrained backbone of each seed. 54 pre-training cells (51 until
  ``stock-tuned`` has its config) of 7-11 min each on the 2-core Xeon of
  docs/cpu_training.md: about 8-9 hours, resumable.

Arms whose config does not exist yet (``stock-tuned`` before its search on
val) are left out with a warning, so a preset always runs.
"""
from .benchmark import ARMS

PRESETS = {
    'quick': dict(cells={'simclr': ('stock', 'gca')}, seeds=(0, )),
    'cpu': dict(
        cells={
            'byol': ARMS,
            'simclr': ('stock', 'stock-matched', 'gca', 'gca-oracle'),
            'mocov3': ('stock', 'stock-matched', 'gca', 'gca-oracle'),
        },
        seeds=(0, 1, 2)),
}


def preset_cells(name):
    """``[(algorithm, arm)]`` and the seeds of a preset."""
    if name not in PRESETS:
        raise ValueError(f'unknown preset {name!r}; presets: '
                         f'{", ".join(PRESETS)}')
    preset = PRESETS[name]
    return ([(algo, arm) for algo, arms in preset['cells'].items()
             for arm in arms], list(preset['seeds']))


__all__ = ['PRESETS', 'preset_cells']
