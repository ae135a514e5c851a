# Gaze-Conditioned Augmentation for the knee pre-training configs.
# GCARunner rebuilds the training views with gca_mm.apply_gca: each view's
# random resized crop (+ flip) becomes GazeConditionedAugment with the same
# size, area and aspect ranges; the photometric steps stay as they are.
# The maps are those predicted by the gaze-saliency model
# (tools/predict_saliency.py), one per image, mirroring the image tree.
runner_type = 'GCARunner'
gca = dict(
    gaze_map_root='data/demo/saliency_maps',
    gaze_map_suffix='.png',
    min_attention=0.9,  # fraction of the map's mass every crop keeps
)
