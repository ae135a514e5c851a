"""Summaries, Markdown, JSON and plots of benchmark / demo cells."""
import json
import math

import numpy as np

from ..utils import atomic_open, atomic_write_text
from .benchmark import ALGORITHM_NAMES, ARMS, REFERENCES
from .provenance import uses_predicted_maps

METRICS = (('accuracy', 'accuracy (%)'), ('macro_f1', 'macro-F1 (%)'),
           ('grade_mae', 'grade MAE'))
#: what "learns" means (issue: pre-training that learns on one CPU): the
#: mean over seeds of a pre-trained backbone's probe against the untrained
#: backbone's probe of the same seed
LEARNING_BAR = dict(accuracy=8.0, macro_f1=10.0, grade_mae_below=0.85)
ARM_NAMES = {
    'stock': 'stock', 'stock-matched': 'stock, GCA-sized crops',
    'stock-tuned': 'stock, tuned on val', 'gca': 'GCA',
    'gca-centre': 'GCA on a centre prior', 'gca-mean': 'GCA on the mean gaze',
    'gca-oracle': 'GCA on finding boxes (oracle)',
    'gca-crop-only': 'GCA crop only', 'gca-erase-only': 'GCA erase only',
    'gca-dim-only': 'GCA dim only', 'gca-no-erase': 'GCA without erasing',
    'gca-no-dim': 'GCA without dimming', 'reference': '-'}
#: the paired comparisons the benchmark reports, ``(arm, baseline,
#: question)``: each row is ``arm - baseline`` over the seeds both have
COMPARISONS = (
    ('gca', 'stock', 'does GCA beat the stock views?'),
    ('gca', 'stock-matched', 'more than crops of the same mean area?'),
    ('stock-matched', 'stock', 'what do GCA-sized crops alone change?'),
    ('gca', 'stock-tuned', 'more than stock views tuned on val?'),
    ('stock-tuned', 'stock', 'what does tuning the stock views on val '
     'change?'),
    ('gca', 'gca-centre', 'more than the same GCA on a centre prior?'),
    ('gca', 'gca-mean', 'more than the same GCA on the mean gaze map?'),
    ('gca-oracle', 'gca', 'how far are the predicted maps from the '
     'findings?'),
    ('gca-crop-only', 'stock', 'ablation: the attention-aware crop'),
    ('gca-erase-only', 'stock', 'ablation: the attention-aware erasing'),
    ('gca-dim-only', 'stock', 'ablation: the attention-aware dimming'),
    ('gca', 'gca-no-erase', 'leave-one-out: what erasing adds to GCA'),
    ('gca', 'gca-no-dim', 'leave-one-out: what dimming adds to GCA'),
)
ARM_COLORS = {
    'stock': '#8c8c8c', 'stock-matched': '#b3b3b3', 'stock-tuned': '#666666',
    'gca': '#d95f02', 'gca-centre': '#7570b3', 'gca-mean': '#e7298a',
    'gca-oracle': '#66a61e', 'gca-crop-only': '#e6ab02',
    'gca-erase-only': '#a6761d', 'gca-dim-only': '#1f78b4',
    'gca-no-erase': '#fb9a99', 'gca-no-dim': '#a6cee3'}


def _clean(values):
    return [v for v in values if v is not None and not math.isnan(v)]


def _mean_std(values):
    values = _clean(values)
    if not values:
        return None, None
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


def t_interval(values, level=0.95):
    """Mean and two-sided ``level`` Student-t confidence interval of the
    mean of ``values`` (paired differences, one per seed): ``(mean, low,
    high)``; ``low = high = mean`` for a single value."""
    from scipy import stats
    values = np.asarray(_clean(values), dtype=float)
    if values.size == 0:
        return None, None, None
    mean = float(values.mean())
    if values.size == 1 or np.all(values == values[0]):
        return mean, mean, mean  # no spread: the interval is the point
    low, high = stats.t.interval(level, values.size - 1, loc=mean,
                                 scale=stats.sem(values))
    return mean, float(low), float(high)


def paired_p_value(values):
    """Two-sided p-value of a one-sample Student t-test that the mean of
    ``values`` (paired differences, one per seed) is 0: below 0.05 exactly
    when the 95 % :func:`t_interval` excludes 0. ``None`` with fewer than
    two values or no spread (no test)."""
    from scipy import stats
    values = np.asarray(_clean(values), dtype=float)
    if values.size < 2 or np.all(values == values[0]):
        return None
    return float(stats.ttest_1samp(values, 0.0).pvalue)


#: false-discovery rate at which :func:`adjust_for_multiplicity` calls a
#: paired difference a discovery
FDR_LEVEL = 0.05


def adjust_for_multiplicity(differences):
    """Benjamini-Hochberg q-values over a report's family of tests: every
    metric (:data:`METRICS`) of every row of ``differences`` (the paired
    comparisons of :func:`summarize`) that has a p-value. Sets
    ``<key>_q`` on each row (``None`` where its ``<key>_p`` is) and returns
    the number of tests in the family. A q below :data:`FDR_LEVEL` keeps
    the false-discovery rate over the whole table at that level, where a
    per-comparison interval that excludes 0 does not."""
    from scipy import stats
    tests = [(d, key) for d in differences for key, _ in METRICS
             if d.get(key + '_p') is not None]
    for d in differences:
        for key, _ in METRICS:
            d[key + '_q'] = None
    if tests:
        q = stats.false_discovery_control(
            [d[key + '_p'] for d, key in tests], method='bh')
        for (d, key), value in zip(tests, q):
            d[key + '_q'] = float(value)
    return len(tests)


