# Operator ablation (the paper's, on BYOL): byol_gca_knee.py with only GCA's
# attention-aware crop on; the other two operators are off (erase_prob=0.0,
# dim_prob=0.0). Flip and rotation stay as in byol_gca_knee.py. The three
# ablation arms and `gca` (all three operators) share everything else.
_base_ = ['../byol_gca_knee.py']

gca = dict(erase_prob=0.0, dim_prob=0.0)
