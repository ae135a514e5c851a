# Gaze-saliency model with a ResNet-50 backbone at 224 px (GPU-sized).
_base_ = './gaze_saliency_resnet18_knee.py'

img_size = 224

model = dict(
    backbone=dict(depth=50),
    head=dict(in_channels=(256, 512, 1024, 2048), channels=128))

# The base's pipelines at the new size (they were expanded in the base, so
# the loaders are given them again).
train_pipeline = _base_.train_pipeline
# TransformBroadcaster's RandomResize and RandomCrop
train_pipeline[2]['transforms'][0]['scale'] = (img_size, img_size)
train_pipeline[2]['transforms'][1]['crop_size'] = img_size
test_pipeline = _base_.test_pipeline
test_pipeline[4]['scale'] = (img_size, img_size)  # Resize
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader  # merged into the base's test loader
