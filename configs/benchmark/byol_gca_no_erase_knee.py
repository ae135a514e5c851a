# Leave-one-out ablation on BYOL: byol_gca_knee.py with GCA's
# attention-aware erasing off (erase_prob=0.0); crop, dimming, flip and
# rotation stay as in byol_gca_knee.py. Against `gca` it measures what
# the erasing adds on top of GCA's crop, which the one-operator arms
# (gca-erase-only has no crop) cannot.
_base_ = ['../byol_gca_knee.py']

gca = dict(erase_prob=0.0)
