# Arm `gca-centre` of the benchmark: byol_gca_knee.py (the same
# GazeConditionedAugment, the same settings) on a centre-bias Gaussian (sigma a
# quarter of each side), the same for every image: would any centred prior do
# as well as gaze?
# The maps: python tools/make_control_maps.py data/demo --kind centre
_base_ = ['../byol_gca_knee.py']

gca = dict(gaze_map_root='data/demo/control_maps/centre')
