# Arm `stock-tuned` of the benchmark (the paper's "Searched"): stock byol
# (byol_knee.py) with the crop-area range and the cutout chosen on the val split
# by gca_mm.experiments.stock_search, seed 0, the benchmark's budget.
# Made by
#   python tools/analysis/search_stock_views.py --algorithm byol --data-root data/bench --no-amp --work-dir work_dirs/stock_search/byol
# (run 2026-12-07 on a 2-core AMX Xeon, fp32; 12.9-22.1 min per candidate,
# 2.3 h in all, the host slowing from 8.4 to 14.5 s an epoch over the run)
# val accuracy / macro-F1 / MAE of every candidate:
#   crop0.08_nocutout: 34.27 / 23.30 / 1.204
#   crop0.08_cutout0.214: 34.87 / 22.07 / 1.198
#   crop0.2_nocutout: 36.07 / 25.87 / 1.118
#   crop0.2_cutout0.214: 34.67 / 21.81 / 1.176
#   crop0.35_nocutout: 36.07 / 26.60 / 1.136
#   crop0.35_cutout0.214: 30.86 / 21.73 / 1.251
#   crop0.5_nocutout: 35.27 / 25.79 / 1.114
#   crop0.5_cutout0.214: 33.27 / 17.30 / 1.238
_base_ = ['../byol_knee.py']
from gca_mm.utils.view_edits import edit_views  # noqa: E402

tuned_crop_ratio_range = (0.35, 1.0)
tuned_cutout = None

train_pipeline = edit_views(_base_.train_pipeline, tuned_crop_ratio_range,
                            tuned_cutout)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
