"""Figure of stock vs GCA views of one X-ray.

Top: the X-ray with its attention map overlaid and its findings' boxes, and
the same overlay with the crop box of every view (one colour per row).
Below: a row of stock views and a row of GCA views, each titled with the
attention its crop keeps.
"""
import cv2
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from mmengine.runner import set_random_seed

from .finding_survival import image_findings, load_findings_table
from .pipeline_views import compared_views, find_image
from ..utils import atomic_open

# per row: label, colour (view frames and crop boxes), crop box line style
ROW_STYLES = dict(
    stock=dict(label='stock', color='tab:orange', ls='--', line='dashed'),
    gca=dict(label='GCA', color='deepskyblue', ls='-', line='solid'))
FINDING_COLORS = dict(osteophyte='yellow', jsn='magenta', sclerosis='lime')
DPI = 100
# figure height in panels: 2 (top) + 2 view rows with their titles
_HEIGHT_PANELS = 4.8


def figure_size(num_views, panel_px=160):
    """(width, height) in pixels of the figure: ``max(num_views, 4)``
    panels of ``panel_px`` wide, 4.8 panels high."""
    return (max(num_views, 4) * panel_px,
            int(round(_HEIGHT_PANELS * panel_px)))


def _rgb(img):
    """A view or X-ray as RGB (images in the pipeline are BGR or grey)."""
    return img[..., ::-1] if img.ndim == 3 else np.stack([img] * 3, -1)


def _box(ax, box, color, lw=1.5, ls='-', label=None):
    x1, y1, x2, y2 = box
    # pixel i covers [i - 0.5, i + 0.5] in imshow coordinates
    ax.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1,
                           fill=False, edgecolor=color, linewidth=lw,
                           linestyle=ls))
    if label is not None:
        ax.text(x1 + 1, y1 + 1, label, color=color, fontsize=7,
                va='top', ha='left')


def _overlay(ax, xray, gaze_map, alpha, cmap):
    ax.imshow(_rgb(xray), interpolation='nearest')
    peak = float(gaze_map.max())
    norm = gaze_map / peak if peak > 0 else np.zeros_like(gaze_map)
    ax.imshow(norm, cmap=cmap, vmin=0, vmax=1, alpha=alpha * norm,
              interpolation='bilinear')
    ax.set_axis_off()


def _view_title(view):
    title = f'kept {view.attention:.2f}'
    p = view.gca_params
    if p:
        ops = [name for name, on in (('flip', p['flip']),
                                     (f'rot {p["angle"]:+.0f}', p['angle']),
                                     ('erase', p['erase_bbox'] is not None),
                                     ('dim', p['dim'])) if on]
        title += '\n' + (', '.join(ops) if ops else ' ')
    return title


