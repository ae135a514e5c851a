import cv2
import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from gca_mm.gaze import (FixationTable, ImageSizes, ScreenGeometry,
                         apply_outside_policy, read_egd_cxr, read_fixations,
                         read_generic, read_reflacx, read_reflacx_gaze,
                         read_toolkit_log, render_fixation_map)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


# ---------------------------------------------------------------- table


def test_table_columns_order_and_grouping():
    t = FixationTable(['b', 'a', 'b', 'a', 'b'],
                      ['r1', 'r1', 'r2', 'r1', 'r1'], [1, 2, 3, 4, 5],
                      [5, 4, 3, 2, 1])
    assert len(t) == 5
    assert t.order.tolist() == [0, 0, 0, 1, 1]
    assert np.isnan(t.duration_ms).all()
    assert t.images() == ['a', 'b'] and t.readers() == ['r1', 'r2']
    assert [i for i, _ in t.group_by_image()] == ['a', 'b']
    b = t.for_image('b')
    assert b.x.tolist() == [1, 3, 5]
    assert [(r, len(s)) for r, s in b.group_by_reader()] == [('r1', 2),
                                                             ('r2', 1)]
    with pytest.raises(ValueError, match="column 'x' has shape"):
        FixationTable(['a'], ['r'], [1, 2], [1])
    with pytest.raises(ValueError, match='finite'):
        FixationTable(['a'], ['r'], [np.nan], [1])


def test_concat_adds_counts_and_select_resets_them():
    a = FixationTable(['a'], ['r'], [1], [1], n_clipped=2, n_invalid=1)
    b = FixationTable(['b'], ['r'], [2], [2], n_dropped=3)
    c = FixationTable.concat([a, b])
    assert (len(c), c.n_clipped, c.n_dropped, c.n_invalid) == (2, 2, 3, 1)
    assert c.select([1]).n_dropped == 0


# -------------------------------------------------------------- generic


def test_generic_csv_reads_and_round_trips(tmp_path):
    path = write(
        tmp_path / 'fix.csv', 'image,x,y,duration_ms,reader\n'
        'k/a.png,1.5,2,250,r1\n'
        'k/a.png,3,4,,r1\n'
        'k/b.png,5,6,100,r2\n')
    t = read_generic(path)
    assert t.image.tolist() == ['k/a.png', 'k/a.png', 'k/b.png']
    assert t.reader.tolist() == ['r1', 'r1', 'r2']
    assert t.x.tolist() == [1.5, 3.0, 5.0]
    assert t.order.tolist() == [0, 1, 0]
    assert t.duration_ms[0] == 250 and np.isnan(t.duration_ms[1])
    out = str(tmp_path / 'out' / 'again.csv')
    t.to_csv(out)
    u = read_generic(out)
    for col in ('image', 'reader', 'x', 'y', 'order'):
        assert getattr(u, col).tolist() == getattr(t, col).tolist()
    np.testing.assert_array_equal(u.duration_ms, t.duration_ms)


def test_generic_csv_without_reader_uses_the_default(tmp_path):
    path = write(tmp_path / 'fix.csv', 'image,x,y\na.png,1,2\na.png,3,4\n')
    t = read_generic(path, default_reader='rad')
    assert t.reader.tolist() == ['rad', 'rad'] and t.order.tolist() == [0, 1]


@pytest.mark.parametrize('text, match', [
    ('image,x\na.png,1\n', r'fix\.csv: generic fixation CSV header lacks '
     r'column\(s\) y'),
    ('image,x,y,dur\na.png,1,2,3\n', r'unknown column\(s\) dur'),
    ('image,x,y\na.png,1,2\na.png,abc,2\n',
     r"fix\.csv:3: column 'x': expected a finite number, got 'abc'"),
    ('image,x,y\na.png,1,2\n\na.png,1,2,3\n',
     r'fix\.csv:4: expected 3 fields as in the header, found 4'),
    ('image,x,y,duration_ms\na.png,1,2,-5\n', r'fix\.csv:2: negative'),
    ('image,x,y\n,1,2\n', r'fix\.csv:2: empty image'),
    ('', r'fix\.csv: empty file'),
])
def test_generic_csv_malformed(tmp_path, text, match):
    path = write(tmp_path / 'fix.csv', text)
    with pytest.raises(ValueError, match=match):
        read_generic(path)