def _paired_metrics(a, b):
    """``a - b`` paired by seed over the seeds both have (``a``, ``b``:
    ``{seed: scores}``): ``seeds``, then for each metric its per-seed
    differences, their mean, 95 % t-interval and t-test p-value
    (``<key>_per_seed``, ``_mean``, ``_low``, ``_high``, ``_p``)."""
    seeds = sorted(set(a) & set(b))
    stats = dict(seeds=seeds)
    for key, _ in METRICS:
        per_seed = [a[s][key] - b[s][key] for s in seeds]
        stats[key + '_per_seed'] = per_seed
        stats[key + '_mean'], stats[key + '_low'], stats[key + '_high'] = \
            t_interval(per_seed)
        stats[key + '_p'] = paired_p_value(per_seed)
    return stats


def _curve_mean(runs):
    by_epoch = {}
    for r in runs:
        for point in r.get('curve') or []:
            by_epoch.setdefault(point['epoch'], []).append(point)
    curve = []
    for epoch in sorted(by_epoch):
        points = by_epoch[epoch]
        row = dict(epoch=epoch, seeds=len(points))
        for key in ('accuracy', 'macro_f1', 'grade_mae', 'val_accuracy',
                    'val_macro_f1'):
            row[key + '_mean'], row[key + '_std'] = _mean_std(
                [p[key] for p in points])
        curve.append(row)
    return curve


def _fraction_key(pct):
    return float(pct)


def _fractions_mean(runs):
    """``{pct: {metric_mean, metric_std, seeds}}`` over the runs that have
    label-fraction probes (pct as in the records, e.g. '10')."""
    by_pct = {}
    for r in runs:
        for pct, scores in (r.get('label_fractions') or {}).items():
            by_pct.setdefault(pct, []).append(scores)
    out = {}
    for pct in sorted(by_pct, key=_fraction_key):
        row = dict(seeds=len(by_pct[pct]))
        for key, _ in METRICS:
            row[key + '_mean'], row[key + '_std'] = _mean_std(
                [x[key] for x in by_pct[pct]])
        out[pct] = row
    return out


def _findings_mean(runs):
    """``{target: {auc_mean, auc_std, seeds}}`` of the finding probes."""
    by_target = {}
    for r in runs:
        for name, scores in (r.get('findings') or {}).items():
            by_target.setdefault(name, []).append(scores.get('auc'))
    out = {}
    for name, aucs in by_target.items():
        mean, std = _mean_std(aucs)
        out[name] = dict(auc_mean=mean, auc_std=std, seeds=len(_clean(aucs)))
    return out


def _paired_fractions(ours, base, seeds):
    """Paired accuracy / macro-F1 / MAE differences at each label fraction
    both arms have, ``{pct: {metric_mean, metric_low, metric_high}}``."""
    out = {}
    pcts = set.intersection(*[set(ours[s].get('label_fractions') or {}) &
                              set(base[s].get('label_fractions') or {})
                              for s in seeds]) if seeds else set()
    for pct in sorted(pcts, key=_fraction_key):
        row = {}
        for key, _ in METRICS:
            diffs = [ours[s]['label_fractions'][pct][key] -
                     base[s]['label_fractions'][pct][key] for s in seeds]
            row[key + '_mean'], row[key + '_low'], row[key + '_high'] = \
                t_interval(diffs)
        out[pct] = row
    return out


def _paired_findings(ours, base, seeds):
    """Paired test-AUC differences of each finding probe."""
    out = {}
    names = set.intersection(*[set(ours[s].get('findings') or {}) &
                               set(base[s].get('findings') or {})
                               for s in seeds]) if seeds else set()
    for name in sorted(names):
        diffs = [ours[s]['findings'][name]['auc'] -
                 base[s]['findings'][name]['auc'] for s in seeds
                 if ours[s]['findings'][name]['auc'] is not None
                 and base[s]['findings'][name]['auc'] is not None]
        mean, low, high = t_interval(diffs)
        out[name] = dict(auc_mean=mean, auc_low=low, auc_high=high)
    return out