def draw_views(xray, gaze_map, views, lesions=(), title=None, panel_px=160,
               alpha=0.55, cmap='jet'):
    """Draw the figure (see the module doc).

    Args:
        xray (ndarray): the loaded image (uint8, grey or BGR).
        gaze_map (ndarray): its attention map (HxW, aligned with ``xray``).
        views (dict): 'stock' and 'gca' -> list of
            :class:`~gca_mm.experiments.View`; every row has the same length.
        lesions (Sequence): findings with ``kind`` and ``box``
            (x1, y1, x2, y2), e.g. ``ImageFindings.lesions``.
        title (str, optional): figure title.
        panel_px (int): width of one view panel in pixels. Defaults to 160.
        alpha (float): peak opacity of the attention overlay.
            Defaults to 0.55.
        cmap (str): matplotlib colour map of the overlay. Defaults to 'jet'.

    Returns:
        matplotlib.figure.Figure: of :func:`figure_size` pixels at 100 dpi.
    """
    unknown = [name for name in views if name not in ROW_STYLES]
    if unknown or len(views) != 2:
        raise ValueError(f'draw_views needs the rows {tuple(ROW_STYLES)}, '
                         f'got {tuple(views)}')
    lengths = {len(v) for v in views.values()}
    if len(lengths) != 1 or 0 in lengths:
        counts = {k: len(v) for k, v in views.items()}
        raise ValueError('draw_views needs the same positive number of views '
                         f'in every row, got {counts}')
    if gaze_map.shape != xray.shape[:2]:
        raise ValueError(f'gaze_map has shape {gaze_map.shape} but the X-ray '
                         f'has {xray.shape[:2]}')
    num = lengths.pop()
    cols = max(num, 4)
    width, height = figure_size(num, panel_px)
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 2 * cols, height_ratios=[2, 1.2, 1.2],
                            left=0.01, right=0.99, bottom=0.01,
                            top=0.92 if title else 0.97, hspace=0.3,
                            wspace=0.08)

    ax = fig.add_subplot(grid[0, :cols])
    _overlay(ax, xray, gaze_map, alpha, cmap)
    for f in lesions:
        _box(ax, f.box, FINDING_COLORS.get(f.kind, 'white'), lw=1.2)
    ax.set_title('attention + findings', fontsize=9)
    kinds = sorted({f.kind for f in lesions})
    if kinds:
        ax.legend(handles=[Patch(fill=False, edgecolor=FINDING_COLORS.get(
            k, 'white'), label=k) for k in kinds], loc='lower left',
            fontsize=6, framealpha=0.6)

    ax = fig.add_subplot(grid[0, cols:])
    _overlay(ax, xray, gaze_map, alpha, cmap)
    for name, row in views.items():
        for i, view in enumerate(row):
            style = ROW_STYLES[name]
            _box(ax, view.crop_bbox, style['color'], ls=style['ls'],
                 label=str(i + 1))
    ax.set_title('crop boxes: ' + ', '.join(
        f'{ROW_STYLES[n]["label"]} {ROW_STYLES[n]["line"]}' for n in views),
        fontsize=9)

    offset = cols - num  # centre short rows
    for r, (name, row) in enumerate(views.items()):
        style = ROW_STYLES[name]
        for i, view in enumerate(row):
            start = offset + 2 * i
            ax = fig.add_subplot(grid[1 + r, start:start + 2])
            ax.imshow(_rgb(view.img), interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_edgecolor(style['color'])
                spine.set_linewidth(2)
            ax.set_title(f'{style["label"]} {i + 1}: '
                         + _view_title(view), fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def save_figure(fig, path):
    """Write ``fig`` as PNG to ``path`` atomically."""
    with atomic_open(path, 'wb') as f:
        fig.savefig(f, format='png', dpi=DPI)


def visualize_views(stock, gca, image=0, data_root=None, gaze_map_root=None,
                    split=None, gaze_map_suffix=None, num_views=4, seed=0,
                    findings='auto', out=None, panel_px=160):
    """Draw ``num_views`` stock and GCA views of one image.

    Args:
        stock (str | Config): stock config (path).
        gca (str | Config): GCA config (path), made effective as
            ``GCARunner`` does.
        image (int | str): index among the training images that have a map,
            or an image path (absolute or relative to the data root).
            Defaults to 0.
        data_root, gaze_map_root, split, gaze_map_suffix (str, optional):
            replace the configs' values (see
            ``gca_mm.experiments.load_view_configs``).
        num_views (int): views per row. Defaults to 4.
        seed (int): random seed of the views. Defaults to 0.
        findings (str, optional): ``findings.csv``; ``'auto'`` uses
            ``<data_root>/findings.csv`` if it exists; None draws none.
            Defaults to 'auto'.
        out (str, optional): PNG path to write (atomically).
        panel_px (int): width of one view panel. Defaults to 160.

    Returns:
        matplotlib.figure.Figure: the figure.
    """
    if not (isinstance(num_views, int) and num_views >= 1):
        raise ValueError(f'num_views must be a positive int, got '
                         f'{num_views!r}')
    _, dataset, pipelines = compared_views(stock, gca, data_root,
                                           gaze_map_root, split,
                                           gaze_map_suffix)
    info = dataset.get_data_info(find_image(dataset, image))
    table = load_findings_table(findings, dataset.data_root)
    entry = image_findings(table, dataset.data_root, info['img_path']) \
        if table is not None else None
    set_random_seed(seed)
    views, loaded = {}, None
    for name, pipeline in pipelines.items():
        loaded = pipeline.load(info)
        views[name] = [pipeline.view(loaded, k) for k in range(num_views)]
    title = info['img_path']
    if entry is not None:
        title += f'  (KL{entry.grade})'
    gaze_map = loaded['gaze_map']
    if gaze_map.shape != loaded['img'].shape[:2]:  # a bounded map, shown
        h, w = loaded['img'].shape[:2]             # at the image's size
        gaze_map = cv2.resize(gaze_map, (w, h), interpolation=cv2.INTER_LINEAR)
    fig = draw_views(loaded['img'], gaze_map, views,
                     entry.lesions if entry is not None else (), title,
                     panel_px)
    if out:
        save_figure(fig, out)
    return fig