# -------------------------------------------------------- outside policy


@pytest.fixture
def off_image(tmp_path):
    path = write(
        tmp_path / 'fix.csv',
        'image,x,y\n'
        'a.png,5,5\n'
        'a.png,25,5\n'  # right of a 20 px wide image
        'a.png,10,8\n'
        'a.png,-3,-0.5\n')  # left of it; y=-0.5 is still on the top row
    return path, {'a.png': (10, 20)}


def test_outside_error_names_the_file(off_image):
    path, sizes = off_image
    with pytest.raises(
            ValueError, match=r'fix\.csv: 2 fixation\(s\) lie outside'):
        read_generic(path, image_sizes=sizes)


def test_outside_clip_counts_and_moves_to_the_border(off_image):
    path, sizes = off_image
    t = read_generic(path, image_sizes=sizes, outside='clip')
    assert (len(t), t.n_clipped, t.n_dropped) == (4, 2, 0)
    assert t.x.tolist() == [5, 19, 10, 0]
    assert t.y.tolist() == [5, 5, 8, 0]


def test_outside_drop_counts_and_renumbers(off_image):
    path, sizes = off_image
    t = read_generic(path, image_sizes=sizes, outside='drop')
    assert (len(t), t.n_clipped, t.n_dropped) == (2, 0, 2)
    assert t.x.tolist() == [5, 10] and t.order.tolist() == [0, 1]


def test_outside_policy_checks_its_arguments(off_image):
    t = FixationTable(['a.png'], ['r'], [1], [1])
    with pytest.raises(ValueError, match='outside must be one of'):
        apply_outside_policy(t, {'a.png': (4, 4)}, outside='ignore')
    with pytest.raises(
            KeyError, match="no image size given for image 'a.png'"):
        apply_outside_policy(t, {}, outside='clip')


def test_image_sizes_from_headers(tmp_path):
    (tmp_path / 'k').mkdir()
    cv2.imwrite(str(tmp_path / 'k' / 'a.png'), np.zeros((12, 20), np.uint8))
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.7'
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.Rows, ds.Columns = 30, 40
    ds.save_as(str(tmp_path / 'scan.dcm'), enforce_file_format=True)
    sizes = ImageSizes(str(tmp_path))
    assert sizes['k/a.png'] == (12, 20)
    assert sizes['k/a'] == (12, 20)  # extension looked up
    assert sizes['scan'] == (30, 40)
    with pytest.raises(
            FileNotFoundError, match="no image file for 'k/zz.png'"):
        sizes['k/zz.png']
    with pytest.raises(FileNotFoundError, match='not a directory'):
        ImageSizes(str(tmp_path / 'missing'))


# -------------------------------------------------------------- REFLACX

REFLACX_HEADER = ('timestamp_start_fixation,timestamp_end_fixation,'
                  'x_position,y_position,pupil_area_normalized,'
                  'angular_resolution_x_pixels_per_degree,'
                  'angular_resolution_y_pixels_per_degree,window_width,'
                  'window_level,xmin_shown_from_image,ymin_shown_from_image,'
                  'xmax_shown_from_image,ymax_shown_from_image\n')


def test_reflacx_reading(tmp_path):
    path = write(
        tmp_path / 'P102R000001' / 'fixations.csv',
        REFLACX_HEADER + '1.0,1.25,100,200,0.1,45,46,1,0.5,0,0,2000,2500\n'
        '0.2,0.5,300,400,0.1,44,45,1,0.5,10.4,20.6,1990,2480\n')
    t = read_reflacx(path, image='files/p1/a.png')
    assert t.image.tolist() == ['files/p1/a.png'] * 2
    assert t.reader.tolist() == ['P102R000001'] * 2  # the reading id
    np.testing.assert_allclose(t.duration_ms, [250, 300])
    assert t.order.tolist() == [1, 0]  # ordered by start time
    assert t.ppd_x.tolist() == [45, 44] and t.ppd_y.tolist() == [46, 45]
    np.testing.assert_allclose(t.shown,
                               [[0, 0, 2000, 2500], [10.4, 20.6, 1990, 2480]])
    t = read_reflacx(
        path,
        image='img',
        reader='me',
        image_sizes={'img': (300, 250)},
        outside='drop')
    assert (len(t), t.n_dropped, t.image[0], t.reader[0]) == (1, 1, 'img',
                                                             'me')
    kept = read_reflacx(
        path, 'img', image_sizes={'img': (300, 250)}, outside='keep')
    assert (len(kept), kept.n_dropped) == (2, 0)