def summarize(results):
    """Group cell results by (algorithm, arm).

    Returns a JSON-able dict:

    - ``cells``: per algorithm and arm, every seed's record, mean and std
      of each metric and of the seconds per epoch, and the mean learning
      curve;
    - ``margins``: per pre-trained algorithm and arm, minus the untrained
      backbone of the same seed: per-seed differences, their mean and 95 %
      t-interval, and whether the mean clears :data:`LEARNING_BAR`;
    - ``differences``: per algorithm and comparison of
      :data:`COMPARISONS` whose two arms both ran (``arm`` minus
      ``baseline``, paired by seed): per-seed differences, their mean,
      95 % t-interval, t-test p-value and Benjamini-Hochberg q-value over
      the whole table (:func:`adjust_for_multiplicity`), and the ratio of
      seconds per epoch;
    - ``multiplicity``: the size of that q-value's family of tests and
      the false-discovery rate it is read at.
    """
    cells = {}
    for r in results:
        cells.setdefault((r['algorithm'], r['arm']), []).append(r)
    order = list(ARMS) + ['reference']
    records = []
    for (algo, arm), runs in sorted(
            cells.items(), key=lambda kv: (kv[0][1] == 'reference', kv[0][0],
                                           order.index(kv[0][1]))):
        runs = sorted(runs, key=lambda r: r['seed'])
        rec = dict(algorithm=algo, arm=arm, seeds=[r['seed'] for r in runs],
                   runs=runs, curve=_curve_mean(runs))
        for key, _ in METRICS + (('seconds_per_epoch', ''), ):
            rec[key + '_mean'], rec[key + '_std'] = _mean_std(
                [r.get(key) for r in runs])
        rec['label_fractions'] = _fractions_mean(runs)
        rec['findings'] = _findings_mean(runs)
        records.append(rec)

    untrained = {r['seed']: r for r in cells.get(('random', 'reference'),
                                                  [])}
    margins = []
    for (algo, arm), runs in sorted(
            cells.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1]))):
        if arm == 'reference' or not untrained:
            continue
        by_seed = {r['seed']: r for r in runs}
        m = dict(algorithm=algo, arm=arm,
                 **_paired_metrics(by_seed, untrained))
        mae, _ = _mean_std([by_seed[s]['grade_mae'] for s in m['seeds']])
        m['learns'] = bool(
            m['seeds'] and m['accuracy_mean'] >= LEARNING_BAR['accuracy']
            and m['macro_f1_mean'] >= LEARNING_BAR['macro_f1']
            and mae < LEARNING_BAR['grade_mae_below'])
        margins.append(m)

    diffs = []
    for algo in sorted({a for a, _ in cells}):
        for arm, baseline, question in COMPARISONS:
            ours = {r['seed']: r for r in cells.get((algo, arm), [])}
            base = {r['seed']: r for r in cells.get((algo, baseline), [])}
            seeds = sorted(set(ours) & set(base))
            if not seeds:
                continue
            stats = _paired_metrics(ours, base)
            d = dict(algorithm=algo, arm=arm, baseline=baseline,
                     question=question, seeds=stats.pop('seeds'),
                     interval='95 % Student t', **stats)
            t_ours, _ = _mean_std(
                [ours[s].get('seconds_per_epoch') for s in seeds])
            t_base, _ = _mean_std(
                [base[s].get('seconds_per_epoch') for s in seeds])
            d['time_ratio'] = (t_ours / t_base) if t_ours and t_base \
                else None
            d['label_fractions'] = _paired_fractions(ours, base, seeds)
            d['findings'] = _paired_findings(ours, base, seeds)
            diffs.append(d)
    family = adjust_for_multiplicity(diffs)
    return dict(cells=records, margins=margins, differences=diffs,
                multiplicity=dict(method='Benjamini-Hochberg',
                                  tests=family, fdr=FDR_LEVEL),
                finetune_margins=_finetune_margins(cells, untrained, order))


def _finetune_margins(cells, untrained, order):
    """Per pre-trained algorithm, arm and label fraction: the fine-tune
    minus the untrained backbone's fine-tune at the same fraction and seed
    (per-seed differences, mean and 95 % t-interval of each metric), over
    the seeds where both have that fine-tune."""
    rows = []
    for (algo, arm), runs in sorted(
            cells.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1]))):
        if arm == 'reference':
            continue
        fractions = sorted({pct for r in runs for pct in r.get('finetune')
                            or {}}, key=float, reverse=True)
        for pct in fractions:
            stats = _paired_metrics(
                _protocol_by_seed(runs, 'ft', pct),
                _protocol_by_seed(untrained.values(), 'ft', pct))
            if stats['seeds']:
                rows.append(dict(algorithm=algo, arm=arm,
                                 baseline='reference', fraction=pct,
                                 seeds=stats.pop('seeds'),
                                 interval='95 % Student t', **stats))
    return rows


def _pm(mean, std, fmt='{:.2f}'):
    if mean is None:
        return 'n/a'
    return (fmt + ' ± ' + fmt).format(mean, std)


def _interval(mean, low, high, fmt='{:+.2f}'):
    """``+1.23 [-0.40, +2.86]``: the mean and its interval."""
    if mean is None:
        return 'n/a'
    return f'{fmt.format(mean)} [{fmt.format(low)}, {fmt.format(high)}]'


def _paired_cells(d):
    """The accuracy, macro-F1 and MAE cells of a paired-difference row
    ``d`` (a margin or a difference): ``mean [low, high]``, or the mean
    alone where one seed gives no interval."""
    cells = []
    for key, fmt in (('accuracy', '{:+.2f}'), ('macro_f1', '{:+.2f}'),
                     ('grade_mae', '{:+.3f}')):
        mean = d[key + '_mean']
        if mean is not None and len(d['seeds']) < 2:
            cells.append(f'{fmt.format(mean)} (1 seed, no interval)')
        else:
            cells.append(_interval(mean, d[key + '_low'], d[key + '_high'],
                                   fmt))
    return cells


def _name(algo):
    return ALGORITHM_NAMES.get(algo, algo)


