"""Named benchmark matrices (``tools/benchmark.py --preset``).

A preset is a list of **groups** run in order; each group runs all its
seeds before the next group starts, so an interrupted matrix leaves whole
paired comparisons (every arm of a group at every seed), not one seed of
everything.

- ``quick``: SimCLR, stock and GCA, one seed: what ``make demo`` runs
  (``tools/demo.py``), on the demo data.
- ``cpu``: the issue's matrix on one 2-core CPU, seeds 0, 1, 2, the most
  telling comparison first, in groups small enough for one working
  session (a session may run on another kind of CPU, and the arms of a
  seed must be paired on one machine):

  1. SimCLR ``stock`` and ``gca``: does GCA beat the stock views?
  2. SimCLR ``stock-matched``: more than crops of the same mean area?
  3. SimCLR ``gca-oracle``: how far are the predicted maps from the
     finding boxes?
  4. SimCLR ``gca-centre``, ``gca-mean``: would any centred prior do?
  5. MoCo v3 ``stock`` and ``gca``;
  6. MoCo v3 ``stock-matched`` and ``gca-oracle``;
  7. MoCo v3 leave-one-out ablation (GCA without erasing, without
     dimming): MoCo v3 learns nothing from the full GCA views at this
     budget while crops of their size, and GCA's crop alone, learn, so
     which operator on top of the crop stops it comes first;
  8. MoCo v3 operator ablation (crop, erase, dim only; without the crop
     the view is the whole image);
  9. MoCo v3 ``gca-centre`` and ``gca-mean``;
  10. ``stock-tuned`` of SimCLR and MoCo v3 (their configs are written by
      the search on val, ``tools/analysis/search_stock_views.py``);
  11. BYOL, the paper's algorithm, every arm and both ablations.

  Every cell trains in fp32 (``budget``), so cells made on different
  CPUs share one budget: the same initialisation and image order for
  each seed, only float rounding differs (though over a whole
  pre-training that can move a cell as much as a change of seed).

  SimCLR leads because it is the cheapest algorithm that learns at the CPU
  budget (4.8-5.4 s an epoch with bf16, about 10 s in fp32). MoCo v3
  carries the operator ablation that the paper runs on BYOL: BYOL does not
  learn at this budget (thirteen variants read below their own untrained
  network on val, docs/cpu_training.md), so its arms would compare
  backbones that learned nothing; MoCo v3 is BYOL's design (momentum
  target, predictor) plus negatives, and learns. BYOL stays in the matrix,
  last.

  93 pre-training cells (84 until ``stock-tuned`` has its configs) of
  7-11 min each with bf16, 15-27 min in fp32, on the 2-core CPUs of
  docs/cpu_training.md: 11-15 hours with bf16, about 28 in fp32. It is
  resumable across sessions through the committed report
  (``tools/benchmark.py --import-results``, the default when ``--out``'s
  JSON exists).

- ``cpu-byol``: BYOL's two groups of ``cpu`` (11 and 12), alone, on its
  budget. The ``cpu`` report's cells that read the predicted maps can only
  be carried over by a CPU that makes the same maps, byte for byte, and
  other CPUs make others (docs/benchmark_protocol.md, "Other CPUs"). On
  such a CPU this preset runs BYOL's map-reading arms again, every seed,
  on that CPU's maps, in a report of its own (``--out
  docs/benchmark_byol``), and carries the map-free cells over from the
  ``cpu`` report (``--import-results docs/benchmark.json``): 36 cells, 21
  of them to train, 16-30 min each in fp32 on a 2-core AMX Xeon.

- ``gpu``: the paper's scale on one GPU: mmpretrain's ResNet-50 recipes
  (``configs/gpu/``), 224 px, 200 epochs, batch 256 (what BYOL's and
  SimCLR's recipes put on one GPU; learning rates scaled to it by
  mmpretrain's ``auto_scale_lr``), fp16, 8 loader workers, probed and
  fine-tuned with ``configs/gpu/linear_probe_resnet50_knee.py`` /
  ``finetune_resnet50_knee.py`` at 224 px; ``stock`` and ``gca`` of BYOL,
  MoCo v3 and SimCLR, seeds 0-2; with ``--prepare``, a demo set with the
  paper's split sizes (5,778 / 826 / 1,656), or the public dataset's
  layout as ``--data-root``. Not yet run: no GPU was lent to this work.

Arms whose config does not exist yet (``stock-tuned`` before its search on
val) are left out with a warning, so a preset always runs.
"""
from .benchmark import ARMS

ABLATION = ('gca-crop-only', 'gca-erase-only', 'gca-dim-only')
LEAVE_ONE_OUT = ('gca-no-erase', 'gca-no-dim')

# fp32 on every CPU: one matrix whatever CPU a session gets (bf16 rounds
# differently by CPU, and not every CPU has it; fp32 costs 1.2x on the AMX
# Xeon, docs/cpu_training.md)
CPU_BUDGET = dict(amp=False)

CPU_GROUPS = (
    {'simclr': ('stock', 'gca')},
    {'simclr': ('stock-matched', )},
    {'simclr': ('gca-oracle', )},
    {'simclr': ('gca-centre', 'gca-mean')},
    {'mocov3': ('stock', 'gca')},
    {'mocov3': ('stock-matched', 'gca-oracle')},
    {'mocov3': LEAVE_ONE_OUT},
    {'mocov3': ABLATION},
    {'mocov3': ('gca-centre', 'gca-mean')},
    {'simclr': ('stock-tuned', ), 'mocov3': ('stock-tuned', )},
    # BYOL's seven arms and the paper's one-operator ablation, then
    # its leave-one-out ablation (the must-haves first)
    {'byol': tuple(a for a in ARMS if a not in LEAVE_ONE_OUT)},
    {'byol': LEAVE_ONE_OUT},
)

PRESETS = {
    'quick': dict(groups=({'simclr': ('stock', 'gca')}, ), seeds=(0, )),
    'cpu': dict(groups=CPU_GROUPS, seeds=(0, 1, 2), budget=CPU_BUDGET),
    # BYOL's groups of `cpu` alone, on the same budget
    'cpu-byol': dict(
        groups=tuple(g for g in CPU_GROUPS if set(g) == {'byol'}),
        seeds=(0, 1, 2), budget=CPU_BUDGET),
    'gpu': dict(
        groups=(
            {'byol': ('stock', 'gca')},
            {'mocov3': ('stock', 'gca')},
            {'simclr': ('stock', 'gca')},
        ),
        seeds=(0, 1, 2),
        budget=dict(family='gpu', epochs=200, img_size=224, batch_size=256,
                    probe_size=224, amp=True),
        # the paper's split sizes: 5,778 train, 826 val, 1,656 test
        data=dict(num_images=8260, split_fractions=(0.6995, 0.1, 0.2005))),
}


def preset_cells(name):
    """The cells of a preset in the order they run: ``[(algorithm, arm,
    seed)]``, group by group, every seed of a group before the next."""
    if name not in PRESETS:
        raise ValueError(f'unknown preset {name!r}; presets: '
                         f'{", ".join(PRESETS)}')
    preset = PRESETS[name]
    return [(algo, arm, seed) for group in preset['groups']
            for seed in preset['seeds']
            for algo, arms in group.items() for arm in arms]


def preset_algorithms(name):
    """The algorithms of a preset, in the order they first appear."""
    found = []
    for algo, _, _ in preset_cells(name):
        if algo not in found:
            found.append(algo)
    return found


__all__ = ['PRESETS', 'preset_cells', 'preset_algorithms']
