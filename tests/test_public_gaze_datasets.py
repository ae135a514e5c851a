"""REFLACX and EGD-CXR as they are downloaded: small trees in the
distributed layouts, turned into maps by tools/gaze_to_heatmaps.py as a user
runs it, and REFLACX's reference heat-map definition."""
import importlib.util
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from gca_mm.gaze import (DicomIdIndex, ScreenGeometry, load_heatmap,
                         read_egd_cxr, read_egd_master_sheet,
                         read_reflacx, read_reflacx_dataset,
                         render_fixation_map)
from runner_utils import REPO

TOOL = osp.join(REPO, 'tools', 'gaze_to_heatmaps.py')
FIX_HEADER = ('timestamp_start_fixation,timestamp_end_fixation,x_position,'
              'y_position,pupil_area_normalized,'
              'angular_resolution_x_pixels_per_degree,'
              'angular_resolution_y_pixels_per_degree,window_width,'
              'window_level,xmin_shown_from_image,ymin_shown_from_image,'
              'xmax_shown_from_image,ymax_shown_from_image')
GAZE_HEADER = ('timestamp_sample,x_position,y_position,'
               'pupil_area_normalized,'
               'angular_resolution_x_pixels_per_degree,'
               'angular_resolution_y_pixels_per_degree,window_width,'
               'window_level,xmin_shown_from_image,ymin_shown_from_image,'
               'xmax_shown_from_image,ymax_shown_from_image')
META_HEADER = ('id,split,eye_tracking_data_discarded,image,dicom_id,'
               'subject_id,image_size_x,image_size_y')
W, H = 48, 40
MIMIC = 'files/p10/p10000001/s50000001'


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def write_image(path, h, w):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((h, w), 128, np.uint8))