def results_table(summary):
    """Markdown table of every (algorithm, arm) cell: mean ± std over
    seeds."""
    lines = ['| algorithm | views | seeds | accuracy (%) | macro-F1 (%) | '
             'grade MAE | s / epoch |',
             '| --- | --- | --- | --- | --- | --- | --- |']
    for rec in summary['cells']:
        lines.append(
            f"| {_name(rec['algorithm'])} | "
            f"{ARM_NAMES.get(rec['arm'], rec['arm'])} | "
            f"{len(rec['seeds'])} | "
            f"{_pm(rec['accuracy_mean'], rec['accuracy_std'])} | "
            f"{_pm(rec['macro_f1_mean'], rec['macro_f1_std'])} | "
            f"{_pm(rec['grade_mae_mean'], rec['grade_mae_std'], '{:.3f}')} | "
            f"{_pm(rec['seconds_per_epoch_mean'], rec['seconds_per_epoch_std'], '{:.1f}')} |")  # noqa: E501
    return '\n'.join(lines)


def margins_table(summary):
    """Markdown table: each pre-trained cell minus the untrained backbone
    (paired by seed), mean and 95 % t-interval, against the bar."""
    bar = LEARNING_BAR
    lines = ['| algorithm | views | seeds | Δ accuracy (points) | '
             'Δ macro-F1 (points) | Δ grade MAE | learns? |',
             '| --- | --- | --- | --- | --- | --- | --- |']
    for m in summary.get('margins', []):
        lines.append(
            f"| {_name(m['algorithm'])} | {ARM_NAMES[m['arm']]} | "
            f"{len(m['seeds'])} | " + ' | '.join(_paired_cells(m)) +
            f" | {'yes' if m['learns'] else 'no'} |")
    lines.append('')
    lines.append(
        f"Bar: mean over seeds at least +{bar['accuracy']:g} points of "
        f"accuracy and +{bar['macro_f1']:g} of macro-F1 above the untrained "
        f"backbone's probe, and a grade MAE below {bar['grade_mae_below']}. "
        'Brackets: 95 % Student-t interval of the mean paired difference.')
    return '\n'.join(lines)


def finetune_margins_table(summary):
    """Markdown table: each pre-trained cell's fine-tune minus the untrained
    backbone's fine-tune at the same label fraction, paired by seed, mean
    and 95 % t-interval; '' when no cell has both."""
    rows = summary.get('finetune_margins') or []
    if not rows:
        return ''
    lines = ['| algorithm | views | FT labels | seeds | Δ accuracy (points) | '
             'Δ macro-F1 (points) | Δ grade MAE | verdict |',
             '| --- | --- | --- | --- | --- | --- | --- | --- |']
    for m in rows:
        lines.append(
            f"| {_name(m['algorithm'])} | {ARM_NAMES[m['arm']]} | "
            f"{m['fraction']} % | {len(m['seeds'])} | " +
            ' | '.join(_paired_cells(m)) + f" | {verdict(m)} |")
    lines.append('')
    lines.append('Each row: the pre-trained backbone fine-tuned minus the '
                 'untrained one fine-tuned with the same labels, settings '
                 'and seed. Brackets: 95 % Student-t interval of the mean '
                 'paired difference; an interval that crosses 0 is no '
                 'measurable difference.')
    return '\n'.join(lines)


#: whether a larger paired difference of a metric favours the first arm
HIGHER_IS_BETTER = dict(accuracy=True, macro_f1=True, grade_mae=False)
_SHORT = dict(accuracy='accuracy', macro_f1='macro-F1', grade_mae='MAE')


def verdict(d):
    """How a paired difference reads, metric by metric: for each metric
    whose interval excludes 0, the arm it favours (a lower MAE is better);
    "no measurable difference" when no interval excludes 0."""
    if len(d['seeds']) < 2:
        return 'one seed: no interval'
    better = {}
    for key, _ in METRICS:
        low, high = d.get(key + '_low'), d.get(key + '_high')
        if low is None or high is None or low <= 0 <= high:
            continue
        first = (low > 0) == HIGHER_IS_BETTER[key]
        better.setdefault(d['arm'] if first else d['baseline'],
                          []).append(_SHORT[key])
    if not better:
        return 'no measurable difference'
    return '; '.join(f'{_verdict_name(arm)} better on {", ".join(keys)}'
                     for arm, keys in better.items())


def _verdict_name(arm):
    return 'untrained backbone' if arm == 'reference' else ARM_NAMES[arm]


def _q_cell(d):
    """``0.012 / 0.40 / -``: a row's q-values of accuracy, macro-F1, MAE."""
    def fmt(q):
        if q is None:
            return '-'
        return f'{q:.3f}' if q < 0.1 else f'{q:.2f}'
    return ' / '.join(fmt(d.get(key + '_q')) for key, _ in METRICS)


def differences_table(summary):
    """Markdown table of every paired comparison (``arm`` minus
    ``baseline``, by seed), with 95 % t-intervals and the
    Benjamini-Hochberg q-values over the table; an interval that crosses
    0 is "no measurable difference"."""
    lines = ['| algorithm | difference | seeds | Δ accuracy (points) | '
             'Δ macro-F1 (points) | Δ grade MAE | per-seed Δ accuracy | '
             'verdict | q (BH): acc / F1 / MAE | time ratio |',
             '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |']
    for d in summary['differences']:
        per_seed = ', '.join(f'{v:+.1f}' for v in d['accuracy_per_seed'])
        ratio = 'n/a' if d['time_ratio'] is None else \
            f"{d['time_ratio']:.2f}"
        lines.append(
            f"| {_name(d['algorithm'])} | {ARM_NAMES[d['arm']]} − "
            f"{ARM_NAMES[d['baseline']]} | {len(d['seeds'])} | " +
            ' | '.join(_paired_cells(d)) +
            f" | {per_seed} | {verdict(d)} | {_q_cell(d)} | {ratio} |")
    return '\n'.join(lines)


