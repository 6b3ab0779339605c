"""Normalisers: names (surname readings, look-alikes, pinyin), ID numbers, dates, phones, addresses."""

from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shequ.core import idnumbers
from shequ.linkage.engine import normalize as N


@pytest.mark.parametrize(
    "name, expected",
    [
        ("曾小明", "zeng xiao ming"),
        ("单田芳", "shan tian fang"),
        ("仇英", "qiu ying"),
        ("解缙", "xie jin"),
        ("区家明", "ou jia ming"),
        ("查良镛", "zha liang yong"),
        ("朴树", "piao shu"),
        ("盖叫天", "ge jiao tian"),
        ("尉迟恭", "yuchi gong"),
        ("万俟卨", "moqi xie"),
        ("欧阳修", "ouyang xiu"),
    ],
)
def test_polyphonic_surnames_read_as_surnames(name, expected):
    assert N.name_pinyin(name) == expected


def test_homophones_share_pinyin_and_lookalikes_share_a_key():
    assert N.name_pinyin("张伟") == N.name_pinyin("章伟")
    assert N.lookalike_key("王玉") == N.lookalike_key("玉王")
    for a, b in [("未", "末"), ("己", "已"), ("已", "巳"), ("戊", "戌"), ("刘", "浏")]:
        assert N.lookalike_key(a) == N.lookalike_key(b)
    assert N.lookalike_key("张") != N.lookalike_key("章")


def test_split_name_handles_compound_surnames_and_latin():
    assert N.split_name("欧阳娜娜") == ("欧阳", "娜娜")
    assert N.split_name(" 张 伟 ") == ("张", "伟")
    assert N.split_name("Michaela Neumann") == ("neumann", "michaela")
    assert N.name_characters("张伟") == ["张", "伟"]
    assert N.name_initials("曾小明") == "zxm"


def test_prepare_records_latin_names_do_not_break():
    out = N.prepare_records(
        pd.DataFrame({"record_id": ["a"], "name": ["Michaela Neumann"], "address": ["8 Stanley St"]})
    )
    assert out.loc[0, "name_py"] == "michaelaneumann"
    assert out.loc[0, "is_han_name"] == 0
    assert out.loc[0, "addr_compound"] == "8 st stanley"


# -- ID numbers -----------------------------------------------------------------------------------

regions = st.sampled_from(["110101", "510104", "440103", "310104", "510105"])
births = st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31))


@settings(max_examples=200, deadline=None)
@given(region=regions, born=births, seq=st.integers(0, 999), female=st.booleans())
def test_legacy_15_and_18_digit_forms_canonicalise_to_the_same_number(region, born, seq, female):
    id18 = idnumbers.make(region, born, seq, female=female)
    id15 = id18[:6] + id18[8:17]
    canon, length, ok = N.canonical_id(id15)
    assert ok and length == 15 and canon == id18
    assert N.canonical_id(id18) == (id18, 18, True)
    vector = N.canonical_ids(pd.Series([id15, id18, " " + id18.lower() + " "]))
    assert list(vector[0]) == [id18, id18, id18]
    assert list(vector[3]) == [born.isoformat()] * 3
    assert list(vector[4]) == ["F" if female else "M"] * 3


@settings(max_examples=200, deadline=None)
@given(region=regions, born=births, seq=st.integers(0, 999), pos=st.integers(0, 16), delta=st.integers(1, 9))
def test_vectorised_ids_agree_with_core_idnumbers(region, born, seq, pos, delta):
    good = idnumbers.make(region, born, seq, female=False)
    typo = good[:pos] + str((int(good[pos]) + delta) % 10) + good[pos + 1 :]
    canon, _length, ok, born_iso, sex = N.canonical_ids(pd.Series([good, typo]))
    for i, raw in enumerate([good, typo]):
        try:
            expected = idnumbers.canonical(raw)
            assert ok[i] == 1 and canon[i] == expected
        except idnumbers.IdNumberError:
            assert ok[i] == 0 and canon[i] == raw and born_iso[i] == "" and sex[i] == ""


def test_birth_and_sex_derived_from_id_when_missing():
    number = idnumbers.make("510104", date(1956, 3, 7), 12, female=True)
    out = N.prepare_records(pd.DataFrame({"record_id": ["1"], "name": ["李娟"], "id_number": [number]}))
    assert out.loc[0, "dob"] == "1956-03-07"
    assert out.loc[0, "sex"] == "F"


