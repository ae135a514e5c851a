# Leave-one-out ablation on MoCo v3: mocov3_gca_knee.py with GCA's
# attention-weighted dimming off (dim_prob=0.0); crop, erasing, flip and
# rotation stay as in mocov3_gca_knee.py. Against `gca` it measures what
# the dimming adds on top of GCA's crop, which the one-operator arms
# (gca-dim-only has no crop) cannot.
_base_ = ['../mocov3_gca_knee.py']

gca = dict(dim_prob=0.0)
