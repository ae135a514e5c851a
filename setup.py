import os.path as osp

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


setup(
    name='gca_mm',
    version=read_version(),
    description='Gaze-Conditioned Augmentation for contrastive pre-training '
    'on medical images, as an OpenMMLab (mmpretrain / mmselfsup) plugin',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    python_requires='>=3.9',
    install_requires=read_requirements('runtime'),
    extras_require=dict(
        tests=read_requirements('tests'),
        mmselfsup=read_requirements('mmselfsup'),
    ),
    license='Apache-2.0',
    zip_safe=False,
)
