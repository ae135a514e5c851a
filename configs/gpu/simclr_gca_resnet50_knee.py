# GPU-sized SimCLR with Gaze-Conditioned Augmentation: identical to
# simclr_resnet50_knee.py except how the views are made.
_base_ = ['./simclr_resnet50_knee.py', '../_base_/gca_knee.py']