def load_tool():
    spec = importlib.util.spec_from_file_location('gaze_to_heatmaps', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(*args):
    """The tool as a user runs it: a fresh Python process."""
    proc = subprocess.run([sys.executable, TOOL, *map(str, args)],
                          cwd=REPO,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout
    return proc.stdout


def reference_heatmap(rows, size_x, size_y):
    """REFLACX's reference map of one reading, written from its definition
    on purpose without the library's code: per fixation a 2-D normal pdf
    (sigma = 1 degree: the row's pixels per degree, per axis) evaluated at
    every integer pixel of the shown rectangle (each bound rounded), zero
    elsewhere, weighted by the fixation's duration; the sum normalised to
    sum 1."""
    stats = pytest.importorskip('scipy.stats')
    img = np.zeros((size_y, size_x))
    for r in rows:
        xmin, ymin, xmax, ymax = (int(round(r[k]))
                                  for k in ('xmin', 'ymin', 'xmax', 'ymax'))
        yy, xx = np.mgrid[ymin:ymax, xmin:xmax]
        pos = np.stack([yy, xx], axis=-1).astype(np.float64)
        pdf = stats.multivariate_normal([r['y'], r['x']],
                                        [r['ppd_y']**2, r['ppd_x']**2])
        g = np.zeros((size_y, size_x))
        g[ymin:ymax, xmin:xmax] = pdf.pdf(pos)
        img += g * (r['t1'] - r['t0'])
    return img / img.sum()


def fixation_csv(rows):
    lines = [FIX_HEADER]
    for r in rows:
        lines.append(','.join(
            str(v) for v in (r['t0'], r['t1'], r['x'], r['y'], 0.1,
                             r['ppd_x'], r['ppd_y'], 1, 0.5, r['xmin'],
                             r['ymin'], r['xmax'], r['ymax'])))
    return '\n'.join(lines) + '\n'


def fixation(t0, t1, x, y, ppd_x, ppd_y, shown=(0, 0, W, H)):
    xmin, ymin, xmax, ymax = shown
    return dict(t0=t0, t1=t1, x=x, y=y, ppd_x=ppd_x, ppd_y=ppd_y, xmin=xmin,
                ymin=ymin, xmax=xmax, ymax=ymax)


READING_A = [
    fixation(0.10, 0.35, 10.3, 12.7, 4.0, 5.0),
    # zoomed in: a smaller shown rectangle (non-integer bounds are rounded)
    # and more pixels per degree
    fixation(0.40, 1.10, 30.0, 20.5, 6.5, 6.0, (14.6, 8.2, 44.5, 37.7)),
    # off the image: the part of its Gaussian on the image counts
    fixation(1.20, 1.30, 49.5, 3.0, 4.0, 4.0),
]
READING_B = [
    fixation(0.0, 0.6, 25.0, 30.0, 4.5, 4.5),
    fixation(0.7, 0.9, 5.0, 5.0, 4.5, 4.5),
]


def reading(tmp_path, rows, name='P1'):
    path = write(tmp_path / name / 'fixations.csv', fixation_csv(rows))
    return read_reflacx(path, image='img')


REFERENCE = dict(
    sigma_deg=1.0, duration_weighting=True, method='pdf', use_shown=True)


def test_reference_definition_is_reproduced_exactly(tmp_path):
    ours = render_fixation_map(
        reading(tmp_path, READING_A), (H, W), **REFERENCE)
    ref = reference_heatmap(READING_A, W, H)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-15)
    assert ours.sum() == pytest.approx(1.0)
    # one zoomed-in fixation: zero outside round(14.6, 8.2, 44.5, 37.7)
    # = (15, 8, 44, 38); 44.5 rounds to even like Python's round()
    z = render_fixation_map(
        reading(tmp_path, READING_A[1:2], 'P2'), (H, W), **REFERENCE)
    assert z[:8].sum() == 0 and z[38:].sum() == 0
    assert z[:, :15].sum() == 0 and z[:, 44:].sum() == 0
    assert z[8:38, 15:44].min() > 0


def test_blur_renders_the_same_definition_closely(tmp_path):
    rows = [dict(r, x=min(r['x'], W - 1)) for r in READING_A]
    table = reading(tmp_path, rows)
    exact = render_fixation_map(table, (H, W), **REFERENCE)
    blur = render_fixation_map(table, (H, W), **dict(REFERENCE,
                                                     method='blur'))
    assert np.abs(exact - blur).sum() < 0.05  # total variation x 2
    with pytest.raises(ValueError, match="method='pdf'"):
        render_fixation_map(
            reading(tmp_path, READING_A, 'P3'), (H, W),
            **dict(REFERENCE, method='blur'))


# ------------------------------------------------------- REFLACX download


def reflacx_download(root, image_size=(H, W)):
    """A REFLACX download with a discarded reading, two readings of one
    image, a reading of an image the user does not have, and the user's
    MIMIC-CXR-JPG tree."""
    data = root / 'reflacx-xray-localization-1.0.0'
    main = data / 'main_data'
    mimic = 'physionet.org/files/mimic-cxr/2.0.0/' + MIMIC
    write(
        main / 'metadata_phase_1.csv', META_HEADER + '\n'
        f'P101R000001,train,False,{mimic}/aaa.dcm,aaa,10000001,{W},{H}\n'
        f'P101R000002,train,True,{mimic}/bbb.dcm,bbb,10000001,{W},{H}\n')
    write(
        main / 'metadata_phase_2.csv', META_HEADER + '\n'
        f'P102R000003,test,False,{mimic}/aaa.dcm,aaa,10000001,{W},{H}\n'
        f'P102R000004,test,False,{mimic}/ccc.dcm,ccc,10000002,{W},{H}\n')
    for rid, rows in (('P101R000001', READING_A), ('P102R000003',
                                                   READING_B)):
        write(main / rid / 'fixations.csv', fixation_csv(rows))
        write(main / rid / 'chest_bounding_box.csv', 'xmin,ymin\n0,0\n')
        gaze = [GAZE_HEADER]
        for i, r in enumerate(rows):
            gaze.append(f'{0.001 * (2 * i)},{min(r["x"], W - 1)},{r["y"]},'
                        f'0.1,{r["ppd_x"]},{r["ppd_y"]},1,0.5,0,0,{W},{H}')
            gaze.append(f'{0.001 * (2 * i + 1)},,,,,,,,,,,')  # a blink
        write(data / 'gaze_data' / rid / 'gaze.csv', '\n'.join(gaze) + '\n')
    write(main / 'P102R000004' / 'fixations.csv', fixation_csv(READING_B))
    images = root / 'mimic-cxr-jpg'
    write_image(images / MIMIC / 'aaa.jpg', *image_size)
    write_image(images / 'files/p10/p10000009/s50000009/other.jpg', 8, 8)
    return data, images


def test_reflacx_download_to_maps_with_the_reference_defaults(tmp_path):
    data, images = reflacx_download(tmp_path)
    out = tmp_path / 'maps'
    log = run_tool(data, '--format', 'reflacx', '--images', images, '--out',
                   out, '--suffix', '.npy', '--normalize', 'sum')
    assert 'readers: 2' in log and 'discarded readings: 1' in log
    assert 'without an image: 1' in log
    (written, ) = [p.relative_to(out) for p in out.rglob('*.npy')]
    assert str(written) == f'{MIMIC}/aaa.npy'  # mirrors the image tree
    m = np.load(out / written)
    # two readings of one image are two readers: their reference maps,
    # averaged
    ref = (reference_heatmap(READING_A, W, H) +
           reference_heatmap(READING_B, W, H)) / 2
    np.testing.assert_allclose(m, ref, rtol=2e-6, atol=1e-9)
    # main_data itself works as well
    t = read_reflacx_dataset(str(data / 'main_data'), str(images))
    assert t.readers() == ['P101R000001', 'P102R000003']
    assert t.images() == [f'{MIMIC}/aaa.jpg']
    assert (t.n_discarded, t.n_unmatched) == (1, 1)


def test_reflacx_raw_gaze_and_mapping_csv(tmp_path):
    data, images = reflacx_download(tmp_path)
    mapping = write(tmp_path / 'map.csv',
                    f'dicom_id,image\naaa,{MIMIC}/aaa.jpg\n')
    out = tmp_path / 'gaze_maps'
    load_tool().main([
        str(data), '--format', 'reflacx', '--images',
        str(images), '--out',
        str(out), '--reflacx-source', 'gaze', '--image-map', mapping
    ])
    m = load_heatmap(str(out / MIMIC / 'aaa.png'))
    assert m.shape == (H, W) and m.max() == pytest.approx(1.0)
    t = read_reflacx_dataset(
        str(data), str(images), source='gaze', outside='drop')
    assert (len(t), t.n_invalid) == (5, 5)  # one blink per sample
    assert t.duration_ms.tolist() == [1.0] * 5


def test_reflacx_single_reading_with_image_argument(tmp_path):
    data, images = reflacx_download(tmp_path)
    out = tmp_path / 'one'
    load_tool().main([
        str(data / 'main_data' / 'P101R000001' / 'fixations.csv'),
        '--format', 'reflacx', '--images',
        str(images), '--image', f'{MIMIC}/aaa.jpg', '--out',
        str(out), '--suffix', '.npy', '--normalize', 'sum'
    ])
    np.testing.assert_allclose(
        np.load(out / MIMIC / 'aaa.npy'),
        reference_heatmap(READING_A, W, H),
        rtol=2e-6,
        atol=1e-9)


def test_reflacx_errors_name_what_is_wrong(tmp_path):
    data, images = reflacx_download(tmp_path / 'a', (H // 2, W // 2))
    with pytest.raises(
            ValueError,
            match=r"metadata_phase_1\.csv:2: reading 'P101R000001'.* is "
            r'24x20 px .* image_size_x=48, image_size_y=40'):
        read_reflacx_dataset(str(data), str(images))
    data, images = reflacx_download(tmp_path / 'b')
    with pytest.raises(ValueError, match='none of the 4 readings'):
        read_reflacx_dataset(str(data), str(data))  # no images there
    (data / 'main_data' / 'P102R000003' / 'fixations.csv').unlink()
    with pytest.raises(
            FileNotFoundError,
            match='P102R000003.*not flagged eye_tracking_data_discarded'):
        read_reflacx_dataset(str(data), str(images))
    with pytest.raises(FileNotFoundError, match='not a REFLACX download'):
        read_reflacx_dataset(str(images), str(images))


def test_dicom_id_index_finds_nested_images_and_refuses_duplicates(tmp_path):
    write_image(tmp_path / 'files/p1/p100/s5/x1.png', 4, 4)
    write_image(tmp_path / 'flat/x2.jpg', 4, 4)
    write_image(tmp_path / 'a/dup.png', 4, 4)
    write_image(tmp_path / 'b/dup.jpg', 4, 4)
    index = DicomIdIndex(str(tmp_path))
    assert index['x1'] == 'files/p1/p100/s5/x1.png'
    assert index['x2'] == 'flat/x2.jpg' and 'x3' not in index
    with pytest.raises(ValueError, match='a/dup.png, b/dup.jpg'):
        index['dup']
    with pytest.raises(KeyError, match="no image named 'x3'"):
        index['x3']


# ------------------------------------------------------ EGD-CXR download

EGD_HEADER = ('SESSION_ID,MEDIA_ID,DICOM_ID,CNT,TIME(in secs),FPOGX,FPOGY,'
              'FPOGS,FPOGD,FPOGID,FPOGV')


def egd_download(root, pad_suffix=''):
    """EGD-CXR's fixations.csv (all images and a calibration screen in one
    file) and master_sheet.csv, and the user's MIMIC-CXR tree.

    Image d1 (h=100, w=200) was shown at x 60..1860, y 90..990 of the
    1920x1080 screen (9 screen px per image px); d2 (h=90, w=60) at
    x 690..1230, y 135..945."""
    egd = root / 'egd-cxr-1.0.0'
    sfx = pad_suffix
    write(
        egd / 'master_sheet.csv',
        f'dicom_id,path,study_id,image_top{sfx},image_bottom{sfx},'
        f'image_left{sfx},image_right{sfx}\n'
        'd1,files/p10/p10000001/s50000001/d1.dcm,50000001,90,90,60,60\n'
        'd2,files/p10/p10000002/s50000002/d2.dcm,50000002,135,135,690,690\n')

    def frac(screen_x, screen_y):
        return f'{screen_x / 1920!r},{screen_y / 1080!r}'

    write(
        egd / 'fixations.csv', EGD_HEADER + '\n'
        f'1,1,calib,1,0.1,{frac(960, 540)},0.0,0.3,1,1\n'
        # d1 pixel (x=20, y=30): screen 60 + 9 * 20.5, 90 + 9 * 30.5
        f'1,2,d1,1,0.5,{frac(60 + 9 * 20.5, 90 + 9 * 30.5)},0.4,0.3,1,1\n'
        f'1,2,d1,2,0.9,{frac(960, 540)},0.7,0.3,2,0\n'  # invalid
        # d2 pixel (x=40, y=10)
        f'1,3,d2,1,1.3,{frac(690 + 9 * 40.5, 135 + 9 * 10.5)},1.1,0.2,3,'
        '1\n')
    images = root / 'mimic'
    write_image(images / 'files/p10/p10000001/s50000001/d1.jpg', 100, 200)
    write_image(images / 'files/p10/p10000002/s50000002/d2.jpg', 90, 60)
    return egd, images


@pytest.mark.parametrize('pad_suffix', ['', '_pad'])
def test_egd_cxr_file_as_shipped_uses_the_published_geometry(
        tmp_path, pad_suffix):
    egd, images = egd_download(tmp_path, pad_suffix)
    t = read_egd_cxr(
        str(egd / 'fixations.csv'),
        image_sizes={
            'files/p10/p10000001/s50000001/d1.jpg': (100, 200),
            'files/p10/p10000002/s50000002/d2.jpg': (90, 60)
        },
        image_ids=DicomIdIndex(str(images)))
    assert (len(t), t.n_invalid, t.n_unmatched) == (2, 1, 1)  # calib
    np.testing.assert_allclose(t.x, [20.0, 40.0], atol=1e-9)
    np.testing.assert_allclose(t.y, [30.0, 10.0], atol=1e-9)
    geo = read_egd_master_sheet(str(egd / 'master_sheet.csv'))
    assert geo['d2'] == ScreenGeometry((1920, 1080), (690, 135, 1230, 945))


def test_egd_cxr_download_to_maps(tmp_path):
    egd, images = egd_download(tmp_path)
    out = tmp_path / 'maps'
    log = run_tool(egd / 'fixations.csv', '--format', 'egd-cxr', '--images',
                   images, '--out', out, '--sigma-px', 2)
    assert 'fixations: 2' in log and 'invalid: 1' in log
    assert 'without an image: 1' in log
    d1 = load_heatmap(str(out / 'files/p10/p10000001/s50000001/d1.png'))
    d2 = load_heatmap(str(out / 'files/p10/p10000002/s50000002/d2.png'))
    assert np.unravel_index(d1.argmax(), d1.shape) == (30, 20)
    assert np.unravel_index(d2.argmax(), d2.shape) == (10, 40)
    # without the master sheet the tool says where the geometry comes from
    (egd / 'master_sheet.csv').unlink()
    with pytest.raises(FileNotFoundError, match='master_sheet.csv'):
        load_tool().main([
            str(egd / 'fixations.csv'), '--format', 'egd-cxr', '--images',
            str(images), '--out',
            str(out)
        ])