# -- dates and phones -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["1956.3.7", "1956年3月7日", "19560307", "1956-03-07", "1956/3/7", "1956-03-07 00:00:00"]
)
def test_dates_in_the_formats_people_type(raw):
    assert N.parse_date(raw) == "1956-03-07"


def test_bad_dates_are_empty_and_lunar_and_swap_forms():
    assert N.parse_date("1956-02-30") == ""
    assert N.parse_date("") == ""
    assert N.lunar_form("1990-05-01") == "1990-04-07"
    assert N.swap_month_day("1990-05-03") == "1990-03-05"
    assert N.swap_month_day("1990-05-23") == ""


def test_phone_digits():
    assert N.phone_digits("+86 138-1234-5678") == "13812345678"
    assert N.phone_digits("１３８１２３４５６７８") == "13812345678"


# -- addresses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "阳光花园12栋3单元1502",
        "阳光花园12-3-1502",
        "阳光花园十二号楼三单元1502室",
        "成都市锦江区阳光花园12幢3单元1502室",
        "锦江区阳光花园 12 栋 3 单元 1502",
        "阳光花园１２－３－１５０２",
    ],
)
def test_address_styles_parse_to_the_same_room(raw):
    assert N.parse_address(raw) == ("阳光花园", "12", "3", "1502")


def test_chinese_numerals():
    assert N.chinese_number("十二") == 12
    assert N.chinese_number("三") == 3
    assert N.chinese_number("一百零一") == 101
    assert N.chinese_number("二〇五") == 205
    assert N.chinese_number("二十") == 20


compounds = st.sampled_from(["阳光花园", "金桂苑", "三里屯小区", "翠湖家园", "东湖名都"])
cn = {k: N_ for k, N_ in enumerate(["", "一", "二", "三", "四", "五", "六", "七", "八", "九"])}


def _cn(k: int) -> str:
    if k < 10:
        return cn[k]
    tens, ones = divmod(k, 10)
    return ("" if tens == 1 else cn[tens]) + "十" + cn[ones]


@settings(max_examples=40, deadline=None)
@given(
    compound=compounds,
    building=st.integers(1, 99),
    unit=st.integers(1, 9),
    room=st.integers(101, 3304),
    style=st.integers(0, 4),
    prefix=st.sampled_from(["", "成都市锦江区", "锦江区", "四川省成都市武侯区"]),
)
def test_address_variants_agree_row_by_row_and_in_duckdb(compound, building, unit, room, style, prefix):
    text = [
        f"{prefix}{compound}{building}栋{unit}单元{room}室",
        f"{compound}{building}-{unit}-{room}",
        f"{prefix}{compound}{_cn(building)}号楼{_cn(unit)}单元{room}",
        f"{compound}{building}幢{unit}单元{room}",
        f"{prefix}{compound}{building}号楼{unit}单元{room}号",
    ][style]
    assert N.parse_address(text) == (compound, str(building), str(unit), str(room))
    comp, bkey, rkey = N.parse_addresses(pd.Series([text]))
    assert (comp[0], bkey[0], rkey[0]) == (
        compound,
        f"{compound}|{building}",
        f"{compound}|{building}|{unit}|{room}",
    )


# -- Latin addresses and swapped digits (FEBRL-style typos) ----------------------------------------


def test_latin_address_letters_keep_written_order_and_agree_in_duckdb():
    raw = pd.Series(
        [
            "16 Officer Crescent, Tes Bury",
            "16 officer crescent tesbury",
            "１２ Main St",
            "阳光花园3栋2单元501",
            "",
            None,
        ]
    )
    letters = N.latin_address_letters(raw)
    assert list(letters) == [
        "16officercrescenttesbury",
        "16officercrescenttesbury",
        "12mainst",
        None,
        None,
        None,
    ]
    # a split word sorts differently in the compound key, but not here
    compound = N.parse_addresses(raw)[0]
    assert compound[0] != compound[1]
    out = N.prepare_records(pd.DataFrame({"record_id": [str(i) for i in range(len(raw))], "address": raw}))
    assert list(out["addr_letters"]) == list(letters)


def test_sorted_digits_are_equal_when_two_digits_swap():
    assert N.sorted_digits("1957-10-24") == N.sorted_digits("1957-12-04") == "01124579"
    assert N.sorted_digits("1957-10-24") != N.sorted_digits("1957-10-25")
    assert N.sorted_digits("") is None
    out = N.prepare_records(
        pd.DataFrame(
            {"record_id": ["a", "b"], "name": ["x", "y"], "birth_date": ["19571024", "1957年12月4日"]}
        )
    )
    assert out.loc[0, "dob_sorted"] == out.loc[1, "dob_sorted"]
