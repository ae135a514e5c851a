# GPU-sized MoCo v3 with Gaze-Conditioned Augmentation: identical to
# mocov3_resnet50_knee.py except how the views are made.
_base_ = ['./mocov3_resnet50_knee.py', '../_base_/gca_knee.py']
