# Arm `gca-oracle` of the benchmark: byol_gca_knee.py (the same
# GazeConditionedAugment, the same settings) on a map made from the image's own
# finding boxes (findings.csv): perfect knowledge of where the findings are,
# which no user has; an upper bound for the predicted maps.
# The maps: python tools/make_control_maps.py data/demo --kind oracle
_base_ = ['../byol_gca_knee.py']

gca = dict(gaze_map_root='data/demo/control_maps/oracle')
