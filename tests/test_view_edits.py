"""Edits of a config's views (gca_mm.utils.view_edits), which the benchmark's
stock-matched and stock-tuned configs make to the stock views."""
import pytest

from gca_mm.utils.view_edits import (append_to_views, edit_views,
                                     set_crop_range)


def _pipeline():
    view1 = [dict(type='RandomResizedCrop', scale=64),
             dict(type='RandomApply', transforms=[
                 dict(type='mmpretrain.RandomResizedCrop', scale=32)]),
             dict(type='PackInputs')]
    view2 = [dict(type='RandomResizedCrop', scale=64,
                  crop_ratio_range=(0.08, 1.0))]
    return [dict(type='LoadImageFromFile'),
            dict(type='MultiView', num_views=[1, 1],
                 transforms=[view1, view2])]


def test_set_crop_range_reaches_every_crop_in_place():
    pipe = _pipeline()
    assert set_crop_range(pipe, [0.4, 1.0]) is pipe
    views = pipe[1]['transforms']
    assert views[0][0]['crop_ratio_range'] == (0.4, 1.0)
    # nested and scoped crops too, and nothing else
    assert views[0][1]['transforms'][0]['crop_ratio_range'] == (0.4, 1.0)
    assert views[1][0]['crop_ratio_range'] == (0.4, 1.0)
    assert 'crop_ratio_range' not in views[0][2]


def test_append_to_views_appends_one_copy_per_view():
    pipe = _pipeline()
    cut = dict(type='RandomErasing', erase_prob=1.0)
    append_to_views(pipe, cut)
    views = pipe[1]['transforms']
    assert [v[-1] for v in views] == [cut, cut]
    assert [len(v) for v in views] == [4, 2]
    # copies: editing one view's step leaves the other and the argument
    views[0][-1]['erase_prob'] = 0.5
    assert views[1][-1]['erase_prob'] == 1.0 and cut['erase_prob'] == 1.0


def test_one_view_list_shared_by_views_gets_one_step():
    view = [dict(type='RandomResizedCrop', scale=64)]
    pipe = [dict(type='MultiView', num_views=2, transforms=[view])]
    append_to_views(pipe, dict(type='RandomErasing'))
    assert [t['type'] for t in view] == ['RandomResizedCrop', 'RandomErasing']


def test_append_needs_views():
    with pytest.raises(ValueError, match='no MultiView to append'):
        append_to_views([dict(type='RandomResizedCrop')],
                        dict(type='RandomErasing'))


def test_edit_views_without_append_only_sets_the_range():
    pipe = edit_views(_pipeline(), (0.5, 1.0))
    assert [len(v) for v in pipe[1]['transforms']] == [3, 1]
    with_cut = edit_views(_pipeline(), (0.5, 1.0), dict(type='RandomErasing'))
    assert [v[-1]['type'] for v in with_cut[1]['transforms']] == \
        ['RandomErasing'] * 2
