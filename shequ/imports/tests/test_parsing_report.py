"""A whole bad file through the parsing layer: every rejected row reported, and the Excel error report."""

import io
from datetime import date

import openpyxl

from shequ.core import idnumbers
from shequ.imports.parsing import (
    PlaceIndex,
    apply_mapping,
    read_table,
    suggest_mapping,
    validate_person_row,
    write_error_report,
)

GOOD_ID = idnumbers.make("110105", date(1956, 3, 7), 11, female=False)
WRONG_CHECK = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
PLACES = PlaceIndex.from_compounds([{"key": 1, "name": "阳光花园", "buildings": {"12": 12}}])


def _bad_file():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["阳光社区2024年入户走访登记表"])
    ws.append(["姓名", "性别", "身份证号", "出生日期", "手机", "住址", "民族"])
    rows = [
        ["张伟", "男", GOOD_ID, "1956.3.7", "13800138000", "阳光花园12-3-1502", "汉"],  # good
        ["李四", "男", WRONG_CHECK, "", "13800138001", "阳光花园12-3-1502", "汉"],  # check digit
        ["王五", "男", GOOD_ID, "1960年1月1日", "13800138002", "阳光花园12-3-1502", ""],  # birth vs ID
        ["赵六", "男", "", "", "12345", "阳光花园12-3-1502", ""],  # impossible phone
        ["钱七", "女", "", "56.3.7", "", "阳光花园12-3-1502", ""],  # two-digit year
        ["孙八", "女", "", "1956.2.30", "", "阳光花园12-3-1502", ""],  # no such date
        ["周九", "女", "", "", "", "星河湾3-1-101", ""],  # unknown place
        ['=HYPERLINK("x")', "女", "", "", "", "阳光花园12-1-101", "火星族"],  # formula-looking name
    ]
    for row in rows:
        ws.append(row)
    ws.cell(ws.max_row, 1).data_type = "s"  # the text “=HYPERLINK(…)”, as a user may type it
    ws.append([])
    ws.append(["合计", "8人"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), len(rows)


def test_every_bad_row_is_reported_with_its_reason_and_nothing_is_dropped(tmp_path):
    data, person_rows = _bad_file()
    table = read_table(data, "visit.xlsx")
    assert table.physical_data_rows == person_rows + 2  # + blank + totals
    assert table.blank_rows == 1 and len(table.skipped) == 1
    mapping = suggest_mapping(table.headers)
    accepted, rejected = [], []
    for row in table.rows:
        clean, errors = validate_person_row(apply_mapping(row.values, mapping), places=PLACES)
        (rejected if errors else accepted).append((row, clean, errors))
    assert [r.values["姓名"] for r, _, _ in accepted] == ["张伟"]
    assert len(accepted) + len(rejected) == person_rows
    reasons = {row.values["姓名"]: " ".join(m for _, m in errors) for row, _, errors in rejected}
    assert "校验位" in reasons["李四"]
    assert "1960-01-01" in reasons["王五"] and "证件号码" in reasons["王五"]
    assert "手机号" in reasons["赵六"] or "电话" in reasons["赵六"]
    assert "两位" in reasons["钱七"]
    assert "不是存在的日期" in reasons["孙八"]
    assert "小区" in reasons["周九"]
    assert "民族" in reasons['=HYPERLINK("x")'] and "数字" not in reasons['=HYPERLINK("x")']

    out = tmp_path / "errors.xlsx"
    written = write_error_report(
        table.headers,
        ((row.row_number, row.raw, errors) for row, _, errors in rejected),
        out,
    )
    assert written == len(rejected)
    sheet = openpyxl.load_workbook(out).active
    lines = list(sheet.iter_rows(values_only=True))
    assert list(lines[0]) == [*table.headers, "行号", "错误原因"]
    by_name = {line[0]: line for line in lines[1:]}
    assert by_name["李四"][2] == WRONG_CHECK  # ID kept as text, all 18 digits
    assert by_name["李四"][-2] == 4  # the row number in the original file
    assert by_name["李四"][-1] == "证件号码校验位不正确,请核对"
    assert by_name["周九"][-1].startswith("【居住地址】")  # the field is named when the message does not
    assert '=HYPERLINK("x")' in by_name  # written as text, not as a formula
    assert sheet.cell(len(lines), 1).value == '=HYPERLINK("x")'
    assert sheet.cell(len(lines), 1).data_type == "s"

    # The corrected report can be imported again: the extra columns map to nothing.
    again = read_table(out.read_bytes(), "errors.xlsx")
    assert len(again.rows) == len(rejected)
    assert suggest_mapping(again.headers)["错误原因"] is None
    assert suggest_mapping(again.headers)["行号"] is None


def test_report_accepts_plain_messages_and_short_rows():
    buffer = io.BytesIO()
    write_error_report(["姓名", "住址"], [(5, ["张伟"], ["合计行"]), (6, ["王五", "x", "extra"], [])], buffer)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert list(sheet.iter_rows(values_only=True))[1:] == [
        ("张伟", None, 5, "合计行"),
        ("王五", "x", 6, None),
    ]
