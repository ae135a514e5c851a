"""Optional legacy stack: mmselfsup 1.x (with mmcls 1.0.0rc).

mmselfsup is not required. When it is installed, :func:`register_into_mmselfsup`
mirrors every gca_mm module into mmselfsup's registries and works around
mmselfsup 1.0.0's registry naming ``mmselfsup.engine.runner``, a module its
wheel does not ship.
"""
import importlib
import importlib.util
import sys
import types

#: registry names mirrored from mmpretrain to mmselfsup
REGISTRY_NAMES = ('DATASETS', 'TRANSFORMS', 'MODELS', 'METRICS', 'HOOKS',
                  'OPTIM_WRAPPERS')


def mmselfsup_available():
    return importlib.util.find_spec('mmselfsup') is not None


def _patch_missing_runner_module():
    name = 'mmselfsup.engine.runner'
    if name in sys.modules:
        return
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        module = types.ModuleType(name)
        module.__doc__ = 'Placeholder for a module mmselfsup 1.0.0 omits.'
        sys.modules[name] = module


def register_into_mmselfsup(package='gca_mm'):
    """Register every ``package`` module of mmpretrain's registries into
    mmselfsup's. Returns the registered names, or ``None`` when mmselfsup is
    not installed."""
    if not mmselfsup_available():
        return None
    _patch_missing_runner_module()
    import mmpretrain.registry as src
    import mmselfsup.registry as dst
    registered = []
    for reg_name in REGISTRY_NAMES:
        source, target = getattr(src, reg_name), getattr(dst, reg_name)
        for name, module in list(source.module_dict.items()):
            if not module.__module__.startswith(package + '.'):
                continue
            if target.get(name) is not module:
                target.register_module(name=name, module=module, force=True)
            registered.append(f'{reg_name}.{name}')
    return registered
