"""What stock and GCA views keep of each image: attention kept by the crop,
findings surviving it, and the cost of making the views.

Attention kept by a view = the fraction of the image's attention map mass
inside the view's crop box (input pixels), for both stock and GCA views, on
the same map. Finding survival is defined in
:mod:`gca_mm.experiments.finding_survival`.
"""
import os
import os.path as osp
import platform

import numpy as np
from mmengine.runner import set_random_seed
from mmengine.utils import ProgressBar

from ..datasets.transforms.gca_sampling import summed_area_table
from .finding_survival import (SURVIVAL_FRACTION, SurvivalCounter,
                               image_findings, lesion_rate_table,
                               load_findings_table)
from .pipeline_views import compared_views, training_pipeline
from .throughput import build_pipeline, pipeline_throughput, speed_ratio

PERCENTILES = (5, 25, 50, 75, 95)
HIST_BINS = 20
NAMES = ('stock', 'gca')


def distribution(values):
    """``views``, ``mean`` and percentiles ``p5``..``p95`` of per-view
    values."""
    values = np.asarray(values, np.float64)
    if values.size == 0:
        raise ValueError('a distribution needs at least one value')
    out = dict(views=int(values.size), mean=float(values.mean()))
    out.update({f'p{p}': float(v) for p, v in
                zip(PERCENTILES, np.percentile(values, PERCENTILES))})
    return out


def attention_summary(values, threshold=0.9):
    """:func:`distribution` of attention-kept values, plus ``threshold``,
    ``fraction_at_least`` (share of views keeping >= threshold) and
    ``histogram`` (``HIST_BINS`` counts over [0, 1])."""
    out = distribution(values)
    values = np.asarray(values, np.float64)
    counts, _ = np.histogram(np.clip(values, 0, 1), HIST_BINS, (0.0, 1.0))
    # a small tolerance: a view keeping exactly the threshold counts
    out.update(threshold=threshold,
               fraction_at_least=float(np.mean(values >= threshold - 1e-9)),
               histogram=counts.tolist())
    return out


def _sample_indices(total, num, seed):
    """``num`` sorted indices out of ``total``, drawn with ``seed`` (all of
    them when ``num`` is None or >= total)."""
    if num is None or num >= total:
        return list(range(total))
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(total, num, replace=False))


def machine_info():
    """Platform, CPU model and core count, for reports of timings."""
    model = platform.processor() or platform.machine()
    if osp.isfile('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    return dict(platform=platform.platform(), cpu=model,
                cpu_count=os.cpu_count())


