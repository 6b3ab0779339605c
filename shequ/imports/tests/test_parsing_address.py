"""Addresses against the place tree: every way people write one dwelling resolves to it; unknown places fail."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shequ.core.numerals import chinese_to_int
from shequ.imports.parsing import AddressError, PlaceIndex, validate_person_row

BUILDINGS = range(1, 40)


def make_index():
    return PlaceIndex.from_compounds(
        [
            {
                "key": "sun",
                "name": "阳光花园",
                "aliases": ["阳光花园小区", "阳光小区"],
                "buildings": {str(n): f"sun-{n}" for n in BUILDINGS} | {"A座": "sun-A"},
            },
            {
                "key": "moon",
                "name": "月亮湾",
                "buildings": {"1": "moon-1", "2": {"key": "moon-2", "units": 2, "floors": 18}},
            },
            {"key": "new-sun", "name": "新阳光花园", "buildings": {"1": "new-sun-1"}},
        ],
        district_prefixes=["四川省", "成都市", "武侯区", "玉林街道", "阳光社区"],
    )


INDEX = make_index()


@pytest.mark.parametrize(
    "text",
    [
        "阳光花园12-3-1502",
        "阳光花园12栋3单元1502",
        "阳光花园十二号楼三单元1502室",
        "阳光花园小区12幢3单元1502",
        "成都市武侯区玉林街道阳光花园12栋3单元1502",
        "四川省成都市武侯区玉林街道阳光社区阳光花园12-3-1502",
        "阳光花园１２－３－１５０２",
        " 阳光花园 12 栋 3 单元 1502 ",
        "阳光花园12#楼3单元1502",
        "阳光花园12#3单元1502号",
        "阳光花园12号楼3门1502",
        "阳光花园12号3单元1502",
        "阳光花园十二栋三单元一五零二",
        "阳光小区12栋3单元15楼1502",
        "阳光花园(小区)12—3—1502",
    ],
)
def test_one_dwelling_many_spellings(text):
    match = INDEX.resolve(text)
    assert (match.compound_key, match.building_key, match.unit_label, match.room_label) == (
        "sun",
        "sun-12",
        "3",
        "1502",
    )
    assert match.floor == 15
    assert match.label == "阳光花园12栋3单元1502"


def test_missing_unit_for_a_single_unit_building():
    match = INDEX.resolve("月亮湾1号楼502室")
    assert (match.building_key, match.unit_label, match.room_label, match.floor) == ("moon-1", None, "502", 5)
    assert match.label == "月亮湾1栋502"
    assert INDEX.resolve("月亮湾1-502").room_label == "502"


def test_building_and_unit_without_room_and_lettered_building():
    assert INDEX.resolve("阳光花园12号楼3门").label == "阳光花园12栋3单元"
    assert INDEX.resolve("阳光花园A座1502").building_key == "sun-A"
    assert INDEX.resolve("阳光花园两栋1单元101").building_key == "sun-2"
    assert INDEX.resolve("阳光花园二十三栋1单元101").building_key == "sun-23"


def test_longest_compound_name_wins():
    assert INDEX.resolve("新阳光花园1-1-101").compound_key == "new-sun"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("星河湾3-1-101", "没有本辖区已登记的小区"),
        ("阳光花园99-1-101", "没有99栋"),
        ("月亮湾2栋3单元101", "没有3单元"),
        ("月亮湾2栋1单元2101", "只有18层"),
        ("阳光花园12栋某某处", "无法识别"),
        ("", "为空"),
    ],
)
def test_unknown_places_are_refused_never_invented(text, fragment):
    with pytest.raises(AddressError) as info:
        INDEX.resolve(text)
    assert fragment in info.value.message


def test_ambiguous_alias_is_refused():
    index = PlaceIndex.from_compounds(
        [{"key": 1, "name": "东区", "aliases": ["幸福里"]}, {"key": 2, "name": "西区", "aliases": ["幸福里"]}]
    )
    with pytest.raises(AddressError, match="不止一个"):
        index.resolve("幸福里")


def test_row_validation_resolves_addresses():
    clean, errors = validate_person_row({"name": "张伟", "address": "阳光花园12-3-1502"}, places=INDEX)
    assert errors == [] and clean["address_match"].building_key == "sun-12"
    _, errors = validate_person_row({"name": "张伟", "address": "星河湾3-1-101"}, places=INDEX)
    assert errors and errors[0][0] == "address"


def test_chinese_numerals():
    assert [chinese_to_int(t) for t in ["一", "十", "十二", "二十", "二十三", "两", "九十九", "一五零二"]] == [
        1, 10, 12, 20, 23, 2, 99, 1502,
    ]  # fmt: skip


_CN = "零一二三四五六七八九"


def _chinese(n, *, two=False):
    if n < 10:
        return "两" if (two and n == 2) else _CN[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[units] if units else "")


def _fullwidth(text):
    return text.translate(str.maketrans("0123456789-#", "０１２３４５６７８９－＃"))


@st.composite
def spellings(draw):
    building = draw(st.sampled_from(list(BUILDINGS)))
    unit = draw(st.integers(1, 9))
    floor = draw(st.integers(1, 33))
    room = f"{floor}{draw(st.integers(1, 4)):02d}"
    numerals = draw(st.sampled_from(["arabic", "chinese", "fullwidth"]))
    b = {"arabic": str(building), "fullwidth": _fullwidth(str(building))}.get(
        numerals, _chinese(building, two=draw(st.booleans()))
    )
    u = {"arabic": str(unit), "fullwidth": _fullwidth(str(unit))}.get(numerals, _chinese(unit))
    r = _fullwidth(room) if numerals == "fullwidth" else room
    style = draw(st.sampled_from(["dash", "words"]))
    if style == "dash" and numerals != "chinese":
        body = f"{b}-{u}-{r}"
    else:
        building_suffix = draw(st.sampled_from(["栋", "幢", "号楼", "#", "#楼", "号"]))
        unit_suffix = draw(st.sampled_from(["单元", "门"]))
        room_suffix = draw(st.sampled_from(["", "室", "号"]))
        body = f"{b}{building_suffix}{u}{unit_suffix}{r}{room_suffix}"
    compound = draw(st.sampled_from(["阳光花园", "阳光花园小区", "阳光小区"]))
    prefix = draw(
        st.sampled_from(["", "成都市", "成都市武侯区", "四川省成都市武侯区玉林街道", "玉林街道阳光社区"])
    )
    pieces = [prefix, compound, body]
    space = draw(st.sampled_from(["", " ", "\u3000"]))
    text = space.join(p for p in pieces if p)
    if draw(st.booleans()):
        text = f"  {text} "
    return text, (f"sun-{building}", str(unit), room, floor)


@settings(max_examples=300, deadline=None)
@given(spellings())
def test_generated_spellings_resolve_to_the_same_dwelling(case):
    text, (building_key, unit, room, floor) = case
    match = INDEX.resolve(text)
    assert (match.compound_key, match.building_key, match.unit_label, match.room_label, match.floor) == (
        "sun",
        building_key,
        unit,
        room,
        floor,
    ), text


def test_unknown_text_before_the_compound_is_kept_for_review():
    match = INDEX.resolve("成都市武侯区玉林北路8号阳光花园12-3-1502")
    assert match.ignored_prefix == "玉林北路8号"
    assert INDEX.resolve("成都市阳光花园12-3-1502").ignored_prefix == ""


def test_index_from_flat_query_rows():
    index = PlaceIndex.from_rows(
        [(7, "锦绣苑", ["锦绣小区"]), (8, "空地", None)],
        [(7, "1栋", 71, 2, 6), (7, "2栋", 72, None, None)],
        district_prefixes=["成都市"],
    )
    assert index.resolve("成都市锦绣小区1-2-601").building_key == 71
    with pytest.raises(AddressError, match="没有3单元"):
        index.resolve("锦绣苑1-3-101")
    assert index.resolve("锦绣苑2栋9单元1201").unit_label == "9"
    assert index.resolve("空地").label == "空地"
