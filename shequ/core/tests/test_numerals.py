"""The one numeral table: address numerals (十 only, so names such as 百花园 stay text) and whole numbers."""

from shequ.core.numerals import chinese_number, chinese_to_int, replace_numerals


def test_whole_numbers_up_to_the_thousands():
    assert chinese_number("12") == 12
    assert chinese_number("十二") == 12
    assert chinese_number("一百零一") == 101
    assert chinese_number("二〇五") == 205
    assert chinese_number("两千零三") == 2003
    assert chinese_number("") is None
    assert chinese_number("花园") is None


def test_address_numerals_leave_hundreds_alone():
    assert chinese_to_int("二十三") == 23
    assert replace_numerals("百花园十二栋三单元") == "百花园12栋3单元"
