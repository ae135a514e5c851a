"""Gaze data: eye-tracking recordings -> fixation tables -> attention heat
maps; simulated readers for the demo data. (The inter-reader ceiling is an
evaluation: :func:`gca_mm.evaluation.inter_reader_consistency`.)"""
from .bounds import (OUTSIDE_POLICIES, ImageSizes, apply_outside_policy,
                     lookup_size)
from .heatmap import (DEFAULT_SIGMA_PX, NORMALIZATIONS, RENDER_METHODS,
                      fixation_sigmas, heatmap_path, load_heatmap,
                      normalize_map, render_density, render_fixation_map,
                      save_heatmap, to_unit_map, write_heatmaps)
from .image_index import DicomIdIndex, image_lookup, read_image_map
from .readers import (EGD_SCREEN_SIZE, FORMATS, REFLACX_SOURCES,
                      ScreenGeometry, read_egd_cxr, read_egd_master_sheet,
                      read_fixations, read_generic, read_reflacx,
                      read_reflacx_dataset, read_reflacx_gaze,
                      read_toolkit_log, reflacx_readings)
from .simulate import (ReaderProfile, load_findings, reader_profile,
                       select_images, simulate_gaze, write_simulated_gaze)
from .table import FixationTable

__all__ = [
    'FixationTable', 'ImageSizes', 'OUTSIDE_POLICIES', 'apply_outside_policy',
    'lookup_size', 'FORMATS', 'ScreenGeometry', 'read_fixations',
    'read_generic', 'read_reflacx', 'read_reflacx_gaze',
    'read_reflacx_dataset', 'reflacx_readings', 'REFLACX_SOURCES',
    'read_egd_cxr', 'read_egd_master_sheet', 'EGD_SCREEN_SIZE',
    'read_toolkit_log', 'DicomIdIndex', 'read_image_map', 'image_lookup',
    'DEFAULT_SIGMA_PX', 'RENDER_METHODS', 'NORMALIZATIONS', 'render_density',
    'render_fixation_map', 'fixation_sigmas', 'to_unit_map', 'normalize_map',
    'heatmap_path',
    'save_heatmap', 'load_heatmap', 'write_heatmaps', 'ReaderProfile',
    'reader_profile', 'load_findings', 'select_images', 'simulate_gaze',
    'write_simulated_gaze'
]