def multiplicity_line(summary):
    """A paragraph on the differences table's multiplicity: how many
    metric × comparison tests it holds, how many intervals exclude 0, and
    which differences keep a Benjamini-Hochberg q-value below the
    false-discovery rate (:func:`adjust_for_multiplicity`)."""
    diffs = summary['differences']
    fdr = (summary.get('multiplicity') or {}).get('fdr', FDR_LEVEL)
    tests = sum(1 for d in diffs for key, _ in METRICS
                if d.get(key + '_p') is not None)
    if not tests:
        return ('No comparison has two seeds or more: no test, no '
                'correction for multiplicity.')
    excluding = sum(1 for d in diffs for key, _ in METRICS
                    if d.get(key + '_p') is not None
                    and not d[key + '_low'] <= 0 <= d[key + '_high'])
    kept, rows = 0, []
    for d in diffs:
        keys = [f"{_SHORT[key]} q {d[key + '_q']:.3f}" for key, _ in METRICS
                if d.get(key + '_q') is not None and d[key + '_q'] < fdr]
        if keys:
            kept += len(keys)
            rows.append(f"{_name(d['algorithm'])} {ARM_NAMES[d['arm']]} − "
                        f"{ARM_NAMES[d['baseline']]} ({', '.join(keys)})")
    return (
        f'Multiplicity: this table holds {tests} metric × comparison tests '
        f'(two-sided paired t-tests, the same as the intervals); '
        f'{excluding} of the 95 % intervals exclude 0, and at {tests} tests '
        f'about {0.05 * tests:.1f} would by chance if no arm differed. '
        f'Benjamini-Hochberg over the whole table (false-discovery rate '
        f'{fdr:g}, q column) keeps {kept} of the {tests}'
        + (f', in {len(rows)} comparisons: ' + '; '.join(rows) + '.'
           if rows else '.')
        + ' A difference whose interval excludes 0 but whose q is above '
        f'{fdr:g} is a lead for more seeds, not a finding.')


def fractions_table(summary):
    """Markdown table: probe accuracy / macro-F1 / MAE (mean ± std over
    seeds) of every cell at each label fraction."""
    pcts = sorted({p for rec in summary['cells']
                   for p in rec.get('label_fractions') or {}},
                  key=_fraction_key)
    if not pcts:
        return 'No label-fraction probes in these cells.'
    lines = ['| algorithm | views | ' + ' | '.join(
        f'{p} % labels' for p in pcts) + ' |',
             '| --- | --- |' + ' --- |' * len(pcts)]
    for rec in summary['cells']:
        cells = []
        for p in pcts:
            f = (rec.get('label_fractions') or {}).get(p)
            cells.append('n/a' if f is None else
                         f"{_pm(f['accuracy_mean'], f['accuracy_std'], '{:.1f}')}"  # noqa: E501
                         f" / {_pm(f['macro_f1_mean'], f['macro_f1_std'], '{:.1f}')}"  # noqa: E501
                         f" / {f['grade_mae_mean']:.3f}")
        lines.append(f"| {_name(rec['algorithm'])} | "
                     f"{ARM_NAMES.get(rec['arm'], rec['arm'])} | "
                     + ' | '.join(cells) + ' |')
    lines.append('')
    lines.append('Each cell: accuracy / macro-F1 (mean ± std over seeds) / '
                 'grade MAE, the probe fitted on that share of the train '
                 'split (fixed stratified subsets, the same images for '
                 'every arm and seed).')
    return '\n'.join(lines)


def _protocol_scores(run, protocol, pct):
    """A run's scores under ``protocol`` (``'lp'``: the linear probe's
    ``label_fractions``; ``'ft'``: ``finetune``) at ``pct`` % labels."""
    key = 'label_fractions' if protocol == 'lp' else 'finetune'
    return (run.get(key) or {}).get(pct)


def _protocol_by_seed(runs, protocol, pct):
    """``{seed: scores}`` of the ``runs`` that have scores under
    ``protocol`` at ``pct`` % labels."""
    scores = {r['seed']: _protocol_scores(r, protocol, pct) for r in runs}
    return {s: x for s, x in scores.items() if x is not None}


def _headline_cell(runs, protocol, pct):
    scores = [s for s in (_protocol_scores(r, protocol, pct) for r in runs)
              if s is not None]
    if not scores:
        return 'n/a'
    parts = []
    for key, fmt in (('accuracy', '{:.1f}'), ('macro_f1', '{:.1f}'),
                     ('grade_mae', '{:.3f}')):
        mean, _ = _mean_std([x[key] for x in scores])
        parts.append(fmt.format(mean))
    # a protocol run on fewer seeds than the row's says so
    fewer = f' ({len(scores)} of {len(runs)} seeds)' \
        if len(scores) < len(runs) else ''
    return ' / '.join(parts) + fewer


