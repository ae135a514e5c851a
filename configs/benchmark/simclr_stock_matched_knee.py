# Arm `stock-matched` of the benchmark: stock SimCLR (simclr_knee.py) with
# the lower bound of its crop-area range raised so that its mean crop area
# equals GCA's. GCA keeps the attended region, so its crops are larger (on
# data/demo: mean 0.772 of the image with simclr_gca_knee.py, against
# 0.545 for the stock 20-100 % crop); a GCA gain over this arm is not a
# gain from bigger crops. Measured with
#   python tools/analysis/match_crop_area.py configs/simclr_knee.py \
#       configs/simclr_gca_knee.py --data-root data/demo
# tools/benchmark.py measures it again on its own data and maps.
_base_ = ['../simclr_knee.py']
from gca_mm.utils.view_edits import set_crop_range  # noqa: E402

matched_crop_ratio_range = (0.648, 1.0)

train_pipeline = set_crop_range(_base_.train_pipeline,
                                matched_crop_ratio_range)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
