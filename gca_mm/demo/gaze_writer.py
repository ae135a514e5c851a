"""Simulated radiologist gaze for the demo data, written once per setting."""
import json
import os.path as osp

from ..gaze import write_simulated_gaze
from ..gaze.heatmap import DEFAULT_SIGMA_PX
from ..utils import atomic_write_text


def make_demo_gaze(data_root, fraction=0.12, readers=3, seed=0,
                   sigma_px=DEFAULT_SIGMA_PX, show_progress=True):
    """Write ``<data_root>/gaze/{fixations.csv,maps/}`` for a demo-data
    folder (see :func:`gca_mm.gaze.write_simulated_gaze`). ``gaze/meta.json``
    is written last; a rerun with the same settings is a no-op, one with
    other settings rewrites the gaze."""
    settings = dict(fraction=fraction, readers=readers, seed=seed,
                    sigma_px=sigma_px)
    meta_path = osp.join(data_root, 'gaze', 'meta.json')
    if osp.isfile(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get('settings') == settings:
            return dict(meta, reused=True)
    summary = write_simulated_gaze(
        data_root, show_progress=show_progress, **settings)
    meta = dict(settings=settings, n_images=summary['n_images'],
                n_fixations=summary['n_fixations'])
    atomic_write_text(meta_path, json.dumps(meta, indent=2))
    return dict(meta, reused=False)