def view_statistics(stock,
                    gca,
                    data_root=None,
                    gaze_map_root=None,
                    split=None,
                    gaze_map_suffix=None,
                    num_images=200,
                    views_per_image=4,
                    seed=0,
                    findings='auto',
                    keep_threshold=0.9,
                    survival_fraction=SURVIVAL_FRACTION,
                    throughput_images=0,
                    throughput_rounds=5,
                    show_progress=False):
    """Compare the views of a stock and a GCA training config.

    Images: a seeded random subset of ``num_images`` images of the training
    dataset that have an attention map. Each image gets ``views_per_image``
    stock and as many GCA views (cycling through the ``MultiView``
    pipelines), all measured against the map GCA uses.

    Args:
        stock (str | Config): stock config (path).
        gca (str | Config): GCA config (path); made effective as
            ``GCARunner`` does (see :func:`load_view_configs`).
        data_root (str, optional): dataset root replacing the configs'.
        gaze_map_root (str, optional): map root replacing the GCA config's.
        split (str, optional): split folder replacing the configs'.
        gaze_map_suffix (str, optional): map extension replacing the GCA
            config's.
        num_images (int, optional): images to sample; None for all.
            Defaults to 200.
        views_per_image (int): views per image and config. Defaults to 4.
        seed (int): seed of the image subset and of the views.
            Defaults to 0.
        findings (str, optional): ``findings.csv`` path; ``'auto'`` takes
            ``<data_root>/findings.csv`` when it exists; None skips finding
            survival. Defaults to 'auto'.
        keep_threshold (float): attention threshold reported as
            ``fraction_at_least``. Defaults to 0.9.
        survival_fraction (float): share of a finding's box that must lie
            in the crop. Defaults to 0.5.
        throughput_images (int): images (of the subset) to time the full
            training pipelines on; 0 skips timing. Defaults to 0.
        throughput_rounds (int): timed rounds. Defaults to 5.
        show_progress (bool): show a progress bar. Defaults to False.

    Returns:
        dict: the JSON-ready report: ``settings``, ``attention_kept``
        {stock, gca: :func:`attention_summary`}, ``crop_area`` {stock, gca:
        :func:`distribution` of crop area / image area}, ``gca_crop_tries``
        (:func:`distribution` of the candidates GCA examined per crop, and
        the share of crops that met ``min_attention``), ``finding_survival``
        {stock, gca: ``SurvivalCounter.summary``} (if findings),
        ``throughput`` (if timed).
    """
    if not (isinstance(views_per_image, int) and views_per_image >= 1):
        raise ValueError('views_per_image must be a positive int, got '
                         f'{views_per_image!r}')
    if num_images is not None and not (isinstance(num_images, int)
                                       and num_images >= 1):
        raise ValueError('num_images must be a positive int or None, got '
                         f'{num_images!r}')
    cfgs, dataset, views = compared_views(stock, gca, data_root,
                                          gaze_map_root, split,
                                          gaze_map_suffix)
    data_root = dataset.data_root
    table = load_findings_table(findings, data_root)
    if findings == 'auto':
        findings = osp.join(data_root, 'findings.csv') \
            if table is not None else None
    indices = _sample_indices(len(dataset), num_images, seed)
    infos = [dataset.get_data_info(i) for i in indices]

    set_random_seed(seed)
    attention = {name: [] for name in NAMES}
    area = {name: [] for name in NAMES}
    tries, qualified = [], []
    survival = {name: SurvivalCounter(survival_fraction) for name in NAMES}
    bar = ProgressBar(len(infos)) if show_progress else None
    for info in infos:
        entry = image_findings(table, data_root, info['img_path']) \
            if table is not None else None
        for name in NAMES:
            results = views[name].load(info)
            sat = summed_area_table(results['gaze_map'])
            h, w = results['img'].shape[:2]
            for k in range(views_per_image):
                view = views[name].view(results, k, sat)
                attention[name].append(view.attention)
                x1, y1, x2, y2 = view.crop_bbox
                area[name].append((x2 - x1) * (y2 - y1) / (h * w))
                if view.gca_params is not None and view.gca_params['crop']:
                    tries.append(view.gca_params['crop_tries'])
                    qualified.append(view.gca_params['crop_qualified'])
                if entry is not None:
                    survival[name].add(view.crop_bbox, entry.lesions,
                                       entry.grade)
        if bar is not None:
            bar.update()

    report = dict(
        settings=dict(
            stock=cfgs['stock'].filename, gca=cfgs['gca'].filename,
            data_root=data_root,
            gaze_map_root=getattr(dataset, 'gaze_map_root', None),
            gaze_map_suffix=getattr(dataset, 'gaze_map_suffix', None),
            split=split or getattr(dataset, 'splits', None),
            images=len(infos), images_with_map=len(dataset),
            views_per_image=views_per_image, seed=seed, findings=findings),
        attention_kept={name: attention_summary(attention[name],
                                                keep_threshold)
                        for name in NAMES},
        crop_area={name: distribution(area[name]) for name in NAMES})
    if tries:
        report['gca_crop_tries'] = dict(
            distribution(tries), qualified=float(np.mean(qualified)))
    if table is not None:
        report['finding_survival'] = {name: survival[name].summary()
                                      for name in NAMES}
    if throughput_images:
        timed = infos[:throughput_images]
        result = pipeline_throughput(
            {name: build_pipeline(training_pipeline(cfgs[name]))
             for name in NAMES}, timed, rounds=throughput_rounds, seed=seed)
        result.update(speed_ratio(result, 'gca', 'stock'),
                      machine=machine_info())
        report['throughput'] = result
    return report


def _fmt(value, digits=3):
    return 'n/a' if value is None or value != value else \
        f'{value:.{digits}f}'