def _headline_delta(runs, stock_runs, protocol, pct):
    """Paired accuracy difference to ``stock`` with its 95 % t-interval."""
    d = _paired_metrics(_protocol_by_seed(runs, protocol, pct),
                        _protocol_by_seed(stock_runs, protocol, pct))
    if not d['seeds']:
        return 'n/a'
    mean, low, high = d['accuracy_mean'], d['accuracy_low'], \
        d['accuracy_high']
    if len(d['seeds']) < 2:
        return f'{mean:+.1f} (1 seed)'
    return _interval(mean, low, high, '{:+.1f}')


def headline_table(summary, fractions=('100', '10')):
    """The benchmark's headline: every arm of every algorithm under the
    linear probe (and the fine-tune, where cells have one) at each of
    ``fractions`` % of the labels: accuracy / macro-F1 / grade MAE (means
    over seeds), and the accuracy difference to ``stock`` paired by seed
    with its 95 % t-interval; the untrained backbone below."""
    protocols = ['lp'] + (['ft'] if any(
        r.get('finetune') for rec in summary['cells'] for r in rec['runs'])
        else [])
    names = dict(lp='LP', ft='FT')
    head = ['algorithm', 'views', 'seeds']
    for proto in protocols:
        for pct in fractions:
            head += [f'{names[proto]} {pct} %: acc / F1 / MAE',
                     f'{names[proto]} {pct} %: Δ acc vs stock']
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + ' --- |' * len(head)]
    stock = {rec['algorithm']: rec['runs'] for rec in summary['cells']
             if rec['arm'] == 'stock'}
    for rec in summary['cells']:
        row = [_name(rec['algorithm']), ARM_NAMES.get(rec['arm'], rec['arm']),
               str(len(rec['seeds']))]
        for proto in protocols:
            for pct in fractions:
                row.append(_headline_cell(rec['runs'], proto, pct))
                row.append('-' if rec['arm'] in ('stock', 'reference') else
                           _headline_delta(rec['runs'],
                                           stock.get(rec['algorithm'], []),
                                           proto, pct))
        lines.append('| ' + ' | '.join(row) + ' |')
    lines.append('')
    lines.append('Means over seeds; Δ: the arm minus `stock` of the same '
                 'algorithm, paired by seed, with the 95 % Student-t '
                 'interval of the mean; an interval that crosses 0 is no '
                 'measurable difference.' + (
                     '' if 'ft' in protocols else
                     ' No cell of this report has a fine-tune yet.'))
    return '\n'.join(lines)


def _pretrained_algorithms(records):
    """The pre-trained algorithms of ``records`` (results or summary
    cells), the untrained reference aside, in :data:`ALGORITHM_NAMES`'s
    order."""
    order = list(ALGORITHM_NAMES)
    return sorted({r['algorithm'] for r in records
                   if r['algorithm'] not in REFERENCES},
                  key=lambda a: order.index(a) if a in order else 99)


def report_title(preset, results, family='cpu'):
    """A report's Markdown title naming what it holds: the pre-trained
    algorithms of ``results`` (the untrained reference aside), the device
    family and the preset that made it, so two reports of one project are
    told apart by their first line."""
    names = ', '.join(_name(a) for a in _pretrained_algorithms(results)) \
        or 'no'
    device = 'GPU' if family == 'gpu' else 'CPU'
    made = f' (`--preset {preset}`)' if preset else ''
    return (f'# Benchmark{made}: {names} pre-training on a {device}, GCA '
            'vs stock and its controls')


def provenance_lines(results):
    """Markdown lines saying on what each cell ran: hardware, date, data
    and map fingerprints, and which cells came from an earlier report."""
    groups = {}
    for r in results:
        p = r.get('provenance') or {}
        # the maps only where the arm reads them
        key = (p.get('hardware', 'unknown hardware'), p.get('data'),
               p.get('gaze_maps') if uses_predicted_maps(r['arm']) else '')
        groups.setdefault(key, []).append(r)
    lines = []
    for (hw, data, maps), runs in groups.items():
        dates = sorted({(r.get('provenance') or {}).get('measured', '?')
                        for r in runs})
        imported = sum(1 for r in runs if r.get('imported_from'))
        lines.append(
            f'- {len(runs)} cells on {hw}, measured {", ".join(dates)}; '
            f'data fingerprint `{data}`' + (
                f', predicted maps `{maps}`' if maps != '' else
                ', predicted maps not read')
            + (f' ({imported} carried over from an earlier run\'s report)'
               if imported else '') + '.')
    if len({hw for hw, _, _ in groups}) > 1 or len(
            {maps for _, _, maps in groups if maps != ''}) > 1:
        lines.append('- The cells ran on more than one machine or set of '
                     'maps: each seed has the same initialisation and image '
                     'order on every machine, only float rounding differs '
                     '(more with bf16, which rounds differently by CPU), '
                     'but over a whole pre-training that rounding can move '
                     'a cell as much as a change of seed '
                     '(docs/benchmark_protocol.md, "Other CPUs").')
    return lines


