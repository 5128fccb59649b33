from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.core.masking import (
    mask,
    mask_address,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),  # full-width digits
        ("010-62345678", "010-****5678"),
        ("", ""),
        (None, ""),
    ],
)
def test_phone(raw, masked):
    assert mask_phone(raw) == masked


def test_id_number_hides_the_birth_date():
    assert mask_id_number("110101199003071234") == "110***********1234"
    assert "19900307" not in mask_id_number("110101199003071234")
    assert mask_id_number("11010119900307123X").endswith("123X")


def test_address_keeps_the_district_only():
    assert mask_address("上海市浦东新区陆家嘴环路1000号") == "上海市浦东新区****"
    assert mask_address("浙江省杭州市西湖区文三路90号") == "浙江省杭州市西湖区****"
    assert "1000" not in mask_address("上海市浦东新区陆家嘴环路1000号")


def test_name_and_email():
    assert mask_name("张伟") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_email("zhang.wei@example.com") == "z***@example.com"
    with pytest.raises(ValueError):
        mask("blood_type", "A")


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_no_mobile_number_survives_masking(phone):
    masked = mask_phone(phone)
    assert phone not in masked
    assert masked == phone[:3] + "****" + phone[-4:]