def test_reflacx_reading_errors(tmp_path):
    row = '0,0.1,1,2,0.1,40,40,1,0.5,0,0,10,10\n'
    path = write(tmp_path / 'P1' / 'fixations.csv', REFLACX_HEADER + row)
    with pytest.raises(ValueError, match='named by its reading id.*image='):
        read_reflacx(path, image=None)
    bad = write(
        tmp_path / 'P2' / 'fixations.csv',
        REFLACX_HEADER + row + '0.5,0.4,1,2,0.1,40,40,1,0.5,0,0,10,10\n')
    with pytest.raises(
            ValueError,
            match=r'fixations\.csv:3: '
            'timestamp_end_fixation is before'):
        read_reflacx(bad, 'a')
    with pytest.raises(ValueError, match='lacks column'):
        read_reflacx(
            write(tmp_path / 'x' / 'fixations.csv',
                  'x_position,y_position\n1,2\n'), 'a')
    t = read_reflacx(
        write(tmp_path / 'y' / 'fixations.csv',
              'timestamp_start_fixation,timestamp_end_fixation,'
              'x_position,y_position\n0,1,2,2\n'), 'a')
    assert np.isnan(t.shown).all()
    with pytest.raises(ValueError, match='unknown for 1 fixation'):
        render_fixation_map(t, (8, 8), sigma_px=1.0, use_shown=True)


def test_reflacx_raw_gaze_skips_blinks(tmp_path):
    path = write(
        tmp_path / 'P1' / 'gaze.csv',
        'timestamp_sample,x_position,y_position,pupil_area_normalized,'
        'angular_resolution_x_pixels_per_degree,'
        'angular_resolution_y_pixels_per_degree,window_width,window_level,'
        'xmin_shown_from_image,ymin_shown_from_image,xmax_shown_from_image,'
        'ymax_shown_from_image\n'
        '0.002,12,14,0.1,40,41,1,0.5,0,0,100,80\n'
        '0.001,10,11,0.1,40,41,1,0.5,0,0,100,80\n'
        '0.003,,,,,,,,,,,\n'  # a blink
        '0.004,13,15,0.1,40,41,1,0.5,0,0,100,80\n')
    t = read_reflacx_gaze(path, image='a.png', sample_ms=2.0)
    assert (len(t), t.n_invalid) == (3, 1)
    assert t.order.tolist() == [1, 0, 2]  # by timestamp_sample
    assert t.duration_ms.tolist() == [2.0, 2.0, 2.0]
    assert t.reader.tolist() == ['P1'] * 3
    assert read_fixations(path, 'reflacx', image='a.png').n_invalid == 1


# -------------------------------------------------------------- EGD-CXR

EGD_HEADER = ('SESSION_ID,MEDIA_ID,DICOM_ID,CNT,TIME(in secs),FPOGX,FPOGY,'
              'FPOGS,FPOGD,FPOGID,FPOGV\n')


def test_egd_cxr_maps_screen_fractions_to_image_pixels(tmp_path):
    # image (h=100, w=200) shown at x 100..900, y 50..450 of a 1000x500
    # screen: 4 screen px per image px
    path = write(
        tmp_path / 'fixations.csv',
        EGD_HEADER + '1,1,d1,1,0.5,0.142,0.264,0.1,0.25,1,1\n'
        '1,1,d1,2,0.9,0.5,0.5,0.7,0.30,2,0\n'  # invalid
        '1,1,d1,3,1.3,0.05,0.5,1.1,0.20,3,1\n'  # left of the image
        '1,1,d1,4,1.6,0.85,0.45,1.4,0.40,4,1\n')
    geo = ScreenGeometry((1000, 500), (100, 50, 900, 450))
    t = read_egd_cxr(path, {'d1': (100, 200)}, geo, outside='drop')
    assert (len(t), t.n_invalid, t.n_dropped) == (2, 1, 1)
    np.testing.assert_allclose(t.x, [10.0, 187.0])
    np.testing.assert_allclose(t.y, [20.0, 43.25])
    np.testing.assert_allclose(t.duration_ms, [250, 400])
    assert t.order.tolist() == [0, 1] and t.reader.tolist() == ['0', '0']
    with pytest.raises(ValueError, match='outside'):
        read_egd_cxr(path, {'d1': (100, 200)}, geo)
    with pytest.raises(KeyError, match="'d1'"):
        read_egd_cxr(path, {}, geo, outside='drop')


