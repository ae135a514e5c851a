"""Inter-reader consistency: the ceiling a saliency model can hope to reach.

Leave one reader out: on every image read by two or more readers, the map
rendered from the OTHER readers' fixations predicts the held-out reader; it
is scored by CC against the held-out reader's rendered map and by NSS at the
held-out reader's fixated pixels. Scores are averaged over the held-out
readers of an image, then reported as mean and standard deviation over
images. A centre-bias Gaussian (the saliency model's baseline,
:func:`~gca_mm.evaluation.center_bias_map`) is scored the same way for
context. Fixations are rasterised as for the model's NSS
(:func:`~gca_mm.evaluation.fixation_mask`).
"""
from dataclasses import dataclass, field

import numpy as np
from mmengine.utils import track_iter_progress

from ..gaze.bounds import lookup_size
from ..gaze.heatmap import render_fixation_map
from .saliency_baselines import center_bias_map
from .saliency_functional import cc, fixation_mask, nss

METRICS = ('cc', 'nss')
MODELS = ('inter_reader', 'center_bias')


@dataclass
class ConsistencyReport:
    """Per-image scores ``scores[model][metric]`` (one value per image, in
    ``images`` order) and the number of held-out readings."""
    images: list
    n_readings: int
    n_skipped: int
    scores: dict = field(default_factory=dict)

    def summary(self):
        """``{model: {metric: {'mean', 'std', 'n'}}}`` over images (std with
        ddof=0)."""
        return {
            model: {
                metric:
                dict(
                    mean=float(np.mean(v)) if len(v) else float('nan'),
                    std=float(np.std(v)) if len(v) else float('nan'),
                    n=len(v))
                for metric, v in per_metric.items()
            }
            for model, per_metric in self.scores.items()
        }

    def to_dict(self):
        return dict(
            n_images=len(self.images),
            n_readings=self.n_readings,
            n_skipped_single_reader=self.n_skipped,
            summary=self.summary(),
            per_image={
                image: {
                    model: {
                        metric: float(self.scores[model][metric][i])
                        for metric in METRICS
                    }
                    for model in MODELS
                }
                for i, image in enumerate(self.images)
            })

    def format_table(self):
        """The summary as a fixed-width text table."""
        lines = [
            f'images with >= 2 readers: {len(self.images)} '
            f'(held-out readings: {self.n_readings}, single-reader images '
            f'skipped: {self.n_skipped})',
            f'{"model":<14}' + ''.join(f'{m.upper():>18}' for m in METRICS)
        ]
        for model, per_metric in self.summary().items():
            cells = ''.join(
                f'{per_metric[m]["mean"]:>10.3f} ± '
                f'{per_metric[m]["std"]:<5.3f}' for m in METRICS)
            lines.append(f'{model:<14}{cells}')
        return '\n'.join(lines)


def inter_reader_consistency(table,
                             image_sizes,
                             sigma_px=None,
                             sigma_deg=None,
                             ppd=None,
                             duration_weighting=False,
                             center_sigma=0.25,
                             show_progress=False):
    """Leave-one-reader-out CC and NSS (see the module docstring).

    Args:
        table (FixationTable): fixations of any number of images.
        image_sizes: mapping ``image -> (h, w)``.
        sigma_px, sigma_deg, duration_weighting: map rendering, see
            ``render_fixation_map``.
        ppd (float, optional): one pixels-per-degree value for all fixations
            (else the table's columns are used with ``sigma_deg``).
        center_sigma (float): centre-bias sigma as a fraction of each side.
        show_progress (bool): show a progress bar over images.

    Returns:
        ConsistencyReport
    """
    groups = [(image, sub) for image, sub in table.group_by_image()
              if len(sub.readers()) >= 2]
    n_skipped = len(table.images()) - len(groups)
    scores = {model: {m: [] for m in METRICS} for model in MODELS}
    n_readings = 0
    if show_progress and groups:
        groups = track_iter_progress(groups)
    images = []
    for image, sub in groups:
        shape = lookup_size(image_sizes, image)
        center = center_bias_map(shape, center_sigma)
        per_reader = {model: {m: [] for m in METRICS} for model in MODELS}
        for reader in sub.readers():
            held_out = sub.reader == reader
            kwargs = dict(
                sigma_px=sigma_px,
                sigma_deg=sigma_deg,
                ppd=ppd,
                duration_weighting=duration_weighting)
            held = sub.select(held_out)
            truth = render_fixation_map(held, shape, **kwargs)
            others = render_fixation_map(
                sub.select(~held_out), shape, **kwargs)
            # the saliency metric's rasteriser: NSS here and the model's
            # NSS count the same pixels as fixated
            mask = fixation_mask(np.stack([held.x, held.y], axis=1), shape)
            for model, pred in (('inter_reader', others), ('center_bias',
                                                           center)):
                per_reader[model]['cc'].append(cc(pred, truth))
                per_reader[model]['nss'].append(nss(pred, mask))
            n_readings += 1
        for model in MODELS:
            for m in METRICS:
                scores[model][m].append(float(np.mean(per_reader[model][m])))
        images.append(image)
    return ConsistencyReport(
        images=images,
        n_readings=n_readings,
        n_skipped=n_skipped,
        scores={
            model: {
                m: np.asarray(v)
                for m, v in per.items()
            }
            for model, per in scores.items()
        })
