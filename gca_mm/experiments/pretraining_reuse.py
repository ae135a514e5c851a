"""Reuse a finished pre-training for a benchmark cell whose config is the
same text: the ``stock-tuned`` cell of the seed a search ran on is the
search's chosen candidate, trained once.

A cell's ``pretrain_config.py`` is the whole resolved config (data root,
seed, budget, pipeline), so two cells whose files are byte-identical train
the same network from the same initialisation and data order. The rule is
that strict on purpose: any difference, even a path, means training
afresh. (A search's stock-like candidate is not the ``stock`` cell by this
rule: it names the crop range the stock config leaves at its default.)
"""
import glob
import json
import os
import os.path as osp
import shutil

from ..utils import atomic_write_text

#: written into the ``pretrain/`` folder a cell adopted
ADOPTED = 'adopted_from.json'


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def find_identical_pretraining(roots, work_dir, epochs):
    """A cell folder below one of ``roots`` whose ``pretrain_config.py`` is
    byte-identical to ``work_dir``'s and whose pre-training is finished
    (``pretrain/epoch_<epochs>.pth``), whatever the folder's name;
    ``None`` if there is none. ``work_dir`` itself is never returned."""
    config = osp.join(work_dir, 'pretrain_config.py')
    if not osp.isfile(config):
        raise FileNotFoundError(f'{config}: no pre-training config to match '
                                '(write it first)')
    text, own = _read(config), osp.realpath(work_dir)
    for root in roots:
        pattern = osp.join(glob.escape(root), '**', 'pretrain_config.py')
        for found in sorted(glob.glob(pattern, recursive=True)):
            source = osp.dirname(found)
            if osp.realpath(source) == own or _read(found) != text:
                continue
            if osp.isfile(osp.join(source, 'pretrain',
                                   f'epoch_{epochs}.pth')):
                return source
    return None


def adopt_pretraining(source, work_dir):
    """Copy ``source``'s ``pretrain/`` folder (checkpoints and mmengine's
    logs) and ``pretrain.log`` into the cell ``work_dir``, replacing any
    unfinished pre-training there, and record the source in
    ``pretrain/adopted_from.json``. The folder, that record included, is
    copied beside its place and then renamed, so an interrupted copy
    leaves neither a half folder nor a record without its folder."""
    pre_dir = osp.join(work_dir, 'pretrain')
    tmp = pre_dir + '.adopting'
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(osp.join(source, 'pretrain'), tmp)
    # mmengine's last_checkpoint names the source's absolute path
    last = osp.join(tmp, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            atomic_write_text(last, osp.join(
                osp.abspath(pre_dir), osp.basename(f.read().strip())))
    atomic_write_text(osp.join(tmp, ADOPTED),
                      json.dumps(dict(source=source), indent=2))
    log = osp.join(source, 'pretrain.log')
    if osp.isfile(log):
        atomic_write_text(osp.join(work_dir, 'pretrain.log'),
                          _read(log).decode('utf-8', 'replace'))
    shutil.rmtree(pre_dir, ignore_errors=True)
    os.replace(tmp, pre_dir)


def adopted_from(work_dir):
    """The folder whose pre-training the cell ``work_dir`` adopted, or
    ``None``."""
    path = osp.join(work_dir, 'pretrain', ADOPTED)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)['source']


__all__ = ['ADOPTED', 'find_identical_pretraining', 'adopt_pretraining',
           'adopted_from']
