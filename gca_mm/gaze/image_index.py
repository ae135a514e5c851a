"""Find the user's image of a public dataset's record by its ``dicom_id``.

REFLACX and EGD-CXR name their images by MIMIC-CXR's ``dicom_id``; a user
keeps them in MIMIC-CXR's tree (``files/pXX/pXXXXXXXX/sXXXXXXXX/
<dicom_id>.{dcm,jpg,png}``), in a flat folder or anywhere else. The index
walks the image root once and maps each file's name without extension to
its path relative to the root, which is the image id the heat maps are
written under. A mapping CSV ``dicom_id,image`` replaces the walk when the
file names are not the ``dicom_id``.
"""
import os
import os.path as osp

from .csv_rows import csv_rows

DICOM_ID_EXTENSIONS = ('.dcm', '.jpg', '.jpeg', '.png')


class DicomIdIndex:
    """Read-only mapping ``dicom_id -> image path relative to root``.

    Args:
        root (str): the image tree, searched recursively.
        extensions (tuple[str]): file types that are images (lower case).

    Two files with one ``dicom_id`` (e.g. ``x.dcm`` and ``x.jpg``) make the
    id ambiguous: looking it up raises ``ValueError`` naming both, and a
    mapping CSV resolves it.
    """

    def __init__(self, root, extensions=DICOM_ID_EXTENSIONS):
        if not osp.isdir(root):
            raise FileNotFoundError(f'image root {root!r} is not a directory')
        self.root = root
        self.extensions = tuple(e.lower() for e in extensions)
        self._paths = {}
        self._duplicates = {}
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                stem, ext = osp.splitext(name)
                if ext.lower() not in self.extensions:
                    continue
                rel = osp.relpath(osp.join(folder, name), root)
                if stem in self._paths:
                    first = self._paths[stem]
                    self._duplicates.setdefault(stem, [first]).append(rel)
                else:
                    self._paths[stem] = rel

    def __contains__(self, dicom_id):
        return dicom_id in self._paths

    def __getitem__(self, dicom_id):
        if dicom_id in self._duplicates:
            raise ValueError(
                f'dicom_id {dicom_id!r} names several images under '
                f'{self.root!r}: {", ".join(self._duplicates[dicom_id])}; '
                'keep one or pass a mapping CSV (dicom_id,image)')
        try:
            return self._paths[dicom_id]
        except KeyError:
            raise KeyError(f'no image named {dicom_id!r} (any of '
                           f'{", ".join(self.extensions)}) under '
                           f'{self.root!r}') from None

    def get(self, dicom_id, default=None):
        return self[dicom_id] if dicom_id in self else default

    def __len__(self):
        return len(self._paths)

    def __repr__(self):
        return (f'{self.__class__.__name__}(root={self.root!r}, '
                f'n_images={len(self)})')


def read_image_map(path):
    """Read a mapping CSV ``dicom_id,image`` (image relative to the image
    root) into a dict; a ``dicom_id`` given twice is an error."""
    mapping = {}
    for line, row in csv_rows(
            path, ('dicom_id', 'image'),
            'image mapping CSV',
            allowed=('dicom_id', 'image')):
        dicom_id, image = row['dicom_id'].strip(), row['image'].strip()
        if not dicom_id or not image:
            raise ValueError(f'{path}:{line}: empty dicom_id or image field')
        if dicom_id in mapping:
            raise ValueError(f'{path}:{line}: dicom_id {dicom_id!r} is mapped '
                             'twice')
        mapping[dicom_id] = image
    return mapping


def image_lookup(images_root=None, image_map=None):
    """The ``dicom_id -> image`` mapping of a reader: ``image_map`` (a dict,
    or the path of a mapping CSV) if given, else a ``DicomIdIndex`` of
    ``images_root``."""
    if image_map is not None:
        return read_image_map(image_map) if isinstance(image_map,
                                                       str) else image_map
    if images_root is None:
        raise ValueError('need the image root (--images) or a mapping CSV '
                         '(--image-map) to find the images by dicom_id')
    return DicomIdIndex(images_root)
