# MoCo v3 of the legacy stack (mmselfsup 1.x) with Gaze-Conditioned
# Augmentation: identical to mocov3_knee.py except how the views are made.
_base_ = ['./mocov3_knee.py', '../_base_/gca_knee.py']
