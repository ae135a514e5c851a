"""The search behind the benchmark's ``stock-tuned`` arm (the paper's
"Searched"): the stock views of one algorithm with another crop-area range
and, optionally, a cutout, each candidate pre-trained once at the
benchmark's budget and judged by the probe's **val** macro-F1 (never test).
The winner is written as ``configs/benchmark/<algorithm>_stock_tuned_knee.py``
(``tools/analysis/search_stock_views.py``).

A candidate changes only what the paper searched: the lower bound of every
``RandomResizedCrop``'s area range (its upper bound stays 1) and a square
cutout of a fixed side (mmpretrain's ``RandomErasing``, filled with the
data's mean grey level, i.e. 0 after normalisation, as Cutout does) at the
end of each view. Everything else is the stock config.
"""
import json
import os
import os.path as osp
import shutil
from dataclasses import dataclass
from typing import Optional

from ..utils import atomic_write_text

#: lower bounds of the crop-area range searched; 0.08 is mmpretrain's stock
#: range for BYOL and SimCLR, 0.2 MoCo v3's
CROP_LOWER_BOUNDS = (0.08, 0.2, 0.35, 0.5)
#: cutout sides searched, as a fraction of the view's side; None: no cutout.
#: 48 / 224 is the paper's 48 px cutout of a 224 px view
CUTOUT_SIDES = (None, 48 / 224)
#: grey level the cutout is filled with: the knee configs' normalisation
#: mean (``knee_data_preprocessor``), so the hole reads 0 to the network
CUTOUT_FILL = 118


@dataclass(frozen=True)
class Candidate:
    """One point of the search: crop area range ``(crop_low, 1)`` and a
    square cutout of side ``cutout_side`` x the view's side (None: none)."""
    crop_low: float
    cutout_side: Optional[float] = None

    def __post_init__(self):
        if not 0 < self.crop_low <= 1:
            raise ValueError('Candidate crop_low must be in (0, 1], got '
                             f'{self.crop_low!r}')
        if self.cutout_side is not None and not 0 < self.cutout_side < 1:
            raise ValueError('Candidate cutout_side must be in (0, 1) or '
                             f'None, got {self.cutout_side!r}')

    @property
    def name(self):
        """A folder name: ``crop0.2_cutout0.214`` / ``crop0.08_nocutout``."""
        cut = 'nocutout' if self.cutout_side is None else \
            f'cutout{self.cutout_side:.3g}'
        return f'crop{self.crop_low:.3g}_{cut}'

    @property
    def crop_ratio_range(self):
        return (float(self.crop_low), 1.0)

    def cutout(self):
        """The cutout transform config, or None."""
        if self.cutout_side is None:
            return None
        area = round(float(self.cutout_side)**2, 6)
        return dict(type='RandomErasing', erase_prob=1.0,
                    min_area_ratio=area, max_area_ratio=area,
                    aspect_range=(1.0, 1.0), mode='const',
                    fill_color=(CUTOUT_FILL, ) * 3)


def candidates(crop_lows=CROP_LOWER_BOUNDS, cutout_sides=CUTOUT_SIDES):
    """Every combination, the stock-like ones (lowest crop bound, no
    cutout) first."""
    return [Candidate(float(c), None if s is None else float(s))
            for c in sorted(crop_lows)
            for s in sorted(cutout_sides, key=lambda s: -1 if s is None
                            else s)]


