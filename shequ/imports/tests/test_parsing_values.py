"""Cell parsers: dates as people type them, sex, ID numbers, phones, ethnicity, whole rows."""

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequ.core import idnumbers
from shequ.imports.parsing import (
    ETHNIC_GROUPS,
    ParseError,
    PartialDateError,
    parse_date,
    parse_ethnicity,
    parse_id_number,
    parse_name,
    parse_phones,
    parse_role,
    parse_sex,
    validate_person_row,
)
from shequ.imports.parsing.values import excel_serial_to_date

BORN = date(1956, 3, 7)
MALE_ID = idnumbers.make("110105", BORN, 11, female=False)
FEMALE_ID = idnumbers.make("110105", BORN, 12, female=True)


@pytest.mark.parametrize(
    "text",
    [
        "1956.3.7",
        "1956.03.07",
        "1956-03-07",
        "1956-3-7",
        "1956/3/7",
        "1956年3月7日",
        "1956年03月07号",
        "一九五六年三月七日",
        "19560307",
        "20521",
        "20521.0",
        "１９５６－０３－０７",
        " 1956 . 3 . 7 ",
        "1956-03-07 00:00:00",
        datetime(1956, 3, 7, 0, 0),
        BORN,
        20521,
        20521.0,
    ],
)
def test_dates_as_people_type_them(text):
    assert parse_date(text) == BORN


def test_excel_serials_match_excel():
    assert excel_serial_to_date(1) == date(1900, 1, 1)
    assert excel_serial_to_date(59) == date(1900, 2, 28)
    assert excel_serial_to_date(61) == date(1900, 3, 1)
    assert excel_serial_to_date(45292) == date(2024, 1, 1)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("56.3.7", "两位"),
        ("1956.2.30", "不是存在的日期"),
        ("1956.13.1", "不是存在的日期"),
        ("三月七日", "无法识别"),
        ("1956年", "无法识别"),
        ("1956", "只有年份"),
        ("2999-01-01", "合理范围"),
        ("", "为空"),
    ],
)
def test_bad_dates_are_refused_with_a_reason(text, fragment):
    with pytest.raises(ParseError) as info:
        parse_date(text)
    assert fragment in info.value.message
    assert info.value.field == "birth_date"


def test_year_and_month_only_is_a_partial_date():
    with pytest.raises(PartialDateError) as info:
        parse_date("1956.03")
    assert (info.value.year, info.value.month) == (1956, 3)


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(2025, 12, 31)))
def test_every_written_form_of_a_date_reads_back(day):
    forms = [
        f"{day.year}.{day.month}.{day.day}",
        f"{day:%Y-%m-%d}",
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y%m%d}",
    ]
    if day.year >= 1906:  # earlier serials have four digits like a bare year, which is refused
        forms.append(str((day - date(1899, 12, 30)).days))
    for form in forms:
        assert parse_date(form, latest=date(2030, 1, 1)) == day


@pytest.mark.parametrize(
    ("text", "sex"), [("男", "M"), ("女", "F"), ("M", "M"), ("f", "F"), ("1", "M"), ("2", "F"), ("女性", "F")]
)
def test_sex(text, sex):
    assert parse_sex(text) == sex


def test_unknown_sex():
    with pytest.raises(ParseError, match="性别"):
        parse_sex("未知")


def test_id_numbers_reuse_core_checks():
    assert parse_id_number(MALE_ID.lower()).normalized == MALE_ID
    wrong = MALE_ID[:17] + ("0" if MALE_ID[17] != "0" else "1")
    with pytest.raises(ParseError, match="校验位"):
        parse_id_number(wrong)
    with pytest.raises(ParseError, match="科学计数法"):
        parse_id_number("1.10105E+17")
    with pytest.raises(ParseError, match="当成数字"):
        parse_id_number(MALE_ID[:15] + "000")  # what Excel's 15 significant digits leave


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)), st.integers(0, 999), st.booleans())
def test_any_valid_id_validates_and_agrees_with_itself(born, sequence, female):
    number = idnumbers.make("510107", born, sequence, female=female)
    clean, errors = validate_person_row(
        {
            "name": "张伟",
            "id_number": number,
            "birth_date": f"{born.year}年{born.month}月{born.day}日",
            "sex": "女" if female else "男",
        }
    )
    assert errors == []
    assert clean["birth_date"] == born


def test_phones():
    assert parse_phones("138 0013 8000") == ["13800138000"]
    assert parse_phones("+86 13800138000/028-85551234") == ["13800138000", "028-85551234"]
    assert parse_phones(13800138000.0) == ["13800138000"]
    with pytest.raises(ParseError) as info:
        parse_phones("12800138000")
    assert info.value.field == "phone"
    assert "12800138000" not in info.value.message  # masked in messages


def test_ethnicity():
    assert parse_ethnicity("汉") == "汉族"
    assert parse_ethnicity("汉族") == "汉族"
    assert parse_ethnicity("01") == "汉族"
    assert parse_ethnicity("维族") == "维吾尔族"
    assert parse_ethnicity("柯尔克孜") == "柯尔克孜族"
    assert len(ETHNIC_GROUPS) == 56 == len(set(ETHNIC_GROUPS))
    with pytest.raises(ParseError, match="56个民族"):
        parse_ethnicity("火星族")


def test_role_and_name():
    assert parse_role("业主") == "owner"
    assert parse_role("租户") == "tenant"
    assert parse_role("实际居住") == "occupant"
    assert parse_role("户籍人口") == "registered"
    assert parse_name("张 伟") == "张伟"
    assert parse_name("阿依古丽•买买提") == "阿依古丽·买买提"
    with pytest.raises(ParseError, match="数字"):
        parse_name("13800138000")


def test_row_takes_birth_date_and_sex_from_the_id():
    clean, errors = validate_person_row({"name": "张伟", "id_number": MALE_ID})
    assert errors == []
    assert clean["birth_date"] == BORN and clean["sex"] == "M"


def test_row_with_year_month_birth_date_agreeing_with_id():
    clean, errors = validate_person_row({"name": "张伟", "id_number": MALE_ID, "birth_date": "1956.03"})
    assert errors == [] and clean["birth_date"] == BORN
    _, errors = validate_person_row({"name": "张伟", "id_number": MALE_ID, "birth_date": "1957.03"})
    assert errors and errors[0][0] == "birth_date" and "证件号码" in errors[0][1]
    _, errors = validate_person_row({"name": "张伟", "birth_date": "1956.03"})
    assert errors == [("birth_date", "出生日期“1956.03”只有年月,缺少日")]


def test_row_collects_every_error_and_names_both_fields_of_a_contradiction():
    clean, errors = validate_person_row(
        {
            "name": "",
            "id_number": FEMALE_ID,
            "birth_date": "1956.3.8",
            "sex": "男",
            "phone": "1380013800",
            "ethnicity": "汉",
        }
    )
    fields = [f for f, _ in errors]
    assert fields.count("name") == 1
    assert "phone" in fields
    birth = next(m for f, m in errors if f == "birth_date")
    assert "1956-03-08" in birth and "1956-03-07" in birth and "证件号码" in birth
    sex = next(m for f, m in errors if f == "sex")
    assert "男" in sex and "女" in sex and "证件号码" in sex
    assert clean["ethnicity"] == "汉族"


def test_row_with_bad_id_does_not_invent_birth_date():
    wrong = MALE_ID[:17] + ("0" if MALE_ID[17] != "0" else "1")
    clean, errors = validate_person_row({"name": "张伟", "id_number": wrong})
    assert [f for f, _ in errors] == ["id_number"]
    assert "birth_date" not in clean
