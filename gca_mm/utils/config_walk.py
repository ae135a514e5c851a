"""Walking a config's datasets and pipelines, with the config field of each
place, so that every error can name the field to fix.

One walker serves :func:`gca_mm.apply_gca`, the config checks
(:mod:`gca_mm.utils.config_checks`), the view analysis and the benchmark:

- :func:`iter_datasets` follows dataset wrappers: ``dataset`` of
  ``RepeatDataset`` / ``ClassBalancedDataset`` & co. and ``datasets`` of
  ``ConcatDataset``;
- :func:`pipeline_datasets` keeps the datasets that have a ``pipeline``;
- :func:`walk_pipeline` yields every transform of a pipeline and of the
  pipelines nested in it (``MultiView`` views, ``RandomApply``,
  ``TransformBroadcaster``, ...).
"""

#: the dataloaders of an mmengine config
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def transform_type(step):
    """Registry name of a transform (or dataset) config without its scope
    prefix (``mmpretrain.RandomFlip`` -> ``RandomFlip``); ``''`` for
    anything that is not a dict with a string ``type``."""
    name = step.get('type', '') if isinstance(step, dict) else ''
    return name.split('.')[-1] if isinstance(name, str) else ''


def iter_datasets(dataset, field):
    """Yield ``(field, dataset cfg)`` for ``dataset`` and every dataset
    wrapped in it, outermost first."""
    if not isinstance(dataset, dict):
        return
    yield field, dataset
    yield from iter_datasets(dataset.get('dataset'), field + '.dataset')
    for i, inner in enumerate(dataset.get('datasets') or []):
        yield from iter_datasets(inner, f'{field}.datasets[{i}]')


def pipeline_datasets(dataset, field):
    """``[(field, dataset cfg)]`` of the datasets below ``dataset`` (itself
    included) that have a ``pipeline``."""
    return [(f, d) for f, d in iter_datasets(dataset, field)
            if 'pipeline' in d]


def loader_datasets(cfg, loaders=DATALOADERS):
    """Yield ``(field, dataset cfg)`` of every dataset (wrapped ones
    included) of the given dataloaders of ``cfg``; missing or ``None``
    dataloaders are skipped."""
    for name in loaders:
        loader = cfg.get(name)
        if isinstance(loader, dict):
            yield from iter_datasets(loader.get('dataset'), f'{name}.dataset')


def nested_pipelines(step):
    """The pipelines nested in one transform config: ``[]``, or one list of
    transforms per group of its ``transforms`` (``MultiView`` takes one
    pipeline or a list of pipelines)."""
    inner = step.get('transforms') if isinstance(step, dict) else None
    if not inner:
        return []
    return [inner] if isinstance(inner[0], dict) else list(inner)


def walk_pipeline(transforms, field):
    """Yield ``(field, transform cfg)`` for a pipeline and the pipelines
    nested in it, depth first in pipeline order. Fields read like
    ``train_dataloader.dataset.pipeline[1].transforms[0][2]``."""
    for i, step in enumerate(transforms or []):
        yield f'{field}[{i}]', step
        groups = nested_pipelines(step)
        # one pipeline (a list of dicts) or a list of pipelines
        flat = len(groups) == 1 and isinstance(step['transforms'][0], dict)
        for k, group in enumerate(groups):
            inner = f'{field}[{i}].transforms' + ('' if flat else f'[{k}]')
            yield from walk_pipeline(group, inner)


__all__ = [
    'DATALOADERS', 'transform_type', 'iter_datasets', 'pipeline_datasets',
    'loader_datasets', 'nested_pipelines', 'walk_pipeline'
]