def crop_area_table(results):
    """Markdown table of the ``stock-matched`` arms' crop areas: the stock
    crop's mean area, GCA's, and the matched range with its mean area,
    each measured on the benchmark data
    (:mod:`~gca_mm.experiments.crop_area`, kept in the cells'
    ``arm_settings``); '' when no such cell ran."""
    seen = {}
    for r in results:
        found = r.get('arm_settings') or {}
        if r['arm'] == 'stock-matched' and 'matched_area' in found:
            seen.setdefault(r['algorithm'], found)
    if not seen:
        return ''
    lines = ['| algorithm | stock crop range | stock mean area | GCA mean '
             'area | matched crop range | matched mean area | images |',
             '| --- | --- | --- | --- | --- | --- | --- |']
    for algo, a in sorted(seen.items()):
        stock_range = a.get('stock_crop_ratio_range')
        lines.append(
            f'| {_name(algo)} | '
            + (f'{stock_range[0]:g}-{stock_range[1]:g}' if stock_range
               else 'n/a')
            + f' | {a["stock_area"]:.3f} | {a["gca_area"]:.3f} | '
            f'{a["crop_ratio_range"][0]:g}-{a["crop_ratio_range"][1]:g} | '
            f'{a["matched_area"]:.3f} | {a.get("images", "n/a")} |')
    return '\n'.join(lines)


def findings_table(summary):
    """Markdown table: test ROC AUC of each finding probe (mean ± std over
    seeds) of every cell."""
    names = sorted({n for rec in summary['cells']
                    for n in rec.get('findings') or {}})
    if not names:
        return 'No finding probes in these cells (no findings.csv).'
    lines = ['| algorithm | views | ' + ' | '.join(
        n.replace('_', ' ') + ' AUC' for n in names) + ' |',
             '| --- | --- |' + ' --- |' * len(names)]
    for rec in summary['cells']:
        f = rec.get('findings') or {}
        lines.append(f"| {_name(rec['algorithm'])} | "
                     f"{ARM_NAMES.get(rec['arm'], rec['arm'])} | " + ' | '.join(
                         _pm(f[n]['auc_mean'], f[n]['auc_std'], '{:.3f}')
                         if n in f else 'n/a' for n in names) + ' |')
    return '\n'.join(lines)


def curve_table(summary):
    """Markdown table of the mean learning curves (test and val)."""
    lines = ['| algorithm | views | epoch | seeds | accuracy (%) | '
             'macro-F1 (%) | grade MAE | val accuracy (%) | val macro-F1 (%) |',
             '| --- | --- | --- | --- | --- | --- | --- | --- | --- |']
    for rec in summary['cells']:
        for p in rec['curve']:
            lines.append(
                f"| {_name(rec['algorithm'])} | {ARM_NAMES[rec['arm']]} | "
                f"{p['epoch']} | {p['seeds']} | "
                f"{_pm(p['accuracy_mean'], p['accuracy_std'], '{:.1f}')} | "
                f"{_pm(p['macro_f1_mean'], p['macro_f1_std'], '{:.1f}')} | "
                f"{_pm(p['grade_mae_mean'], p['grade_mae_std'], '{:.3f}')} | "
                f"{_pm(p['val_accuracy_mean'], p['val_accuracy_std'], '{:.1f}')} | "  # noqa: E501
                f"{_pm(p['val_macro_f1_mean'], p['val_macro_f1_std'], '{:.1f}')} |")  # noqa: E501
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
                grade_mae=float(np.abs(test - grade).mean()),
                test_images=int(test.size))


def majority_line(baseline):
    b = baseline
    return (f"Floor: always answering KL{b['grade']} (the most frequent "
            f"training grade) scores {b['accuracy']:.2f} % accuracy, "
            f"{b['macro_f1']:.2f} % macro-F1 and grade MAE "
            f"{b['grade_mae']:.3f} on the test split.")


def write_json(path, summary, settings):
    atomic_write_text(path, json.dumps(dict(settings=settings, **summary),
                                       indent=2))


def _save(fig, path):
    with atomic_open(path, 'wb') as f:
        fig.savefig(f, format='png')


def plot_accuracy(path, summary, title='Probe on KL grade', floor=None):
    """Two panels: accuracy and macro-F1 per algorithm and arm, mean ± std
    with each seed as a dot; the untrained backbone and the majority-class
    ``floor`` (see :func:`majority_baseline`) as horizontal lines."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    algos = _pretrained_algorithms(summary['cells'])
    arms = [a for a in ARMS if any(r['arm'] == a for r in summary['cells'])]
    fig, axes = plt.subplots(
        1, 2, figsize=(2.6 + (1.8 + 0.4 * len(arms)) * len(algos), 3.2),
        dpi=110)
    width = 0.76 / max(len(arms), 1)
    for ax, (key, label) in zip(axes, METRICS[:2]):
        for k, arm in enumerate(arms):
            named = False  # one legend entry per arm, at its first bar
            for i, algo in enumerate(algos):
                rec = next((r for r in summary['cells']
                            if r['algorithm'] == algo and r['arm'] == arm),
                           None)
                if rec is None:
                    continue
                x = i + (k - (len(arms) - 1) / 2) * width
                ax.bar(x, rec[key + '_mean'], width * 0.9,
                       yerr=rec[key + '_std'], color=ARM_COLORS[arm],
                       capsize=3,
                       label=None if named else ARM_NAMES[arm])
                named = True
                ax.scatter([x] * len(rec['runs']),
                           [r[key] for r in rec['runs']], s=10,
                           color='black', zorder=3)
        rec = next((r for r in summary['cells']
                    if r['algorithm'] == 'random'), None)
        if rec is not None:
            ax.axhline(rec[key + '_mean'], color='#1b9e77', ls='--', lw=1,
                       label=ALGORITHM_NAMES['random'])
        _floor_line(ax, floor, key)
        ax.set_xticks(range(len(algos)))
        ax.set_xticklabels([_name(a) for a in algos])
        ax.set_ylabel(label)
        ax.spines[['top', 'right']].set_visible(False)
    _finish(fig, axes, title, path, legend_below=True)


def plot_curves(path, summary, title='Learning curves', floor=None):
    """Probe accuracy and macro-F1 (test split, mean ± std over seeds)
    against pre-training epochs, one line per algorithm and arm; the
    untrained backbone at epoch 0."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    untrained = next((r for r in summary['cells']
                      if r['algorithm'] == 'random'), None)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), dpi=110)
    palette = dict(simclr='#1f77b4', mocov3='#2ca02c', byol='#9467bd')
    for ax, (key, label) in zip(axes, METRICS[:2]):
        for rec in summary['cells']:
            if not rec['curve']:
                continue
            xs = [0] * (untrained is not None) + [p['epoch']
                                                  for p in rec['curve']]
            mean = ([untrained[key + '_mean']] if untrained else []) + [
                p[key + '_mean'] for p in rec['curve']]
            std = ([untrained[key + '_std']] if untrained else []) + [
                p[key + '_std'] for p in rec['curve']]
            ax.errorbar(xs, mean, yerr=std, capsize=2, marker='o', ms=3,
                        lw=1, color=palette.get(rec['algorithm'], 'k'),
                        ls='-' if rec['arm'] == 'stock' else '--',
                        label=f"{_name(rec['algorithm'])} "
                        f"{ARM_NAMES[rec['arm']]}")
        _floor_line(ax, floor, key)
        ax.set_xlabel('pre-training epoch')
        ax.set_ylabel(label)
        ax.spines[['top', 'right']].set_visible(False)
    _finish(fig, axes, title, path)


