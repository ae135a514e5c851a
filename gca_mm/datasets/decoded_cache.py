"""Decoded images (and attention maps) of a dataset, in memory-mapped files.

Decoding a PNG for every view of every epoch costs more than a small
model's training step on a CPU. :class:`DecodedImageCache` decodes each
image of a dataset once, with the dataset's own loading transforms,
optionally shrinks it so that its shorter side is at most ``max_side``, and
stores the pixels in one flat file beside the work dir (and the attention
maps, float32 as the map loader gives them, in a second; a map is kept at
its own resolution when that is lower than the cached image's, as
``LoadGazeMap(max_side=...)`` gives it). Every process that reads it, dataloader
workers included, maps the same file: the pages live once in the OS page
cache, not once per worker.

The files are named by a hash of every input file's path, size and
modification time and of the loading settings, so a changed image (or map,
or setting) gives a new cache instead of stale pixels. They are written
under temporary names and renamed when complete: an interrupted build
leaves nothing that looks valid. The index (``<key>.json``) is written
last.
"""
import hashlib
import json
import os
import os.path as osp

import cv2
import numpy as np
from mmengine.dist import barrier, get_rank
from mmengine.logging import MMLogger

from ..utils import atomic_open, atomic_write_text
from .transforms.gca_functional import shrink_side

#: bump when the file layout changes
CACHE_VERSION = 5
#: default bound of one cache (images + maps), bytes
DEFAULT_MAX_BYTES = 8 * 1024**3


def _stat(path):
    try:
        st = os.stat(path)
    except OSError:
        return None  # a missing map: the loader's policy decides
    return [path, st.st_size, st.st_mtime_ns]


def _shrink(array, shape):
    if array.shape[:2] == shape:
        return array
    return cv2.resize(array, (shape[1], shape[0]),
                      interpolation=cv2.INTER_AREA)


