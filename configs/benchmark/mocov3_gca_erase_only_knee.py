# Operator ablation on MoCo v3 (the paper runs it on BYOL, which does not
# learn at the CPU budget: docs/cpu_training.md): mocov3_gca_knee.py with
# only GCA's attention-aware erase on; crop_prob and dim_prob are 0.
# Flip and rotation stay as in mocov3_gca_knee.py. The three ablation arms
# and `gca` (all three operators) share everything else.
_base_ = ['../mocov3_gca_knee.py']

gca = dict(crop_prob=0.0, dim_prob=0.0)
