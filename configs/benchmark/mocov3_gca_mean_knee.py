# Arm `gca-mean` of the benchmark: mocov3_gca_knee.py (the same
# GazeConditionedAugment, the same settings) on the mean ground-truth gaze map
# of the train split, the same for every image: where readers look on average,
# without the image.
# The maps: python tools/make_control_maps.py data/demo --kind mean
_base_ = ['../mocov3_gca_knee.py']

gca = dict(gaze_map_root='data/demo/control_maps/mean')
