"""Gaze data: eye-tracking recordings -> fixation tables -> attention heat
maps; simulated readers for the demo data. (The inter-reader ceiling is an
evaluation: :func:`gca_mm.evaluation.inter_reader_consistency`.)"""
from .bounds import (OUTSIDE_POLICIES, ImageSizes, apply_outside_policy,
                     lookup_size)
from .heatmap import (DEFAULT_SIGMA_PX, fixation_sigmas, heatmap_path,
                      load_heatmap, render_density, render_fixation_map,
                      save_heatmap, to_unit_map, write_heatmaps)
from .readers import (FORMATS, ScreenGeometry, read_egd_cxr, read_fixations,
                      read_generic, read_reflacx, read_reflacx_tree,
                      read_toolkit_log)
from .simulate import (ReaderProfile, load_findings, reader_profile,
                       select_images, simulate_gaze, write_simulated_gaze)
from .table import FixationTable

__all__ = [
    'FixationTable', 'ImageSizes', 'OUTSIDE_POLICIES', 'apply_outside_policy',
    'lookup_size', 'FORMATS', 'ScreenGeometry', 'read_fixations',
    'read_generic', 'read_reflacx', 'read_reflacx_tree', 'read_egd_cxr',
    'read_toolkit_log', 'DEFAULT_SIGMA_PX', 'render_density',
    'render_fixation_map', 'fixation_sigmas', 'to_unit_map', 'heatmap_path',
    'save_heatmap', 'load_heatmap', 'write_heatmaps', 'ReaderProfile',
    'reader_profile', 'load_findings', 'select_images', 'simulate_gaze',
    'write_simulated_gaze'
]