def _floor_line(ax, floor, key):
    """The majority-class answer as a horizontal line (if known)."""
    if floor is not None:
        ax.axhline(floor[key], color='black', ls='-.', lw=1,
                   label=f"always KL{floor['grade']}")


def _finish(fig, axes, title, path, legend_below=False):
    """Legend, title and an atomic save of a two-panel report figure. With
    ``legend_below`` the first panel's legend goes in rows under both
    panels, clear of the bars (many arms), else inside the first panel."""
    import matplotlib.pyplot as plt
    fig.suptitle(title, fontsize=10)
    if legend_below:
        handles, labels = axes[0].get_legend_handles_labels()
        ncol = 6
        below = 0.2 * -(-len(labels) // ncol)  # inches: 0.2 a row
        fig.set_figheight(fig.get_figheight() + below)
        fig.tight_layout(rect=(0, below / fig.get_figheight(), 1, 1))
        fig.legend(handles, labels, loc='lower center', ncol=ncol,
                   frameon=False, fontsize=7)
    else:
        axes[0].legend(frameon=False, fontsize=7)
        fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def plot_fractions(path, summary, title='Probe accuracy against labels',
                   floor=None):
    """Probe accuracy and macro-F1 (mean ± std over seeds) against the
    label fraction (log scale), one line per algorithm and arm."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), dpi=110)
    styles = dict(simclr='-', mocov3='--', byol=':')
    for ax, (key, label) in zip(axes, METRICS[:2]):
        for rec in summary['cells']:
            fractions = rec.get('label_fractions') or {}
            if not fractions:
                continue
            pcts = sorted(fractions, key=_fraction_key)
            ax.errorbar([float(p) for p in pcts],
                        [fractions[p][key + '_mean'] for p in pcts],
                        yerr=[fractions[p][key + '_std'] for p in pcts],
                        capsize=2, marker='o', ms=3, lw=1,
                        color=ARM_COLORS.get(rec['arm'], '#1b9e77'),
                        ls=styles.get(rec['algorithm'], '-.'),
                        label=f"{_name(rec['algorithm'])} "
                        f"{ARM_NAMES.get(rec['arm'], rec['arm'])}")
        _floor_line(ax, floor, key)
        ax.set_xscale('log')
        ax.set_xlabel('labels (% of the train split)')
        ax.set_ylabel(label)
        ax.spines[['top', 'right']].set_visible(False)
    _finish(fig, axes, title, path)


def plot_differences(path, summary, title='Paired differences (95 % t)'):
    """Each comparison's mean paired difference of accuracy and macro-F1
    with its 95 % interval; 0 marked."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    diffs = summary['differences']
    fig, axes = plt.subplots(1, 2, figsize=(9, 1.2 + 0.32 * max(
        len(diffs), 1)), dpi=110)
    labels = [f"{_name(d['algorithm'])}: {ARM_NAMES[d['arm']]} − "
              f"{ARM_NAMES[d['baseline']]}" for d in diffs]
    for ax, (key, label) in zip(axes, METRICS[:2]):
        for y, d in enumerate(diffs):
            mean, low, high = (d[key + '_mean'], d[key + '_low'],
                               d[key + '_high'])
            ax.errorbar([mean], [y], xerr=[[mean - low], [high - mean]],
                        fmt='o', ms=4, capsize=3,
                        color=ARM_COLORS.get(d['arm'], 'k'))
        ax.axvline(0, color='black', lw=0.8)
        ax.set_yticks(range(len(diffs)))
        ax.set_yticklabels(labels if ax is axes[0] else [''] * len(diffs),
                           fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(f'Δ {label}')
        ax.spines[['top', 'right']].set_visible(False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
