"""Built-in demo data: synthetic knee radiographs with KL-grade findings."""
from .dataset_writer import (FINDINGS_COLUMNS, PUBLIC_CLASS_PROPORTIONS,
                             PUBLIC_SPLIT_FRACTIONS, SPLITS,
                             format_counts_table, make_demo_dataset,
                             plan_dataset)
from .gaze_writer import make_demo_gaze
from .synthetic_knee import (DEFAULT_GRADE_PROFILES, GENERATOR_VERSION,
                             GradeProfile, SyntheticKnee, image_rng)

__all__ = [
    'SyntheticKnee', 'GradeProfile', 'DEFAULT_GRADE_PROFILES',
    'GENERATOR_VERSION', 'image_rng', 'make_demo_dataset', 'make_demo_gaze', 'plan_dataset',
    'format_counts_table', 'FINDINGS_COLUMNS', 'SPLITS',
    'PUBLIC_SPLIT_FRACTIONS', 'PUBLIC_CLASS_PROPORTIONS'
]
