"""Summaries, Markdown, JSON and a plot of benchmark / demo cells."""
import json
import math

import numpy as np

from ..utils import atomic_open, atomic_write_text
from .benchmark import ALGORITHM_NAMES, ARMS, REFERENCES

METRICS = (('accuracy', 'accuracy (%)'), ('macro_f1', 'macro-F1 (%)'),
           ('grade_mae', 'grade MAE'))


def _mean_std(values):
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return None, None
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


def summarize(results):
    """Group cell results by (algorithm, arm) and pair GCA with stock by
    seed. Returns a JSON-able dict: ``cells`` (one record per algorithm and
    arm with every seed's numbers, mean and std) and ``differences`` (per
    algorithm: GCA minus stock, per seed and as mean and std, and the
    GCA/stock ratio of seconds per epoch)."""
    cells = {}
    for r in results:
        cells.setdefault((r['algorithm'], r['arm']), []).append(r)
    records, diffs = [], []
    order = list(ARMS) + ['reference']
    for (algo, arm), runs in sorted(
            cells.items(), key=lambda kv: (kv[0][1] == 'reference', kv[0][0],
                                           order.index(kv[0][1]))):
        runs = sorted(runs, key=lambda r: r['seed'])
        rec = dict(algorithm=algo, arm=arm, seeds=[r['seed'] for r in runs],
                   runs=runs)
        for key, _ in METRICS + (('seconds_per_epoch', ''), ):
            rec[key + '_mean'], rec[key + '_std'] = _mean_std(
                [r[key] for r in runs])
        records.append(rec)
    for algo in sorted({a for a, _ in cells}):
        stock = {r['seed']: r for r in cells.get((algo, 'stock'), [])}
        gca = {r['seed']: r for r in cells.get((algo, 'gca'), [])}
        seeds = sorted(set(stock) & set(gca))
        if not seeds:
            continue
        d = dict(algorithm=algo, seeds=seeds)
        for key, _ in METRICS:
            per_seed = [gca[s][key] - stock[s][key] for s in seeds]
            d[key + '_per_seed'] = per_seed
            d[key + '_mean'], d[key + '_std'] = _mean_std(per_seed)
        t_gca, _ = _mean_std([gca[s]['seconds_per_epoch'] for s in seeds])
        t_stock, _ = _mean_std([stock[s]['seconds_per_epoch'] for s in seeds])
        d['time_ratio'] = (t_gca / t_stock) if t_gca and t_stock else None
        diffs.append(d)
    return dict(cells=records, differences=diffs)


def _pm(mean, std, fmt='{:.2f}'):
    if mean is None:
        return 'n/a'
    return (fmt + ' ± ' + fmt).format(mean, std)


def _signed(mean, std, fmt='{:+.2f}'):
    """``+1.23 ± 0.45``: the mean with its sign, the spread without."""
    if mean is None:
        return 'n/a'
    return (fmt + ' ± ' + fmt.replace('+', '')).format(mean, std)


def results_table(summary):
    """Markdown table of every (algorithm, arm) cell."""
    lines = ['| algorithm | views | seeds | accuracy (%) | macro-F1 (%) | '
             'grade MAE | s / epoch |',
             '| --- | --- | --- | --- | --- | --- | --- |']
    for rec in summary['cells']:
        lines.append(
            f"| {ALGORITHM_NAMES.get(rec['algorithm'], rec['algorithm'])} | "
            f"{dict(gca='GCA', stock='stock').get(rec['arm'], '-')} | "
            f"{len(rec['seeds'])} | "
            f"{_pm(rec['accuracy_mean'], rec['accuracy_std'])} | "
            f"{_pm(rec['macro_f1_mean'], rec['macro_f1_std'])} | "
            f"{_pm(rec['grade_mae_mean'], rec['grade_mae_std'], '{:.3f}')} | "
            f"{_pm(rec['seconds_per_epoch_mean'], rec['seconds_per_epoch_std'], '{:.1f}')} |")  # noqa: E501
    return '\n'.join(lines)


