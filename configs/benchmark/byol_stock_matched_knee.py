# Arm `stock-matched` of the benchmark: stock BYOL (byol_knee.py) with
# the lower bound of its crop-area range raised so that its mean crop area
# equals GCA's. GCA keeps the attended region, so its crops are larger (on
# data/demo: mean 0.775 of the image with byol_gca_knee.py, against
# 0.490 for the stock 8-100 % crop); a GCA gain over this arm is not a
# gain from bigger crops. Measured with
#   python tools/analysis/match_crop_area.py configs/byol_knee.py \
#       configs/byol_gca_knee.py --data-root data/demo
# tools/benchmark.py measures it again on its own data and maps.
_base_ = ['../byol_knee.py']
from gca_mm.utils.view_edits import set_crop_range  # noqa: E402

matched_crop_ratio_range = (0.651, 1.0)

train_pipeline = set_crop_range(_base_.train_pipeline,
                                matched_crop_ratio_range)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
