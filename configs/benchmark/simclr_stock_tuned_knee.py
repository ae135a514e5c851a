# Arm `stock-tuned` of the benchmark (the paper's "Searched"): stock simclr
# (simclr_knee.py) with the crop-area range and the cutout chosen on the val split
# by gca_mm.experiments.stock_search, seed 0, the benchmark's budget.
# Made by
#   python tools/analysis/search_stock_views.py --algorithm simclr --data-root data/bench --no-amp
# (run 2026-12-06 on a 2-core AMD EPYC, fp32; 17.4-19.2 min per candidate)
# val accuracy / macro-F1 / MAE of every candidate:
#   crop0.08_nocutout: 35.47 / 36.26 / 1.010
#   crop0.08_cutout0.214: 39.08 / 38.53 / 0.976
#   crop0.2_nocutout: 46.89 / 50.85 / 0.737
#   crop0.2_cutout0.214: 41.28 / 38.33 / 0.898
#   crop0.35_nocutout: 49.10 / 54.93 / 0.745
#   crop0.35_cutout0.214: 40.48 / 40.34 / 0.926
#   crop0.5_nocutout: 50.30 / 55.99 / 0.723
#   crop0.5_cutout0.214: 40.68 / 41.99 / 0.900
_base_ = ['../simclr_knee.py']
from gca_mm.utils.view_edits import edit_views  # noqa: E402

tuned_crop_ratio_range = (0.5, 1.0)
tuned_cutout = None

train_pipeline = edit_views(_base_.train_pipeline, tuned_crop_ratio_range,
                            tuned_cutout)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
