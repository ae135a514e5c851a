# Supervised reference: the same ResNet-18 trained end to end on KL grade
# (no pre-training), with the linear probe's data, schedule and metrics.
# It tells what the backbone can learn about the grade at a given image
# size and budget, the ceiling a frozen self-supervised backbone aims at.
_base_ = './linear_probe_knee.py'

model = dict(
    backbone=dict(frozen_stages=-1, norm_eval=False, init_cfg=None))
