# BYOL with Gaze-Conditioned Augmentation on knee X-rays: identical to
# byol_knee.py except how the views are made (configs/_base_/gca_knee.py).
_base_ = ['./byol_knee.py', './_base_/gca_knee.py']
