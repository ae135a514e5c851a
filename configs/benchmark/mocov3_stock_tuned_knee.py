# Arm `stock-tuned` of the benchmark (the paper's "Searched"): stock mocov3
# (mocov3_knee.py) with the crop-area range and the cutout chosen on the val split
# by gca_mm.experiments.stock_search, seed 0, the benchmark's budget.
# Made by
#   python tools/analysis/search_stock_views.py --algorithm mocov3 --data-root data/bench --no-amp
# (run 2026-12-06 and 07 on a 2-core AMD EPYC, fp32; 23.7-35.5 min per
# candidate, 3.8 h in all, about 15 min of it paused for test runs; one
# candidate, cut by a session's end, resumed from its epoch-80 checkpoint)
# val accuracy / macro-F1 / MAE of every candidate:
#   crop0.08_nocutout: 35.47 / 32.35 / 0.994
#   crop0.08_cutout0.214: 42.08 / 38.50 / 0.960
#   crop0.2_nocutout: 41.48 / 46.17 / 0.828
#   crop0.2_cutout0.214: 41.88 / 35.36 / 0.958
#   crop0.35_nocutout: 51.50 / 55.75 / 0.697
#   crop0.35_cutout0.214: 38.28 / 36.89 / 0.942
#   crop0.5_nocutout: 45.09 / 50.57 / 0.798
#   crop0.5_cutout0.214: 40.88 / 37.31 / 0.916
_base_ = ['../mocov3_knee.py']
from gca_mm.utils.view_edits import edit_views  # noqa: E402

tuned_crop_ratio_range = (0.35, 1.0)
tuned_cutout = None

train_pipeline = edit_views(_base_.train_pipeline, tuned_crop_ratio_range,
                            tuned_cutout)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
