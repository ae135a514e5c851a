# GPU-sized BYOL with Gaze-Conditioned Augmentation: identical to
# byol_resnet50_knee.py except how the views are made.
_base_ = ['./byol_resnet50_knee.py', '../_base_/gca_knee.py']
