"""Edits of a pipeline config's views, for configs that derive one arm of
the benchmark from the stock config (``configs/benchmark/*_stock_*``):
another crop-area range, a step appended to every view.

A config imports them below its ``_base_`` line (mmengine drops imported
functions from the config it builds) and edits ``_base_.train_pipeline``::

    _base_ = ['../byol_knee.py']
    from gca_mm.utils.view_edits import edit_views

    train_pipeline = edit_views(_base_.train_pipeline, (0.35, 1.0))
    train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

They edit in place, as a loop in the config would, so every variable of the
base config that shares a view's steps sees the same edit.
"""
import copy

from .config_walk import nested_pipelines, transform_type, walk_pipeline


def set_crop_range(pipeline, crop_ratio_range):
    """Set the area range of every ``RandomResizedCrop`` of ``pipeline``
    (nested views too) to ``crop_ratio_range``; returns ``pipeline``."""
    for _, step in walk_pipeline(pipeline, 'pipeline'):
        if transform_type(step) == 'RandomResizedCrop':
            step['crop_ratio_range'] = tuple(crop_ratio_range)
    return pipeline


def append_to_views(pipeline, step):
    """Append a copy of the transform config ``step`` to the end of every
    view of each ``MultiView`` of ``pipeline``; returns ``pipeline``.

    Raises:
        ValueError: ``pipeline`` has no ``MultiView``.
    """
    views = [group for _, t in walk_pipeline(pipeline, 'pipeline')
             if transform_type(t) == 'MultiView'
             for group in nested_pipelines(t)]
    if not views:
        raise ValueError('append_to_views: the pipeline has no MultiView '
                         f'to append {step!r} to')
    for view in views:
        view.append(copy.deepcopy(step))
    return pipeline


def edit_views(pipeline, crop_ratio_range, append=None):
    """The stock views with another crop-area range and, unless ``append``
    is None, one transform appended to every view (:func:`set_crop_range`,
    :func:`append_to_views`); returns ``pipeline``, edited in place."""
    set_crop_range(pipeline, crop_ratio_range)
    if append is not None:
        append_to_views(pipeline, append)
    return pipeline


__all__ = ['set_crop_range', 'append_to_views', 'edit_views']
