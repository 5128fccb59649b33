from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.analytics.rfm import quintile_scores, rfm_scores
from manyi.analytics.text import normalise, normalise_phone, phone_kind, pinyin_keys


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("８６１３８１２３４５６７８", "13812345678"),
        ("１３８ １２３４ ５６７８", "13812345678"),
        ("(010) 6234-5678", "01062345678"),
        ("abc", ""),
    ],
)
def test_normalise_phone(raw, number):
    assert normalise_phone(raw) == number


def test_phone_kind():
    assert phone_kind("13812345678") == "mobile"
    assert phone_kind("01062345678") == "landline"
    assert phone_kind("12345") is None
    assert phone_kind("23812345678") is None


def test_pinyin_keys():
    assert pinyin_keys("张伟") == ("zhangwei", "zw")
    assert pinyin_keys("欧阳娜娜") == ("ouyangnana", "oynn")
    assert pinyin_keys("Ｌｉ Ｍｉｎｇ")[0] == "liming"
    assert normalise("　张　伟　") == "张 伟"


def test_quintiles_are_one_to_five_and_ties_share_a_score():
    scores = quintile_scores(np.arange(100))
    assert list(np.bincount(scores)[1:]) == [20, 20, 20, 20, 20]
    assert set(quintile_scores(np.ones(50))) == {3}
    assert quintile_scores(np.array([1.0, np.nan]))[1] == 0


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200))
def test_quintiles_are_monotone(values):
    scores = quintile_scores(np.array(values))
    order = np.argsort(values, kind="stable")
    assert all(scores[order][i] <= scores[order][i + 1] for i in range(len(values) - 1))
    assert scores.min() >= 1 and scores.max() <= 5


def test_rfm_recent_frequent_big_spenders_score_555():
    frame = rfm_scores(
        np.array([1, 400, 30, 200, 90]),
        np.array([9, 1, 5, 2, 3]),
        np.array([9e4, 1e2, 5e3, 2e2, 1e3]),
    )
    assert frame.loc[0, "code"] == "555"
    assert frame.loc[1, "code"] == "111"


def test_word_frequencies_of_open_answers():
    from manyi.analytics.text import word_frequencies

    words = dict(
        word_frequencies(
            ["排队时间太长了，柜员态度很好", "排队排了一个小时", "态度好，但是排队太久", None]
        )
    )
    assert words["排队"] == 3 and words["态度"] == 2
    assert "的" not in words and "，" not in words and "了" not in words
