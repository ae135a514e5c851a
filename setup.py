import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name):
    """Pins from ``requirements/<name>.txt`` (comments and blanks skipped)."""
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def read_version():
    scope = {}
    with open(osp.join(HERE, 'gca_mm', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def add_mim_extension():
    """Ship ``configs/`` and ``tools/`` inside the package as
    ``gca_mm/.mim/`` (OpenMMLab's layout), so that an installed gca_mm finds
    them without a checkout: copies in a wheel or sdist, links to the source
    tree in an editable install."""
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'install'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(HERE, 'gca_mm', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in ('configs', 'tools'):
        src, dst = osp.join(HERE, name), osp.join(mim_path, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst)
        else:
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(
                '__pycache__', '*.pyc'))


add_mim_extension()

setup(
    name='gca_mm',
    version=read_version(),
    description='Gaze-Conditioned Augmentation for contrastive pre-training '
    'on medical images, as an OpenMMLab (mmpretrain / mmselfsup) plugin',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    package_data={'gca_mm': ['.mim/configs/**/*.py', '.mim/tools/**/*.py',
                             '.mim/tools/*.sh']},
    python_requires='>=3.9',
    install_requires=read_requirements('runtime'),
    extras_require=dict(
        tests=read_requirements('tests'),
        mmselfsup=read_requirements('mmselfsup'),
    ),
    license='Apache-2.0',
    zip_safe=False,
)