def tuned_config_text(algorithm, candidate, search=None, command=None):
    """The text of ``configs/benchmark/<algorithm>_stock_tuned_knee.py`` for
    ``candidate``; ``search`` (a list of result dicts, see :func:`choose`)
    and ``command`` are recorded in its header."""
    lines = [
        f'# Arm `stock-tuned` of the benchmark (the paper\'s "Searched"): '
        f'stock {algorithm}',
        f'# ({algorithm}_knee.py) with the crop-area range and the cutout '
        'chosen on the val split',
        '# by gca_mm.experiments.stock_search, seed 0, the benchmark\'s '
        'budget.',
    ]
    if command:
        lines += ['# Made by', f'#   {command}']
    if search:
        lines.append('# val accuracy / macro-F1 / MAE of every candidate:')
        lines += [f'#   {r["candidate"]}: {r["val_accuracy"]:.2f} / '
                  f'{r["val_macro_f1"]:.2f} / {r["val_grade_mae"]:.3f}'
                  for r in search]
    cutout = candidate.cutout()
    lines += [
        f"_base_ = ['../{algorithm}_knee.py']",
        'from gca_mm.utils.view_edits import edit_views  # noqa: E402',
        '',
        f'tuned_crop_ratio_range = {candidate.crop_ratio_range!r}',
        f'tuned_cutout = {cutout!r}',
        '',
        'train_pipeline = edit_views(_base_.train_pipeline, '
        'tuned_crop_ratio_range,',
        '                            tuned_cutout)',
        'train_dataloader = dict(dataset=dict(pipeline=train_pipeline))',
        '',
    ]
    return '\n'.join(lines)


def choose(results):
    """The best of ``results`` (dicts with ``candidate``, ``val_macro_f1``,
    ``val_accuracy``, ``val_grade_mae``): the highest val macro-F1, ties
    broken by the lower val MAE, then by the order given (stock-like
    first)."""
    if not results:
        raise ValueError('choose: no candidate results')
    return max(enumerate(results),
               key=lambda ir: (ir[1]['val_macro_f1'],
                               -ir[1]['val_grade_mae'], -ir[0]))[1]


def write_candidate_configs(configs, algorithm, candidate, out_dir):
    """A copy of the config folder ``configs`` in ``out_dir`` whose
    ``benchmark/<algorithm>_stock_tuned_knee.py`` is ``candidate``; returns
    its path (the ``configs`` argument of the benchmark's cells)."""
    target = osp.join(out_dir, 'configs')
    if not osp.isdir(target):
        tmp = target + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(configs, tmp)
        os.replace(tmp, target)
    atomic_write_text(
        osp.join(target, 'benchmark', f'{algorithm}_stock_tuned_knee.py'),
        tuned_config_text(algorithm, candidate))
    return target


def search_stock_views(algorithm, budget, data_root, work_root, configs,
                       out, cands=None, seed=0, run_cell=None, command=None,
                       **cell_kwargs):
    """Pre-train every candidate once (resumable: finished cells are read
    back), choose on val, write the winner's config to ``out``; return
    ``(best, results)``. ``run_cell`` defaults to the benchmark's."""
    if run_cell is None:
        from .benchmark import run_cell
    cands = list(cands or candidates())
    results = []
    for cand in cands:
        cand_dir = osp.join(work_root, cand.name)
        cand_configs = write_candidate_configs(configs, algorithm, cand,
                                               cand_dir)
        cell = run_cell(algorithm, 'stock-tuned', seed, budget, data_root,
                        cand_dir, configs=cand_configs, **cell_kwargs)
        results.append(dict(
            candidate=cand.name, crop_ratio_range=cand.crop_ratio_range,
            cutout_side=cand.cutout_side,
            **{k: cell[k] for k in ('val_accuracy', 'val_macro_f1',
                                    'val_grade_mae', 'accuracy', 'macro_f1',
                                    'grade_mae')}))
    best = choose(results)
    atomic_write_text(out, tuned_config_text(
        algorithm, cands[results.index(best)], results, command))
    atomic_write_text(osp.join(work_root, 'search.json'),
                      json.dumps(dict(algorithm=algorithm, seed=seed,
                                      best=best, results=results), indent=2))
    return best, results


__all__ = [
    'CROP_LOWER_BOUNDS', 'CUTOUT_SIDES', 'CUTOUT_FILL', 'Candidate',
    'candidates', 'tuned_config_text', 'choose', 'write_candidate_configs',
    'search_stock_views'
]
