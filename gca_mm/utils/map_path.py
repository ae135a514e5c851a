"""Image path -> attention-map path: the one rule, used by
``KneeXrayDataset``, ``LoadGazeMap`` and the heat-map writers."""
import os.path as osp
import posixpath


def gaze_map_path(img_path, gaze_map_root, suffix='.png', data_root=None,
                  root_name='data_root'):
    """Path of the attention map of an image: the map tree mirrors the image
    tree, ``<gaze_map_root>/<img_path relative to data_root>`` with the
    extension replaced by ``suffix``.

    Args:
        img_path (str): the image, relative to ``data_root`` (or, with
            ``data_root``, a path below it).
        gaze_map_root (str): root of the map tree (a local folder or a URL
            such as ``s3://bucket/maps``).
        suffix (str): the map's extension, e.g. '.png' or '.npy'.
        data_root (str, optional): the root the image tree starts at; None
            when ``img_path`` is already relative to it.
        root_name (str): how the error names ``data_root``.

    Raises:
        ValueError: if the image does not lie below ``data_root`` (or is
            absolute or escapes with ``..`` when ``data_root`` is None): its
            map would fall outside ``gaze_map_root``.
    """
    img_path = str(img_path)
    if data_root:
        rel = osp.relpath(img_path, data_root)
        where = f'below {root_name} {data_root!r}'
    else:
        rel = img_path
        where = 'a relative path inside the image root'
    rel = osp.normpath(rel)
    if osp.isabs(rel) or rel == '..' or rel.startswith('..' + osp.sep):
        raise ValueError(f'image {img_path!r} is not {where}; its map would '
                         f'fall outside {gaze_map_root!r} (the map tree '
                         'mirrors the image tree)')
    name = osp.splitext(rel)[0] + suffix
    if '://' in str(gaze_map_root):  # URLs join with '/'
        return posixpath.join(str(gaze_map_root), name.replace(osp.sep, '/'))
    return osp.join(gaze_map_root, name)


__all__ = ['gaze_map_path']
