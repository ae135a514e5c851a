"""Knee X-ray dataset with Kellgren-Lawrence (KL) grades and optional
attention (gaze) maps."""
import csv
import io
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmengine.fileio import get_file_backend
from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from ..utils.map_path import gaze_map_path

GRADE_FOLDERS = ('0', '1', '2', '3', '4')


@DATASETS.register_module()
class KneeXrayDataset(BaseDataset):
    """Knee X-rays graded KL0..KL4, read from class folders or a CSV.

    Layouts (see ``docs/data_formats.md``):

    - **Class folders**: ``<data_root>/<split>/<grade>/**/<name>.<ext>``
      with grade folders ``0``..``4`` (the public KL-grade dataset, splits
      ``train``, ``val``, ``test``, ``auto_test``). With ``split=None`` the
      grade folders lie directly in ``data_root``.
    - **Annotation CSV** (``ann_file``): header ``path,grade[,...]``, one row
      per image, ``path`` relative to ``data_root``. Rows keep the file's
      order. With ``with_label=False`` only the ``path`` column is needed.
    - **Unlabeled** (``with_label=False`` and no ``ann_file``): every image
      below the chosen split folder(s), pooled; grade folders are walked
      like any other folder and a flat folder of images works as well.

    Folder layouts are listed in sorted order of the path relative to
    ``data_root``; hidden entries (names starting with ``.``) are skipped.

    Each data info holds ``img_path``, ``gt_label`` (int, only with
    ``with_label=True``) and ``gaze_map_path`` (only when ``gaze_map_root``
    is set): ``<gaze_map_root>/<image path relative to data_root>`` with the
    extension replaced by ``gaze_map_suffix`` (:func:`gca_mm.utils.
    gaze_map_path`, the rule ``LoadGazeMap`` and the heat-map writers
    follow). Map files are checked for
    existence only with ``require_gaze_map=True``.

    Args:
        data_root (str): Dataset root; every image path is relative to it.
        split (str | Sequence[str], optional): Split folder name(s) below
            ``data_root`` for the folder layouts, e.g. ``('train', 'val')``.
            Must be None when ``ann_file`` is given. Defaults to None.
        ann_file (str): CSV annotation file, relative to ``data_root`` or
            absolute. Defaults to '' (folder layouts).
        with_label (bool): Whether to read KL grades. Defaults to True.
        pipeline (Sequence): Processing pipeline. Defaults to ().
        gaze_map_root (str, optional): Root of the attention maps.
            Defaults to None.
        gaze_map_suffix (str): Replaces the image extension to name the map.
            Defaults to '.png'.
        require_gaze_map (bool): Keep only images whose map exists, e.g. to
            train the saliency model on the images that have gaze.
            Defaults to False.
        extensions (Sequence[str]): Image extensions (case-insensitive) the
            folder layouts pick up.
            Defaults to ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.dcm').
        decoded_cache (dict, optional): Decode every image (and its
            attention map) once into memory-mapped files shared by all
            dataloader workers (:class:`gca_mm.datasets.DecodedImageCache`):
            ``dict(cache_dir=..., max_side=None, max_bytes=8 GiB)``. The
            pipeline must start with ``LoadXrayFromFile`` (optionally then
            ``LoadGazeMap``); those are replaced by ``LoadFromDecodedCache``.
            ``max_side`` shrinks images whose shorter side is longer (set it
            to what the training crops need). Defaults to None (decode from
            the files every time).
        lazy_init (bool): Defer reading the file list. Defaults to False.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``test_mode``, ``indices``, ``serialize_data``, ``metainfo``, ...).
    """

    METAINFO = dict(classes=('KL0', 'KL1', 'KL2', 'KL3', 'KL4'))

    def __init__(self,
                 data_root: str,
                 split: Union[str, Sequence[str], None] = None,
                 ann_file: str = '',
                 with_label: bool = True,
                 pipeline: Sequence = (),
                 gaze_map_root: Optional[str] = None,
                 gaze_map_suffix: str = '.png',
                 require_gaze_map: bool = False,
                 extensions: Sequence[str] = ('.png', '.jpg', '.jpeg', '.tif',
                                              '.tiff', '.dcm'),
                 decoded_cache: Optional[dict] = None,
                 lazy_init: bool = False,
                 **kwargs):
        if 'data_prefix' in kwargs:
            raise TypeError('KneeXrayDataset takes no data_prefix: image '
                            'paths are relative to data_root; choose the '
                            'images with split or ann_file')
        if not data_root:
            raise ValueError('KneeXrayDataset needs a data_root')
        if split is not None and ann_file:
            raise ValueError(
                f'split={split!r} applies to the folder layouts only; with '
                f'ann_file={ann_file!r} the CSV lists the images, so leave '
                'split as None')
        if require_gaze_map and not gaze_map_root:
            raise ValueError('require_gaze_map=True needs gaze_map_root')
        self.decoded_cache = self._parse_cache(decoded_cache)
        self.cache = None
        self.splits = self._parse_split(split)
        self.with_label = with_label
        self.gaze_map_root = gaze_map_root or None
        self.gaze_map_suffix = gaze_map_suffix
        self.require_gaze_map = require_gaze_map
        self._backend = get_file_backend(data_root, enable_singleton=True)
        self._map_backend = get_file_backend(
            gaze_map_root, enable_singleton=True) if gaze_map_root else None
        self.extensions = tuple(
            sorted({('.' + e.lower().lstrip('.')) for e in extensions}))
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            pipeline=pipeline,
            lazy_init=lazy_init,
            **kwargs)

    @staticmethod
    def _parse_cache(decoded_cache) -> Optional[dict]:
        if decoded_cache is None:
            return None
        allowed = {'cache_dir', 'max_side', 'max_bytes'}
        if not isinstance(decoded_cache, dict) or \
                'cache_dir' not in decoded_cache or \
                set(decoded_cache) - allowed:
            raise ValueError(
                'decoded_cache must be None or a dict with cache_dir and '
                f'optionally max_side, max_bytes; got {decoded_cache!r}')
        return dict(decoded_cache)

    def full_init(self):
        """Load the data list, then build or open the decoded cache."""
        if self._fully_initialized:
            return
        super().full_init()
        if self.decoded_cache is not None:
            self._install_cache()

    def _install_cache(self):
        from .decoded_cache import DecodedImageCache
        from .transforms import (LoadFromDecodedCache, LoadGazeMap,
                                 LoadXrayFromFile)
        transforms = self.pipeline.transforms
        if not transforms or not isinstance(transforms[0], LoadXrayFromFile):
            raise ValueError(
                'decoded_cache needs a pipeline that starts with '
                f'LoadXrayFromFile; this one starts with '
                f'{type(transforms[0]).__name__ if transforms else "nothing"}')
        n = 2 if len(transforms) > 1 and isinstance(transforms[1],
                                                    LoadGazeMap) else 1
        self.cache = DecodedImageCache.build(
            [self.get_data_info(i) for i in range(len(self))],
            transforms[0], transforms[1] if n == 2 else None,
            **self.decoded_cache)
        transforms[:n] = [LoadFromDecodedCache(
            self.cache, color_type=transforms[0].color_type)]

    @staticmethod
    def _parse_split(split) -> Optional[tuple]:
        if split is None:
            return None
        splits = (split, ) if isinstance(split, str) else tuple(split)
        if not splits or not all(isinstance(s, str) and s for s in splits):
            raise ValueError('split must be a folder name or a non-empty '
                             f'list of folder names, got {split!r}')
        return splits

    def load_data_list(self) -> List[dict]:
        """Collect ``(relative path, grade)`` pairs and build data infos."""
        if not self._backend.isdir(self.data_root):
            raise FileNotFoundError(
                f'data_root {self.data_root} does not exist or is not a '
                'folder')
        if self._map_backend is not None and not self._map_backend.isdir(
                self.gaze_map_root):
            raise FileNotFoundError(
                f'gaze_map_root {self.gaze_map_root} does not exist or is not '
                'a folder')

        if self.ann_file:
            samples = self._samples_from_csv()
        else:
            samples = self._samples_from_folders()

        data_list = []
        for rel_path, grade in samples:
            info = dict(img_path=self._backend.join_path(
                self.data_root, rel_path))
            if self.with_label:
                info['gt_label'] = grade
            if self.gaze_map_root is not None:
                info['gaze_map_path'] = self.gaze_map_path_of(rel_path)
            data_list.append(info)
        return data_list

    def gaze_map_path_of(self, rel_path: str) -> str:
        """Map path of the image at ``rel_path`` (relative to data_root)."""
        return gaze_map_path(rel_path, self.gaze_map_root,
                             self.gaze_map_suffix)

    def _split_folders(self) -> List[str]:
        if self.splits is None:
            return ['']
        for split in self.splits:
            folder = self._backend.join_path(self.data_root, split)
            if not self._backend.isdir(folder):
                existing = sorted(
                    self._backend.list_dir_or_file(
                        self.data_root, list_dir=True, list_file=False))
                raise FileNotFoundError(
                    f'split folder {folder} does not exist; splits found in '
                    f'{self.data_root}: {existing or "none"}')
        return list(self.splits)

    def _list_images(self, rel_dir: str, recursive: bool) -> List[str]:
        """Images below ``data_root/rel_dir``, relative to ``data_root``."""
        folder = self._backend.join_path(self.data_root, rel_dir)
        files = self._backend.list_dir_or_file(
            folder, list_dir=False, list_file=True, recursive=recursive)
        return [
            osp.join(rel_dir, f) for f in files
            if f.lower().endswith(self.extensions)
            and not any(part.startswith('.') for part in f.split(osp.sep))
        ]

    def _samples_from_folders(self) -> List[tuple]:
        samples = []
        split_folders = self._split_folders()
        for rel_split in split_folders:
            if not self.with_label:
                samples += [(p, None)
                            for p in self._list_images(rel_split, True)]
                continue
            split_dir = self._backend.join_path(self.data_root, rel_split)
            loose = self._list_images(rel_split, recursive=False)
            if loose:
                raise ValueError(
                    f'{split_dir} holds images outside grade folders (e.g. '
                    f'{osp.basename(loose[0])}); with_label=True expects '
                    f'grade folders {", ".join(GRADE_FOLDERS)}; use '
                    'with_label=False for a flat folder')
            folders = sorted(
                d for d in self._backend.list_dir_or_file(
                    split_dir, list_dir=True, list_file=False)
                if not d.startswith('.'))
            for folder in folders:
                if folder not in GRADE_FOLDERS:
                    raise ValueError(
                        f'{self._backend.join_path(split_dir, folder)} is not '
                        f'a KL grade folder: expected only folders '
                        f'{", ".join(GRADE_FOLDERS)} in {split_dir}')
                samples += [(p, int(folder)) for p in self._list_images(
                    osp.join(rel_split, folder), recursive=True)]
        if not samples:
            searched = [
                self._backend.join_path(self.data_root, s)
                for s in split_folders
            ]
            where = ('grade folders 0..4 of' if self.with_label else 'all of')
            raise FileNotFoundError(
                f'found no images with extensions {self.extensions} in '
                f'{where} {", ".join(searched)}')
        return sorted(samples)

    def _samples_from_csv(self) -> List[tuple]:
        ann_file = self.ann_file
        if not self._backend.isfile(ann_file):
            raise FileNotFoundError(f'annotation file {ann_file} not found')
        reader = csv.DictReader(
            io.StringIO(self._backend.get_text(ann_file), newline=''))
        header = [(name or '').strip() for name in reader.fieldnames or []]
        reader.fieldnames = header
        required = ['path', 'grade'] if self.with_label else ['path']
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(
                f'{ann_file}: header misses column(s) {missing}; expected '
                f'a header with {",".join(required)}, found {header}')

        samples, first_line = [], {}
        for row in reader:
            line = reader.line_num
            rel_path = (row['path'] or '').strip()
            if not rel_path:
                raise ValueError(f'{ann_file}, line {line}: empty path')
            if osp.isabs(rel_path):
                raise ValueError(
                    f'{ann_file}, line {line}: path {rel_path} must be '
                    f'relative to data_root {self.data_root}')
            if rel_path in first_line:
                raise ValueError(
                    f'{ann_file}, line {line}: {rel_path} is already listed '
                    f'on line {first_line[rel_path]}')
            first_line[rel_path] = line
            grade = None
            if self.with_label:
                grade_text = (row['grade'] or '').strip()
                if grade_text not in GRADE_FOLDERS:
                    raise ValueError(
                        f'{ann_file}, line {line}: unknown grade '
                        f'{grade_text!r} for {rel_path}; expected one of '
                        f'{", ".join(GRADE_FOLDERS)}')
                grade = int(grade_text)
            img_path = self._backend.join_path(self.data_root, rel_path)
            if not self._backend.isfile(img_path):
                raise FileNotFoundError(
                    f'{ann_file}, line {line}: image {img_path} not found')
            samples.append((rel_path, grade))
        if not samples:
            raise FileNotFoundError(f'{ann_file} lists no images')
        return samples

    def filter_data(self) -> List[dict]:
        """Keep only images with a gaze map when ``require_gaze_map``."""
        if not self.require_gaze_map:
            return self.data_list
        kept = [
            info for info in self.data_list
            if self._map_backend.isfile(info['gaze_map_path'])
        ]
        if not kept:
            example = self.data_list[0]
            raise FileNotFoundError(
                f'require_gaze_map=True but none of the '
                f'{len(self.data_list)} images has a map under '
                f'{self.gaze_map_root} (e.g. {example["img_path"]} -> '
                f'{example["gaze_map_path"]})')
        MMLogger.get_current_instance().info(
            f'{type(self).__name__}: kept {len(kept)} of '
            f'{len(self.data_list)} images that have a gaze map in '
            f'{self.gaze_map_root}')
        return kept

    def _check_labeled(self):
        if not self.with_label:
            raise ValueError(
                f'{type(self).__name__} was built with with_label=False and '
                'has no labels')

    def get_gt_labels(self):
        """All KL grades as an int array (labeled datasets only)."""
        self._check_labeled()
        return super().get_gt_labels()

    def get_cat_ids(self, idx: int) -> List[int]:
        """``[grade]`` of image ``idx`` (labeled datasets only)."""
        self._check_labeled()
        return super().get_cat_ids(idx)

    def extra_repr(self) -> List[str]:
        """Layout, labels and gaze-map settings for ``repr``."""
        source = (f'Annotation file: \t{self.ann_file}' if self.ann_file else
                  f'Splits: \t{self.splits}')
        body = [
            f'Root of images: \t{self.data_root}', source,
            f'With labels: \t{self.with_label}'
        ]
        if self.gaze_map_root is not None:
            body.append(f'Gaze maps: \t{self.gaze_map_root}/*'
                        f'{self.gaze_map_suffix} (required: '
                        f'{self.require_gaze_map})')
        if self.cache is not None:
            body.append(f'Decoded cache: \t{self.cache.prefix}.*')
        return body
