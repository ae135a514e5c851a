# MoCo v3 with Gaze-Conditioned Augmentation on knee X-rays: identical to
# mocov3_knee.py except how the views are made (configs/_base_/gca_knee.py).
_base_ = ['./mocov3_knee.py', './_base_/gca_knee.py']
