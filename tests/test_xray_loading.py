"""LoadXrayFromFile: PNG / TIFF / JPEG / DICOM to uint8 grey or 3-channel."""
import re

import cv2
import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels import get_decoder
from pydicom.sequence import Sequence
from pydicom.uid import (ExplicitVRLittleEndian, JPEG2000Lossless,
                         JPEGLSLossless, SecondaryCaptureImageStorage,
                         generate_uid)

import gca_mm  # noqa: F401
from gca_mm.datasets.transforms import LoadXrayFromFile
from mmpretrain.registry import TRANSFORMS


def load(path, **kwargs):
    kwargs.setdefault('color_type', 'grayscale')
    return LoadXrayFromFile(**kwargs)(dict(img_path=str(path)))


def write_dicom(path, arr, transfer_syntax=ExplicitVRLittleEndian, **attrs):
    """Write a minimal grey DICOM file holding ``arr`` (frames, H, W or H, W)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = transfer_syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = arr.shape[-2:]
    if arr.ndim == 3:
        ds.NumberOfFrames = arr.shape[0]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = arr.dtype.itemsize * 8
    ds.BitsStored = ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0
    for key, value in attrs.items():
        setattr(ds, key, value)
    if transfer_syntax.is_compressed:
        ds.PixelData = encapsulate([b'\x00\x01' * 32])  # not a codestream
    else:
        ds.PixelData = arr.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def ramp16():
    return (np.arange(24 * 32, dtype=np.uint16).reshape(24, 32) * 80 + 300)


def minmax_u8(arr):
    arr = arr.astype(np.float64)
    return np.rint((arr - arr.min()) / (arr.max() - arr.min()) * 255).astype(
        np.uint8)


# --------------------------------------------------------------- PNG / TIFF
def test_8bit_png_passes_unchanged_in_grey_and_color(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (20, 30), np.uint8)
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    grey = load(tmp_path / 'a.png')
    assert grey['img'].dtype == np.uint8
    np.testing.assert_array_equal(grey['img'], img)
    assert grey['img_shape'] == grey['ori_shape'] == (20, 30)
    color = load(tmp_path / 'a.png', color_type='color')['img']
    assert color.shape == (20, 30, 3)
    for c in range(3):
        np.testing.assert_array_equal(color[..., c], img)


def test_16bit_png_minmax_and_shift(tmp_path, ramp16):
    cv2.imwrite(str(tmp_path / 'a.png'), ramp16)
    out = load(tmp_path / 'a.png', to_uint8='minmax')['img']
    np.testing.assert_array_equal(out, minmax_u8(ramp16))
    shifted = load(tmp_path / 'a.png', to_uint8='shift')['img']
    np.testing.assert_array_equal(shifted, (ramp16 >> 8).astype(np.uint8))


def test_16bit_percentile_ignores_outliers(tmp_path):
    rng = np.random.default_rng(1)
    img = rng.integers(1000, 2000, (50, 50)).astype(np.uint16)
    img.flat[:5] = 65535  # 0.2 % bright outliers
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    pct = load(tmp_path / 'a.png')['img']
    mm = load(tmp_path / 'a.png', to_uint8='minmax')['img']
    # min-max squeezes the body into a few grey levels; percentile does not
    assert np.ptp(mm.flat[5:]) < 10
    assert np.ptp(pct.flat[5:]) == 255
    assert (pct.flat[:5] == 255).all()


def test_16bit_tiff(tmp_path, ramp16):
    cv2.imwrite(str(tmp_path / 'a.tif'), ramp16)
    out = load(tmp_path / 'a.tif', to_uint8='minmax')['img']
    np.testing.assert_array_equal(out, minmax_u8(ramp16))


def test_jpeg_grey_and_colour_file(tmp_path):
    img = np.tile(np.arange(0, 256, 8, dtype=np.uint8), (16, 1))
    cv2.imwrite(str(tmp_path / 'g.jpg'), img)
    out = load(tmp_path / 'g.jpg')['img']
    np.testing.assert_array_equal(
        out, cv2.imread(str(tmp_path / 'g.jpg'), cv2.IMREAD_GRAYSCALE))
    bgr = np.stack([img, img // 2, 255 - img], axis=-1)
    cv2.imwrite(str(tmp_path / 'c.jpg'), bgr)
    out = load(tmp_path / 'c.jpg')['img']
    expected = cv2.cvtColor(
        cv2.imread(str(tmp_path / 'c.jpg'), cv2.IMREAD_UNCHANGED),
        cv2.COLOR_BGR2GRAY)
    assert out.shape == (16, 32)
    np.testing.assert_array_equal(out, expected)


def test_constant_16bit_image_gives_zeros(tmp_path):
    cv2.imwrite(str(tmp_path / 'a.png'), np.full((8, 8), 700, np.uint16))
    assert not load(tmp_path / 'a.png')['img'].any()


# -------------------------------------------------------------------- DICOM
def test_dicom_16bit_raw(tmp_path, ramp16):
    path = write_dicom(tmp_path / 'a.dcm', ramp16)
    out = load(path, to_uint8='minmax')['img']
    np.testing.assert_array_equal(out, minmax_u8(ramp16))
    np.testing.assert_array_equal(
        load(path, to_uint8='shift')['img'], (ramp16 >> 8).astype(np.uint8))


def test_dicom_detected_without_extension(tmp_path, ramp16):
    path = write_dicom(tmp_path / '00012', ramp16)
    out = load(path, to_uint8='minmax')['img']
    np.testing.assert_array_equal(out, minmax_u8(ramp16))


def test_dicom_shift_uses_bits_stored(tmp_path):
    arr = np.array([[0, 1024, 4095]], np.uint16)
    path = write_dicom(tmp_path / 'a.dcm', arr, BitsStored=12, HighBit=11)
    out = load(path, to_uint8='shift')['img']
    np.testing.assert_array_equal(out, [[0, 64, 255]])


def test_dicom_monochrome1_is_inverted(tmp_path, ramp16):
    mono2 = load(write_dicom(tmp_path / 'm2.dcm', ramp16))['img']
    mono1 = load(
        write_dicom(
            tmp_path / 'm1.dcm', ramp16,
            PhotometricInterpretation='MONOCHROME1'))['img']
    assert mono2.std() > 0
    np.testing.assert_array_equal(mono1, 255 - mono2)


def test_dicom_8bit_passes_unchanged(tmp_path):
    arr = np.random.default_rng(2).integers(0, 256, (12, 9), np.uint8)
    out = load(write_dicom(tmp_path / 'a.dcm', arr))['img']
    np.testing.assert_array_equal(out, arr)


def test_dicom_rescale_is_applied_before_window(tmp_path):
    stored = np.array([[0, 400, 450, 500, 550, 600, 1000]], np.uint16)
    path = write_dicom(
        tmp_path / 'a.dcm', stored, RescaleSlope=2, RescaleIntercept=-1000,
        WindowCenter=0, WindowWidth=200, VOILUTFunction='LINEAR_EXACT')
    out = load(path, to_uint8='window')['img']
    values = stored * 2.0 - 1000  # -1000, -200, -100, 0, 100, 200, 1000
    expected = np.rint(np.clip((values - 0) / 200 + 0.5, 0, 1) * 255)
    np.testing.assert_array_equal(out, expected.astype(np.uint8))
    np.testing.assert_array_equal(out, [[0, 0, 0, 128, 255, 255, 255]])


def test_dicom_window_centre_width(tmp_path, ramp16):
    centre, width = float(np.median(ramp16)), 600.0
    path = write_dicom(tmp_path / 'a.dcm', ramp16, WindowCenter=centre,
                       WindowWidth=width)
    for mode in ('window', 'percentile'):
        out = load(path, to_uint8=mode)['img']
        assert (out[ramp16 < centre - width / 2] == 0).all(), mode
        assert (out[ramp16 > centre + width / 2] == 255).all(), mode
    # without the window the whole range is used
    raw = load(path, use_voi=False, to_uint8='minmax')['img']
    np.testing.assert_array_equal(raw, minmax_u8(ramp16))


def test_dicom_voi_lut_sequence(tmp_path):
    arr = np.arange(256, dtype=np.uint16).reshape(16, 16)
    lut = (np.arange(256)[::-1] * 257).astype(np.uint16)  # inverting LUT
    item = Dataset()
    item.add_new('LUTDescriptor', 'US', [256, 0, 16])
    item.add_new('LUTData', 'US', lut.tolist())
    path = write_dicom(tmp_path / 'a.dcm', arr,
                       VOILUTSequence=Sequence([item]))
    out = load(path, to_uint8='window')['img']
    np.testing.assert_array_equal(out, (255 - arr).astype(np.uint8))


def test_dicom_multi_frame(tmp_path, ramp16):
    frames = np.stack([ramp16, ramp16[::-1]])
    path = write_dicom(tmp_path / 'mf.dcm', frames)
    with pytest.raises(ValueError, match=re.escape(str(path)) + '.*2 frames'):
        load(path)
    out = load(path, multi_frame='first', to_uint8='minmax')['img']
    np.testing.assert_array_equal(out, minmax_u8(ramp16))


def test_dicom_without_decoder_names_transfer_syntax(tmp_path, ramp16):
    if get_decoder(JPEGLSLossless).is_available:
        pytest.skip('a JPEG-LS decoder is installed here')
    path = write_dicom(tmp_path / 'ls.dcm', ramp16,
                       transfer_syntax=JPEGLSLossless)
    with pytest.raises(RuntimeError) as err:
        load(path)
    msg = str(err.value)
    assert str(path) in msg and JPEGLSLossless in msg
    assert 'JPEG-LS Lossless Image Compression' in msg


def test_dicom_undecodable_jpeg2000_names_file_and_syntax(tmp_path, ramp16):
    path = write_dicom(tmp_path / 'j2k.dcm', ramp16,
                       transfer_syntax=JPEG2000Lossless)
    # RuntimeError without a JPEG 2000 decoder, OSError when one fails
    with pytest.raises((OSError, RuntimeError)) as err:
        load(path)
    msg = str(err.value)
    assert str(path) in msg
    assert JPEG2000Lossless in msg and JPEG2000Lossless.name in msg


# ------------------------------------------------------------------- errors
def test_truncated_dicom_names_file(tmp_path, ramp16):
    data = write_dicom(tmp_path / 'a.dcm', ramp16).read_bytes()
    path = tmp_path / 'cut.dcm'
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(OSError, match=re.escape(str(path))):
        load(path)


def test_corrupt_and_truncated_png_name_file(tmp_path):
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'\x89PNG\r\n\x1a\n not really a png')
    with pytest.raises(OSError, match=re.escape(str(bad))):
        load(bad)
    cv2.imwrite(str(tmp_path / 'ok.png'),
                np.random.default_rng(3).integers(0, 256, (64, 64), np.uint8))
    cut = tmp_path / 'cut.png'
    cut.write_bytes((tmp_path / 'ok.png').read_bytes()[:200])
    with pytest.raises(OSError, match=re.escape(str(cut))):
        load(cut)


def test_ignore_empty(tmp_path):
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'garbage')
    (tmp_path / 'empty.png').write_bytes(b'')
    for name in ('bad.png', 'empty.png', 'missing.png'):
        assert load(tmp_path / name, ignore_empty=True) is None
    with pytest.raises(OSError, match='empty.png'):
        load(tmp_path / 'empty.png')
    with pytest.raises(FileNotFoundError, match='missing.png'):
        load(tmp_path / 'missing.png')


def test_window_mode_needs_a_dicom_window(tmp_path, ramp16):
    cv2.imwrite(str(tmp_path / 'a.png'), ramp16)
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / 'a.png'))):
        load(tmp_path / 'a.png', to_uint8='window')


def test_shift_rejects_rescaled_values(tmp_path, ramp16):
    path = write_dicom(tmp_path / 'a.dcm', ramp16, RescaleSlope=2,
                       RescaleIntercept=-10)
    with pytest.raises(ValueError, match=re.escape(str(path))):
        load(path, to_uint8='shift')


@pytest.mark.parametrize('kwargs, match', [
    (dict(color_type='rgb'), 'color_type'),
    (dict(to_uint8='clip'), 'to_uint8'),
    (dict(percentiles=(99, 1)), 'percentiles'),
    (dict(to_uint8='window', use_voi=False), 'use_voi'),
    (dict(multi_frame='all'), 'multi_frame'),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LoadXrayFromFile(**kwargs)


def test_build_from_registry_and_repr():
    t = TRANSFORMS.build(
        dict(type='LoadXrayFromFile', to_uint8='minmax', use_voi=False))
    assert isinstance(t, LoadXrayFromFile)
    assert repr(t) == (
        "LoadXrayFromFile(color_type='color', to_uint8='minmax', "
        "percentiles=(0.5, 99.5), use_voi=False, multi_frame='error', "
        'ignore_empty=False, backend_args=None)')
