"""Where the experiments find gca_mm's configs and tools.

Never through the checkout's path: in this order, the directory passed in,
the environment variable (``GCA_MM_CONFIG_DIR`` / ``GCA_MM_TOOLS_DIR``),
then the copy shipped inside the installed package (``gca_mm/.mim/``, as
OpenMMLab packages ship theirs: a copy in a wheel, a link to the source
tree in an editable install, written by ``setup.py``).
"""
import os
import os.path as osp

#: files whose presence marks a folder as gca_mm's configs / tools
_MARKERS = dict(configs='mocov3_knee.py', tools='train.py')
_ENV = dict(configs='GCA_MM_CONFIG_DIR', tools='GCA_MM_TOOLS_DIR')


def _package_dir(kind):
    return osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim',
                    kind)


def _find(kind, given):
    tried = []
    for source, folder in (('argument', given),
                           (_ENV[kind], os.environ.get(_ENV[kind])),
                           ('package data', _package_dir(kind))):
        if not folder:
            continue
        if osp.isfile(osp.join(folder, _MARKERS[kind])):
            return osp.abspath(folder)
        tried.append(f'{folder} ({source})')
        if source == 'argument':  # an explicit folder must be the one
            break
    raise FileNotFoundError(
        f'gca_mm {kind} not found: no {_MARKERS[kind]} in '
        f'{"; ".join(tried) or "any known place"}. Pass the folder '
        f'(tools: --config-dir / --tools-dir), set {_ENV[kind]}, or install '
        'gca_mm from its source tree (pip install -e . ships configs/ and '
        'tools/ as package data)')


def config_dir(given=None):
    """Absolute path of the folder holding gca_mm's configs
    (``mocov3_knee.py``, ``linear_probe_knee.py``, ...).

    Args:
        given (str, optional): use this folder; it must hold the configs.

    Raises:
        FileNotFoundError: naming every place looked at.
    """
    return _find('configs', given)


def tools_dir(given=None):
    """Absolute path of the folder holding gca_mm's tools (``train.py``,
    ...); found like :func:`config_dir`."""
    return _find('tools', given)


__all__ = ['config_dir', 'tools_dir']
