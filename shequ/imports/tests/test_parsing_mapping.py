"""Column-mapping suggestions from the headers people write."""

import pytest

from shequ.imports.parsing import FIELDS, normalize_header, suggest_mapping


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("姓名", "name"),
        ("名字", "name"),
        ("身份证号", "id_number"),
        ("公民身份号码", "id_number"),
        ("证件号码", "id_number"),
        ("身份证", "id_number"),
        ("手机", "phone"),
        ("联系电话", "phone"),
        ("电话号码", "phone"),
        ("住址", "address"),
        ("现住址", "address"),
        ("居住地址", "address"),
        ("房号", "address"),
        ("性别", "sex"),
        ("出生日期", "birth_date"),
        ("出生年月", "birth_date"),
        ("民族", "ethnicity"),
        ("户籍地", "hukou_region"),
        ("户籍所在地", "hukou_region"),
        ("与户主关系", "relation_to_head"),
        ("业主/租户", "role"),
        ("人员类别", "tags"),
        ("标签", "tags"),
        ("备注", "notes"),
        ("户号", "household_key"),
        # small variations
        ("姓 名", "name"),
        ("姓名(必填)", "name"),
        ("*身份证号码", "id_number"),
        ("联系电话:", "phone"),
        ("ＩＤ", "source_record_id"),
        ("身分证号码", "id_number"),
        ("户主身份证号码", "id_number"),
        ("手机号码(选填)", "phone"),
    ],
)
def test_single_header(header, field):
    assert suggest_mapping([header]) == {header: field}


def test_unknown_headers_map_to_nothing():
    assert suggest_mapping(["序号", "年龄", "行号", "错误原因"]) == dict.fromkeys(
        ["序号", "年龄", "行号", "错误原因"]
    )


def test_each_field_goes_to_one_header_the_best_one():
    mapping = suggest_mapping(["手机", "联系电话"])
    assert sorted(v for v in mapping.values() if v) == ["phone"]


def test_head_name_is_the_household_when_a_name_column_exists():
    assert suggest_mapping(["户主姓名", "姓名"]) == {"户主姓名": "household_key", "姓名": "name"}
    assert suggest_mapping(["户主姓名", "身份证号"]) == {"户主姓名": "name", "身份证号": "id_number"}


def test_standard_field_labels_map_to_their_fields():
    from shequ.imports.parsing import FIELD_LABELS

    for field in FIELDS:
        if field == "role":
            continue
        assert suggest_mapping([FIELD_LABELS[field]])[FIELD_LABELS[field]] == field


def test_normalize_header():
    assert normalize_header(" 身份证号码(必填)* ") == "身份证号码"
    assert normalize_header("ＰＨＯＮＥ") == "phone"