def test_egd_cxr_default_geometry_fits_and_centres(tmp_path):
    path = write(tmp_path / 'fixations.csv',
                 EGD_HEADER + '1,1,sq,1,0.5,0.5,0.5,0.1,0.2,1,1\n')
    # a 100x100 image on a 1000x500 screen: 500 px square at x 250..750
    t = read_egd_cxr(path, {'sq': (100, 100)},
                     {'sq': ScreenGeometry((1000, 500))})
    assert (t.x[0], t.y[0]) == (pytest.approx(49.5), pytest.approx(49.5))
    geo = ScreenGeometry.from_padding((1000, 500),
                                      top=50,
                                      bottom=50,
                                      left=100,
                                      right=100)
    assert geo.image_rect == (100, 50, 900, 450)
    with pytest.raises(ValueError, match='right > left'):
        ScreenGeometry((1000, 500), (10, 10, 5, 20))


def test_egd_cxr_malformed_row(tmp_path):
    path = write(
        tmp_path / 'fixations.csv',
        EGD_HEADER + '1,1,d1,1,0.5,0.1,0.2,0.1,0.2,1,1\n'
        '1,1,d1,2,0.5,oops,0.2,0.1,0.2,2,1\n')
    with pytest.raises(ValueError, match=r"fixations\.csv:3: column 'FPOGX'"):
        read_egd_cxr(path, {'d1': (10, 10)}, ScreenGeometry((1920, 1080)))


# -------------------------------------------------------------- toolkit


def test_toolkit_log_both_point_formats(tmp_path):
    path = write(
        tmp_path / 'rad7.txt',
        'k/a.png;2;[(10, 20), (30, 40)];[1,2,3,4];(5,5)\n'
        '\n'
        'k/b.png;0;[1, 3, 5.5, 7];[1,2,3,4];(5,5)\n')
    t = read_toolkit_log(path, scale=2.0)
    assert t.reader.tolist() == ['rad7'] * 4
    # shown pixel centre (10, 20) at scale 2 -> image pixel (20.5, 40.5)
    np.testing.assert_allclose(t.x, [20.5, 60.5, 2.5, 11.5])
    np.testing.assert_allclose(t.y, [40.5, 80.5, 6.5, 14.5])
    assert t.order.tolist() == [0, 1, 0, 1]
    assert np.isnan(t.duration_ms).all()
    # shown 800 px high: a 400 px high image has scale 0.5
    t = read_toolkit_log(
        path, {
            'k/a.png': (400, 300),
            'k/b.png': (800, 600)
        }, reader='x')
    np.testing.assert_allclose(t.x, [4.75, 14.75, 1.0, 5.5])
    assert t.reader[0] == 'x'


@pytest.mark.parametrize('line, match', [
    ('k/a.png;2;[(1, 2), (3,)];[];()', 'mixes formats'),
    ('k/a.png;2;[1, 2, 3];[];()', 'odd number'),
    ('k/a.png;2', r'found 2 field\(s\)'),
    ('k/a.png;2;not a list;[];()', 'is not a list'),
])
def test_toolkit_log_malformed(tmp_path, line, match):
    path = write(tmp_path / 'log.txt', 'k/a.png;1;[(1, 2)];[];()\n' + line)
    with pytest.raises(ValueError, match=r'log\.txt:2: .*' + match):
        read_toolkit_log(path, scale=1.0)


def test_toolkit_log_needs_a_scale_and_checks_bounds(tmp_path):
    path = write(tmp_path / 'log.txt', 'a.png;1;[(790, 10)];[];()\n')
    with pytest.raises(ValueError, match='image_sizes or scale'):
        read_toolkit_log(path)
    t = read_toolkit_log(path, {'a.png': (800, 400)}, outside='clip')
    assert (t.n_clipped, t.x[0]) == (1, 399)


def test_unknown_format():
    with pytest.raises(ValueError, match='unknown fixation format'):
        read_fixations('x', 'tobii')
