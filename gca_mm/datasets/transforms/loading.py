"""Loading of X-ray images (8/16-bit PNG and TIFF, JPEG, DICOM) as uint8."""
import io
import os.path as osp
from typing import NamedTuple, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import pydicom
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmpretrain.registry import TRANSFORMS
from pydicom.pixels import (apply_modality_lut, apply_voi_lut,
                            apply_windowing, get_decoder, pixel_array)

DICOM_EXTENSIONS = ('.dcm', '.dicom')


class _Pixels(NamedTuple):
    """Decoded grey values and what the uint8 conversion needs to know."""
    array: np.ndarray
    # Significant bits of unsigned integer data as stored (None once a
    # modality LUT / rescale or VOI transform has changed the values).
    bits: Optional[int]
    # Output range of the DICOM VOI LUT / window that was applied, if any.
    voi_range: Optional[Tuple[float, float]]
    monochrome1: bool


@TRANSFORMS.register_module()
class LoadXrayFromFile(BaseTransform):
    """Load an X-ray image as a uint8 grey image.

    Reads ``img_path`` through :func:`mmengine.fileio.get`, so every file
    backend works. PNG, TIFF (8 or 16 bit) and JPEG are decoded with OpenCV
    unchanged; colour files are converted to grey. DICOM (detected by the
    ``DICM`` magic or a ``.dcm``/``.dicom`` extension) is decoded with
    pydicom: the modality LUT or rescale slope/intercept is applied, then,
    with ``use_voi``, the VOI LUT or window centre/width when the file has
    one; MONOCHROME1 images are inverted so bone is bright.

    Values that are not uint8 already are converted by ``to_uint8``:

    - ``'percentile'``: clip to the ``percentiles`` of the image, stretch
      linearly to 0..255.
    - ``'minmax'``: stretch the image's minimum..maximum to 0..255.
    - ``'window'``: map the output range of the DICOM VOI LUT / window to
      0..255; a file without one raises ``ValueError``.
    - ``'shift'``: keep the 8 most significant bits of unsigned 16-bit data
      (``>> 8``; for DICOM ``>> (BitsStored - 8)``). Data changed by a
      rescale or VOI transform is rejected; use ``use_voi=False``.

    A constant image becomes all zeros under 'percentile' and 'minmax'.

    Required Keys:

    - img_path

    Modified Keys:

    - img
    - img_shape
    - ori_shape

    Args:
        color_type (str): ``'color'`` gives HxWx3 (grey replicated, what stock
            mmpretrain models expect), ``'grayscale'`` gives HxW.
            Defaults to 'color'.
        to_uint8 (str): ``'percentile'``, ``'minmax'``, ``'window'`` or
            ``'shift'``, see above. Defaults to 'percentile'.
        percentiles (Sequence[float]): Lower and upper percentile for
            ``'percentile'``. Defaults to (0.5, 99.5).
        use_voi (bool): Apply a DICOM VOI LUT / window when present.
            Defaults to True.
        multi_frame (str): For a multi-frame DICOM, ``'error'`` raises
            ``ValueError`` and ``'first'`` loads the first frame.
            Defaults to 'error'.
        ignore_empty (bool): Return None instead of raising when the file is
            missing, empty or corrupt. Defaults to False.
        backend_args (dict, optional): Arguments of the file backend, see
            :func:`mmengine.fileio.get`. Defaults to None.
    """

    def __init__(self,
                 color_type: str = 'color',
                 to_uint8: str = 'percentile',
                 percentiles: Sequence[float] = (0.5, 99.5),
                 use_voi: bool = True,
                 multi_frame: str = 'error',
                 ignore_empty: bool = False,
                 backend_args: Optional[dict] = None):
        if color_type not in ('color', 'grayscale'):
            raise ValueError("color_type must be 'color' or 'grayscale', "
                             f'got {color_type!r}')
        if to_uint8 not in ('percentile', 'minmax', 'window', 'shift'):
            raise ValueError("to_uint8 must be 'percentile', 'minmax', "
                             f"'window' or 'shift', got {to_uint8!r}")
        percentiles = tuple(float(p) for p in percentiles)
        if len(percentiles) != 2 or not (0 <= percentiles[0] <
                                         percentiles[1] <= 100):
            raise ValueError('percentiles must be (low, high) with '
                             f'0 <= low < high <= 100, got {percentiles}')
        if to_uint8 == 'window' and not use_voi:
            raise ValueError("to_uint8='window' needs use_voi=True")
        if multi_frame not in ('error', 'first'):
            raise ValueError("multi_frame must be 'error' or 'first', got "
                             f'{multi_frame!r}')
        self.color_type = color_type
        self.to_uint8 = to_uint8
        self.percentiles = percentiles
        self.use_voi = use_voi
        self.multi_frame = multi_frame
        self.ignore_empty = ignore_empty
        self.backend_args = None if backend_args is None else dict(
            backend_args)

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']`` into ``results['img']``."""
        filename = results['img_path']
        try:
            data = fileio.get(filename, backend_args=self.backend_args)
            if not data:
                raise OSError(f'image file {filename} is empty')
            if self._is_dicom(filename, data):
                pixels = self._decode_dicom(data, filename)
            else:
                pixels = self._decode_image(data, filename)
        except OSError:
            if self.ignore_empty:
                return None
            raise
        img = self._convert_to_uint8(pixels, filename)
        if pixels.monochrome1:
            img = 255 - img
        if self.color_type == 'color':
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    @staticmethod
    def _is_dicom(filename: str, data: bytes) -> bool:
        return (data[128:132] == b'DICM'
                or osp.splitext(str(filename))[1].lower() in DICOM_EXTENSIONS)

    @staticmethod
    def _decode_image(data: bytes, filename: str) -> _Pixels:
        try:
            img = mmcv.imfrombytes(data, flag='unchanged', backend='cv2')
        except cv2.error as e:
            raise OSError(f'failed to decode image file {filename}: {e}')
        if img is None:
            raise OSError(f'failed to decode image file {filename}: not a '
                          'readable PNG, TIFF or JPEG (corrupt or truncated?)')
        if img.ndim == 3 and img.shape[2] == 1:
            img = img[..., 0]
        elif img.ndim == 3 and img.shape[2] in (3, 4):
            code = (cv2.COLOR_BGR2GRAY
                    if img.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
            img = cv2.cvtColor(img, code)
        elif img.ndim != 2:
            raise ValueError(f'image file {filename} has shape {img.shape}; '
                             'expected a grey or colour image')
        bits = 16 if img.dtype == np.uint16 else None
        return _Pixels(img, bits, None, False)

    def _decode_dicom(self, data: bytes, filename: str) -> _Pixels:
        try:
            ds = pydicom.dcmread(io.BytesIO(data))
        except Exception as e:
            raise OSError(f'failed to read DICOM file {filename}: {e}') from e
        if 'PixelData' not in ds:
            raise OSError(f'DICOM file {filename} has no pixel data '
                          '(7FE0,0010)')
        tsyntax = ds.file_meta.get('TransferSyntaxUID')
        if tsyntax is None:
            raise OSError(f'DICOM file {filename} has no transfer syntax '
                          '(0002,0010) in its file meta information')
        syntax = f'transfer syntax {tsyntax} ({tsyntax.name})'
        try:
            decoder = get_decoder(tsyntax)
        except NotImplementedError as e:
            raise RuntimeError(f'cannot decode DICOM file {filename}: pydicom '
                               f'does not support {syntax}') from e
        if not decoder.is_available:
            raise RuntimeError(
                f'cannot decode DICOM file {filename}: no decoder for '
                f'{syntax} is installed; any of these provides one: '
                f'{"; ".join(decoder.missing_dependencies)}')

        samples = int(ds.get('SamplesPerPixel', 1))
        photometric = str(ds.get('PhotometricInterpretation', ''))
        if samples != 1 or photometric not in ('MONOCHROME1', 'MONOCHROME2'):
            raise ValueError(
                f'DICOM file {filename} has {samples} samples per pixel and '
                f'photometric interpretation {photometric!r}; expected a '
                'MONOCHROME1/MONOCHROME2 grey image')
        frames = int(ds.get('NumberOfFrames', 1) or 1)
        if frames > 1 and self.multi_frame == 'error':
            raise ValueError(
                f'DICOM file {filename} has {frames} frames; set '
                "multi_frame='first' to load the first one")
        try:
            arr = pixel_array(ds, index=0)
        except Exception as e:
            raise OSError(f'failed to decode the pixel data of DICOM file '
                          f'{filename} ({syntax}): {e}') from e

        bits = (int(ds.get('BitsStored', 8 * arr.itemsize))
                if arr.dtype.kind == 'u' else None)
        slope = float(ds.get('RescaleSlope', 1) or 1)
        intercept = float(ds.get('RescaleIntercept', 0) or 0)
        if ds.get('ModalityLUTSequence') or (slope, intercept) != (1, 0):
            arr = apply_modality_lut(arr, ds)
            bits = None
        voi_range = None
        if self.use_voi:
            voi_range = self._voi_output_range(ds)
            if voi_range is not None:
                arr = apply_voi_lut(arr, ds)
                bits = None
        return _Pixels(arr, bits, voi_range, photometric == 'MONOCHROME1')

    @staticmethod
    def _voi_output_range(ds) -> Optional[Tuple[float, float]]:
        """Output range of the transform ``apply_voi_lut`` would apply."""
        lut = ds.get('VOILUTSequence')
        if lut and None not in (lut[0].get('LUTDescriptor'),
                                lut[0].get('LUTData')):
            return 0.0, float(2**int(lut[0].LUTDescriptor[2]) - 1)
        if None in (ds.get('WindowCenter'), ds.get('WindowWidth')):
            return None
        # A window sends everything below / above it to the two ends of its
        # output range, which depends on bits stored, signedness and rescale.
        low, high = sorted(apply_windowing(np.array([-np.inf, np.inf]), ds))
        return float(low), float(high)

    def _convert_to_uint8(self, pixels: _Pixels, filename: str) -> np.ndarray:
        arr = pixels.array
        if arr.dtype == np.uint8:
            return arr
        if self.to_uint8 == 'shift':
            if pixels.bits is None:
                raise ValueError(
                    f"to_uint8='shift' needs unsigned 16-bit stored values, "
                    f'but {filename} gives {arr.dtype} data after decoding '
                    '(and any rescale / VOI transform); use '
                    "to_uint8='percentile' or 'minmax', or use_voi=False")
            return (arr >> max(pixels.bits - 8, 0)).astype(np.uint8)
        if self.to_uint8 == 'window':
            if pixels.voi_range is None:
                raise ValueError(
                    f"to_uint8='window' needs a DICOM VOI LUT or window "
                    f'centre/width, but {filename} has none')
            low, high = pixels.voi_range
        elif self.to_uint8 == 'minmax':
            low, high = float(arr.min()), float(arr.max())
        else:
            low, high = np.percentile(arr, self.percentiles)
        if high <= low:
            return np.zeros(arr.shape, np.uint8)
        scaled = (arr.astype(np.float64) - low) * (255.0 / (high - low))
        return np.rint(np.clip(scaled, 0, 255)).astype(np.uint8)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f"color_type='{self.color_type}', "
                f"to_uint8='{self.to_uint8}', "
                f'percentiles={self.percentiles}, '
                f'use_voi={self.use_voi}, '
                f"multi_frame='{self.multi_frame}', "
                f'ignore_empty={self.ignore_empty}, '
                f'backend_args={self.backend_args})')
