# Leave-one-out ablation on MoCo v3: mocov3_gca_knee.py with GCA's
# attention-aware erasing off (erase_prob=0.0); crop, dimming, flip and
# rotation stay as in mocov3_gca_knee.py. Against `gca` it measures what
# the erasing adds on top of GCA's crop, which the one-operator arms
# (gca-erase-only has no crop) cannot.
_base_ = ['../mocov3_gca_knee.py']

gca = dict(erase_prob=0.0)