def differences_table(summary):
    """Markdown table of GCA minus stock (paired by seed)."""
    lines = ['| algorithm | Δ accuracy (points) | Δ macro-F1 (points) | '
             'Δ grade MAE | per-seed Δ accuracy | time GCA / stock |',
             '| --- | --- | --- | --- | --- | --- |']
    for d in summary['differences']:
        per_seed = ', '.join(f'{v:+.1f}' for v in d['accuracy_per_seed'])
        ratio = 'n/a' if d['time_ratio'] is None else \
            f"{d['time_ratio']:.2f}"
        lines.append(
            f"| {ALGORITHM_NAMES.get(d['algorithm'], d['algorithm'])} | "
            f"{_signed(d['accuracy_mean'], d['accuracy_std'])} | "
            f"{_signed(d['macro_f1_mean'], d['macro_f1_std'])} | "
            f"{_signed(d['grade_mae_mean'], d['grade_mae_std'], '{:+.3f}')} "
            f"| {per_seed} | {ratio} |")
    return '\n'.join(lines)


def majority_baseline(data_root, num_classes=5):
    """Scores on the test split of always answering the most frequent grade
    of the training split: the floor a probe must clear to show that the
    backbone learned anything about the grade."""
    from mmpretrain.registry import DATASETS

    def grades(split):
        return np.asarray(DATASETS.build(dict(
            type='KneeXrayDataset', data_root=data_root,
            split=split)).get_gt_labels())

    train, test = grades('train'), grades('test')
    grade = int(np.bincount(train, minlength=num_classes).argmax())
    share = float((test == grade).mean())
    # precision = share and recall = 1 for that grade, F1 = 0 for the rest
    return dict(grade=grade, accuracy=100 * share,
                macro_f1=100 * 2 * share / (1 + share) / num_classes,
                grade_mae=float(np.abs(test - grade).mean()))


def majority_line(baseline):
    b = baseline
    return (f"Floor: always answering KL{b['grade']} (the most frequent "
            f"training grade) scores {b['accuracy']:.2f} % accuracy, "
            f"{b['macro_f1']:.2f} % macro-F1 and grade MAE "
            f"{b['grade_mae']:.3f} on the test split.")


def write_json(path, summary, settings):
    atomic_write_text(path, json.dumps(dict(settings=settings, **summary),
                                       indent=2))


def plot_accuracy(path, summary, title='Linear-probe accuracy', floor=None):
    """Bar chart: accuracy per algorithm, stock vs GCA, mean ± std, with
    each seed as a dot; the reference rows and the majority-class ``floor``
    (see :func:`majority_baseline`) as horizontal lines."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    algos = sorted({r['algorithm'] for r in summary['cells']
                    if r['algorithm'] not in REFERENCES},
                   key=lambda a: list(ALGORITHM_NAMES).index(a)
                   if a in ALGORITHM_NAMES else 99)
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(algos), 3.2), dpi=110)
    width = 0.38
    colors = dict(stock='#8c8c8c', gca='#d95f02')
    for k, arm in enumerate(ARMS):
        for i, algo in enumerate(algos):
            rec = next((r for r in summary['cells']
                        if r['algorithm'] == algo and r['arm'] == arm), None)
            if rec is None:
                continue
            x = i + (k - 0.5) * width
            ax.bar(x, rec['accuracy_mean'], width * 0.9,
                   yerr=rec['accuracy_std'], color=colors[arm], capsize=3,
                   label=('GCA' if arm == 'gca' else 'stock') if i == 0
                   else None)
            ax.scatter([x] * len(rec['runs']),
                       [r['accuracy'] for r in rec['runs']], s=10,
                       color='black', zorder=3)
    for ref, style in zip(REFERENCES, ('--', ':')):
        rec = next((r for r in summary['cells'] if r['algorithm'] == ref),
                   None)
        if rec is not None:
            ax.axhline(rec['accuracy_mean'], color='#1b9e77', ls=style,
                       lw=1, label=ALGORITHM_NAMES[ref])
    if floor is not None:
        ax.axhline(floor['accuracy'], color='black', ls='-.', lw=1,
                   label=f"always KL{floor['grade']}")
    ax.set_xticks(range(len(algos)))
    ax.set_xticklabels([ALGORITHM_NAMES.get(a, a) for a in algos])
    ax.set_ylabel('accuracy (%)')
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[['top', 'right']].set_visible(False)
    fig.tight_layout()
    with atomic_open(path, 'wb') as f:
        fig.savefig(f, format='png')
    plt.close(fig)