class DecodedImageCache:
    """A dataset's decoded grey images (uint8) and, optionally, attention
    maps (float32, exactly the map loader's values), memory-mapped. A map
    is read without a copy, as a read-only view of the mapped file.

    Build or open one with :meth:`build`; read with :meth:`get`.

    Args:
        prefix (str): path of the cache files without extension.
        index (dict): the contents of ``<prefix>.json``.
    """

    def __init__(self, prefix, index):
        self.prefix = prefix
        self.index = index
        self.slots = {path: i for i, path in enumerate(index['img_paths'])}
        self._images = self._maps = None  # opened lazily in each process

    @property
    def has_maps(self):
        return self.index['map_bytes'] > 0

    @property
    def nbytes(self):
        return self.index['image_bytes'] + self.index['map_bytes']

    def __getstate__(self):  # workers open their own maps of the files
        state = self.__dict__.copy()
        state['_images'] = state['_maps'] = None
        return state

    def _open(self):
        if self._images is None:
            self._images = np.memmap(self.prefix + '.images', np.uint8, 'r')
            if self.has_maps:
                self._maps = np.memmap(self.prefix + '.maps', np.float32,
                                       'r')

    def get(self, img_path):
        """``(image, map, map_fallback)`` of ``img_path``: the grey image
        (uint8, H x W, a copy), its map (float32, the image's H x W or
        smaller, covering the whole image, a read-only view of the mapped
        file; ``None`` without maps) and the map loader's fallback note
        (``None``: the file)."""
        try:
            slot = self.slots[img_path]
        except KeyError:
            raise KeyError(
                f'{img_path} is not in the decoded-image cache '
                f'{self.prefix}.json (built for {len(self.slots)} images of '
                'the dataset); build the cache from the same dataset') \
                from None
        self._open()
        offset, h, w = self.index['entries'][slot]
        img = np.array(self._images[offset:offset + h * w]).reshape(h, w)
        gaze_map = None
        if self.has_maps:
            offset, h, w = self.index['map_entries'][slot]
            gaze_map = self._maps[offset:offset + h * w].view(
                np.ndarray).reshape(h, w)
        return img, gaze_map, self.index['map_fallbacks'][slot]

    @staticmethod
    def key(infos, image_loader, map_loader, max_side):
        """Hash of every input file (path, size, mtime) and setting."""
        files = []
        for info in infos:
            files.append(_stat(info['img_path']))
            if map_loader is not None:
                files.append(_stat(map_loader.map_path(info)))
        text = json.dumps(
            dict(version=CACHE_VERSION, files=files, max_side=max_side,
                 image_loader=repr(image_loader),
                 map_loader=repr(map_loader)))
        return hashlib.sha1(text.encode()).hexdigest()[:20]

    @classmethod
    def build(cls, infos, image_loader, map_loader=None, cache_dir='.',
              max_side=None, max_bytes=DEFAULT_MAX_BYTES):
        """Open the cache of ``infos`` (data infos with ``img_path``), or
        build it first.

        Args:
            infos (list[dict]): the dataset's data infos, in order.
            image_loader: a ``LoadXrayFromFile``; decodes every image.
            map_loader: a ``LoadGazeMap`` or ``None``; reads every map
                (applying its missing / invalid / shape policies).
            cache_dir (str): folder of the cache files.
            max_side (int, optional): shrink images (and maps) whose shorter
                side is longer (area interpolation). Defaults to None.
            max_bytes (int): refuse to build a cache larger than this.

        In a distributed run rank 0 builds while the others wait.
        """
        if max_side is not None and (not isinstance(max_side, int)
                                     or max_side < 1):
            raise ValueError('decoded_cache.max_side must be a positive '
                             f'integer or None, got {max_side!r}')
        key = cls.key(infos, image_loader, map_loader, max_side)
        prefix = osp.join(cache_dir, key)
        if get_rank() == 0 and not osp.isfile(prefix + '.json'):
            cls._write(prefix, infos, image_loader, map_loader, max_side,
                       max_bytes)
        barrier()
        with open(prefix + '.json') as f:
            cache = cls(prefix, json.load(f))
        MMLogger.get_current_instance().info(
            f'Decoded-image cache {prefix}: {len(infos)} images, '
            f'{cache.nbytes / 2**20:.1f} MiB')
        return cache

    @staticmethod
    def _write(prefix, infos, image_loader, map_loader, max_side, max_bytes):
        logger = MMLogger.get_current_instance()
        logger.info(f'Decoding {len(infos)} images into {prefix}.*')
        entries, map_entries, fallbacks = [], [], []
        offset = map_offset = 0
        with atomic_open(prefix + '.images') as fimg, \
                atomic_open(prefix + '.maps') as fmap:
            for info in infos:
                results = image_loader(dict(info))
                if results is None:  # ignore_empty and an unreadable file
                    raise ValueError(
                        f'decoded_cache: {info["img_path"]} cannot be read; '
                        'remove it from the dataset (a cache has no place '
                        'for a skipped image)')
                img = results['img']
                if img.ndim == 3:
                    img = img[..., 0]  # grey replicated by the loader
                shape = shrink_side(img.shape, max_side)
                fallback = None
                if map_loader is not None:
                    results = map_loader(results)
                    fallback = results.get('gaze_map_fallback')
                    gaze_map = results['gaze_map']
                    if min(gaze_map.shape) > min(shape):  # not above the image
                        gaze_map = _shrink(gaze_map, shape)
                    fmap.write(np.ascontiguousarray(
                        gaze_map, np.float32).tobytes())
                    map_entries.append([map_offset, *gaze_map.shape])
                    map_offset += gaze_map.size
                img = _shrink(np.ascontiguousarray(img), shape)
                fimg.write(img.tobytes())
                entries.append([offset, shape[0], shape[1]])
                fallbacks.append(fallback)
                offset += shape[0] * shape[1]
                total = offset + 4 * map_offset
                if total > max_bytes:
                    raise ValueError(
                        f'decoded_cache: the cache of {len(infos)} images '
                        f'passes decoded_cache.max_bytes={max_bytes} after '
                        f'{len(entries)} images; raise max_bytes, lower '
                        'decoded_cache.max_side, or set decoded_cache=None')
        index = dict(
            version=CACHE_VERSION,
            img_paths=[info['img_path'] for info in infos],
            entries=entries,
            map_entries=map_entries,
            map_fallbacks=fallbacks,
            max_side=max_side,
            image_bytes=offset,
            map_bytes=4 * map_offset)
        atomic_write_text(prefix + '.json', json.dumps(index))