def format_report(report):
    """The report as plain-text tables."""
    att = report['attention_kept']
    keys = ['mean'] + [f'p{p}' for p in PERCENTILES]
    thr = att['stock']['threshold']
    lines = ['Attention kept per view (fraction of the map mass inside the '
             'crop box)',
             f'{"":8}' + ''.join(f'{k:>8}' for k in keys) +
             f'{">=" + format(thr, "g"):>8}{"views":>8}']
    for name in NAMES:
        a = att[name]
        lines.append(f'{name:8}' + ''.join(f'{_fmt(a[k]):>8}' for k in keys) +
                     f'{_fmt(a["fraction_at_least"]):>8}{a["views"]:>8}')
    lines += ['', 'Crop area (fraction of the image area)',
              f'{"":8}' + ''.join(f'{k:>8}' for k in keys)]
    for name in NAMES:
        a = report['crop_area'][name]
        lines.append(f'{name:8}' + ''.join(f'{_fmt(a[k]):>8}' for k in keys))
    tries = report.get('gca_crop_tries')
    if tries:
        lines.append(f'GCA crop candidates examined: median {tries["p50"]:g}, '
                     f'p95 {tries["p95"]:g}; crops meeting min_attention '
                     f'{tries["qualified"]:.3f}')
    surv = report.get('finding_survival')
    if surv:
        frac = surv['stock']['min_fraction']
        lines += ['', f'Findings surviving the crop (>= {frac:g} of the box '
                  'inside), rate per view',
                  f'{"kind":12}{"grade":>6}{"stock":>8}{"gca":>8}']
        for kind, grade, s, g in lesion_rate_table(
                [surv['stock'], surv['gca']]):
            lines.append(f'{kind:12}{grade:>6}{_fmt(s):>8}{_fmt(g):>8}')
        s, g = (surv[n]['all_findings_kept'] for n in NAMES)
        lines.append(f'{"all of image":12}{"":>6}{_fmt(s["rate"]):>8}'
                     f'{_fmt(g["rate"]):>8}   ({s["views"]} views of '
                     'images with findings)')
    tp = report.get('throughput')
    if tp:
        rate = tp['images_per_s']
        lines += ['', f'Throughput, full training pipelines, 1 thread, '
                  f'{tp["images"]} images x {tp["rounds"]} interleaved '
                  'rounds',
                  f'stock {rate["stock"]:.1f} img/s   gca {rate["gca"]:.1f} '
                  f'img/s   gca/stock {tp["ratio"]:.3f} (median of rounds '
                  f'{tp["round_ratio_median"]:.3f})',
                  f'on {tp["machine"]["cpu"]} '
                  f'({tp["machine"]["cpu_count"]} cores)']
        steps = tp.get('step_us') or {}
        if steps:
            lines += ['', 'Time per image by pipeline step (us)',
                      f'{"step":20}' + ''.join(f'{n:>9}' for n in steps)]
            # in the order of the pipeline with the most steps
            names = list(dict.fromkeys(
                s for v in sorted(steps.values(), key=len, reverse=True)
                for s in v))
            for step in names:
                lines.append(f'{step:20}' + ''.join(
                    f'{v[step]:9.0f}' if step in v else f'{"-":>9}'
                    for v in steps.values()))
    return '\n'.join(lines)


def plot_attention_histogram(report, path):
    """Histogram of attention kept per view, stock vs GCA, written
    atomically as PNG to ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..utils import atomic_open
    att = report['attention_kept']
    edges = np.linspace(0, 1, HIST_BINS + 1)
    fig = Figure(figsize=(6, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for name, color in zip(NAMES, ('tab:orange', 'tab:blue')):
        counts = np.asarray(att[name]['histogram'], np.float64)
        ax.stairs(counts / counts.sum(), edges, label=name, color=color,
                  linewidth=2)
    ax.axvline(att['gca']['threshold'], color='grey', linestyle=':')
    ax.set_xlabel('attention kept by the crop (fraction of map mass)')
    ax.set_ylabel('fraction of views')
    ax.legend(loc='upper left')
    fig.tight_layout()
    with atomic_open(path, 'wb') as f:
        fig.savefig(f, format='png')
