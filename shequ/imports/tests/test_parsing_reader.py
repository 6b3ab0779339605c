"""Reading bad files: encodings, .xls, title rows, merged two-row headers, blank and totals rows."""

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest
import xlwt
from hypothesis import given, settings
from hypothesis import strategies as st

from shequ.core import idnumbers
from shequ.imports.parsing import FileFormatError, open_table, read_table, suggest_mapping

ID_1 = idnumbers.make("110105", date(1956, 3, 7), 11, female=False)
ID_2 = idnumbers.make("510107", date(1988, 12, 1), 22, female=True)

HEADERS = ["序号", "姓名", "性别", "身份证号码", "联系电话", "现住址"]
PEOPLE = [
    ["1", "张伟", "男", ID_1, "13800138000", "阳光花园12-3-1502"],
    ["2", "李娜", "女", ID_2, "13900139000", "阳光花园3栋1单元201"],
]


def csv_bytes(rows, encoding):
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def assert_accounted(table, physical_data_rows):
    assert len(table.rows) + len(table.skipped) + table.blank_rows == physical_data_rows
    assert table.physical_data_rows == physical_data_rows


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_chinese_excel_writes(encoding):
    table = read_table(csv_bytes([HEADERS, *PEOPLE], encoding), "people.csv")
    assert table.headers == HEADERS
    assert [r.values["姓名"] for r in table.rows] == ["张伟", "李娜"]
    assert table.rows[0].values["身份证号码"] == ID_1
    assert table.rows[0].row_number == 2
    assert table.encoding in {"utf-8-sig", "gb18030"}
    assert_accounted(table, 2)


def test_bom_is_not_part_of_the_first_header():
    table = read_table(csv_bytes([HEADERS, *PEOPLE], "utf-8-sig"), "people.csv")
    assert table.headers[0] == "序号"


def test_gb18030_only_characters_survive():
    rows = [["姓名", "住址"], ["𠮷野家", "阳光花园1-1-101"]]  # 𠮷 is outside GBK
    table = read_table(csv_bytes(rows, "gb18030"), "x.csv")
    assert table.rows[0].values["姓名"] == "𠮷野家"


def test_tab_separated_utf16_from_excel_unicode_text():
    text = "\n".join("\t".join(r) for r in [HEADERS, *PEOPLE])
    table = read_table(text.encode("utf-16"), "people.txt")
    assert table.headers == HEADERS
    assert len(table.rows) == 2


def test_csv_with_title_rows_blank_rows_and_totals():
    rows = [
        ["阳光社区人口登记表", "", "", "", "", ""],
        ["填报单位:阳光社区居委会", "", "", "", "填报日期:2024-05-01", ""],
        HEADERS,
        PEOPLE[0],
        ["", "", "", "", "", ""],
        PEOPLE[1],
        ["", "", "", "", "", ""],
        ["合计", "", "", "", "", ""],
        ["共计 2 人", "", "", "", "", ""],
        ["制表人:王芳", "", "", "审核人:李强", "", ""],
    ]
    table = read_table(csv_bytes(rows, "gbk"), "ledger.csv")
    assert table.header_row == 3
    assert table.headers == HEADERS
    assert [r.row_number for r in table.rows] == [4, 6]
    assert table.blank_rows == 2
    reasons = dict(table.skipped)
    assert set(reasons) == {8, 9, 10}
    assert "合计" in reasons[8] and "共计" in reasons[9] and "表尾" in reasons[10]
    assert table.title_lines[0] == "阳光社区人口登记表"
    assert any("标题" in note for note in table.notes)
    assert_accounted(table, len(rows) - 3)


def test_repeated_header_row_in_the_middle_is_reported():
    rows = [HEADERS, PEOPLE[0], HEADERS, PEOPLE[1]]
    table = read_table(csv_bytes(rows, "utf-8"), "x.csv")
    assert table.skipped == [(3, "重复的表头行")]
    assert_accounted(table, 3)


def test_cells_beyond_the_header_are_noted_not_dropped_silently():
    rows = [HEADERS, [*PEOPLE[0], "多余的内容"]]
    table = read_table(csv_bytes(rows, "utf-8"), "x.csv")
    assert table.rows[0].raw[-1] == "多余的内容"
    assert any("表头以外" in note for note in table.notes)


def test_empty_file_and_unsupported_type_are_clear_errors():
    with pytest.raises(FileFormatError, match="没有数据"):
        read_table(b"\n\n,,\n", "empty.csv")
    with pytest.raises(FileFormatError, match="不支持"):
        read_table(b"%PDF-1.4", "x.pdf")
    with pytest.raises(FileFormatError, match="HTML"):
        read_table(b"<html><table><tr><td>1</td></tr></table></html>", "export.xls")
    with pytest.raises(FileFormatError, match="无法打开|不是有效"):
        read_table(b"PK\x03\x04garbage", "broken.xlsx")


def _ledger_workbook():
    """A register as a street office makes it: title, a two-row merged header, merged address, totals."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "人口"
    ws.append(["阳光社区人口登记表"])
    ws.merge_cells("A1:G1")
    ws.append(["序号", "基本信息", None, None, "联系方式", None, "出生日期"])
    ws.append([None, "姓名", "性别", "公民身份号码", "联系电话", "住址", None])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:D2")
    ws.merge_cells("E2:F2")
    ws.merge_cells("G2:G3")
    ws.append([1, "张伟", "男", ID_1, 13800138000, "阳光花园12-3-1502", datetime(1956, 3, 7)])
    ws.append([2, "张丽", "女", ID_2, "13900139000", None, 32478])  # address merged from above
    ws.merge_cells("F4:F5")
    ws.append([])
    ws.append(["合计", None, None, None, None, None, None])
    ws.append(["注:本表由社区网格员填写", None])
    return wb


def _xlsx_bytes(wb):
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_xlsx_title_rows_and_two_row_merged_header():
    table = read_table(_xlsx_bytes(_ledger_workbook()), "ledger.xlsx")
    assert table.header_row == 2 and table.header_row_count == 2
    assert table.headers == ["序号", "姓名", "性别", "公民身份号码", "联系电话", "住址", "出生日期"]
    mapping = suggest_mapping(table.headers)
    assert mapping["姓名"] == "name" and mapping["公民身份号码"] == "id_number"
    first, second = table.rows
    assert first.row_number == 4
    assert first.values["联系电话"] == "13800138000"  # a number cell, without “.0”
    assert first.values["出生日期"] == "1956-03-07"  # datetime cells as ISO dates
    assert second.values["住址"] == "阳光花园12-3-1502"  # merged down over the household
    assert second.values["出生日期"] == "32478"  # a serial left for the date parser
    assert table.blank_rows == 1
    assert [n for n, _ in table.skipped] == [7, 8]
    assert table.sheet_name == "人口"
    # rows 4..8 lie below the two header rows
    assert_accounted(table, 5)


def test_xlsx_streams_rows_lazily():
    with open_table(_xlsx_bytes(_ledger_workbook()), "ledger.xlsx") as reader:
        assert reader.headers[1] == "姓名"
        rows = iter(reader)
        assert next(rows).values["姓名"] == "张伟"


def test_xlsx_other_sheets_are_mentioned():
    wb = _ledger_workbook()
    other = wb.create_sheet("流动人口")
    other.append(["姓名"])
    other.append(["王五"])
    table = read_table(_xlsx_bytes(wb), "x.xlsx")
    assert any("流动人口" in note for note in table.notes)
    table = read_table(_xlsx_bytes(wb), "x.xlsx", sheet="流动人口")
    assert table.rows[0].values["姓名"] == "王五"


def test_xlsx_header_not_on_row_one_with_blank_columns_before_data():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C3"] = "姓名"
    ws["D3"] = "手机号码"
    ws["C4"] = "赵六"
    ws["D4"] = "13700137000"
    table = read_table(_xlsx_bytes(wb), "x.xlsx")
    assert table.header_row == 3
    assert table.rows[0].values["姓名"] == "赵六"
    assert table.headers == ["列A", "列B", "姓名", "手机号码"]


def _xls_bytes():
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    sheet.write_merge(0, 0, 0, 5, "阳光社区人口登记表")
    for col, header in enumerate(HEADERS):
        sheet.write(1, col, header)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, person in enumerate(PEOPLE, start=2):
        for col, value in enumerate(person):
            sheet.write(r, col, value)
    sheet.write(2, 6, datetime(1956, 3, 7), date_style)
    sheet.write(1, 6, "出生日期")
    sheet.write(5, 0, "总计:2人")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xls():
    table = read_table(_xls_bytes(), "old.xls")
    assert table.header_row == 2
    assert table.headers == [*HEADERS, "出生日期"]
    assert table.rows[0].values["姓名"] == "张伟"
    assert table.rows[0].values["出生日期"] == "1956-03-07"
    assert table.rows[0].values["身份证号码"] == ID_1
    assert table.blank_rows == 1
    assert table.skipped == [(6, "合计行(“总计:2人”),不是人员记录")]
    assert_accounted(table, 4)


def test_xls_content_with_xlsx_name_is_read_by_content():
    table = read_table(_xls_bytes(), "misnamed.xlsx")
    assert len(table.rows) == 2


def test_path_and_file_object_sources(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(csv_bytes([HEADERS, *PEOPLE], "gbk"))
    assert len(read_table(path, path.name).rows) == 2
    with path.open("rb") as handle:
        assert len(read_table(handle, "p.csv").rows) == 2


def test_large_csv_streams_without_materialising(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for i in range(20000):
            writer.writerow([i, "张伟", "男", ID_1, "13800138000", "阳光花园12-3-1502"])
        writer.writerow(["合计", "", "", "", "", ""])
    count = 0
    with open_table(path, "big.csv") as reader:
        for count, row in enumerate(reader, start=1):
            assert row.values["姓名"] == "张伟"
        assert reader.skipped == [(20002, "合计行(“合计”),不是人员记录")]
    assert count == 20000


def test_undecodable_bytes_late_in_a_file_are_a_clear_error():
    good = csv_bytes([HEADERS, *PEOPLE], "utf-8") * 1
    data = good + b"\xff\xfe\xfa,bad\n"
    with pytest.raises(FileFormatError, match="无法识别的字符|编码"):
        read_table(good + b"x" * (1 << 20) + data, "x.csv")


_cell = st.text(alphabet="张王李赵阳光花园男女0123456789-., ", max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    body=st.lists(
        st.one_of(
            st.lists(_cell, min_size=6, max_size=6).map(lambda r: ["x", *r[1:]]),
            st.just(["", "", "", "", "", ""]),
            st.just(["合计", "", "", "", "", ""]),
        ),
        max_size=25,
    ),
    titles=st.integers(0, 3),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
)
def test_every_row_below_the_header_is_accounted_for(body, titles, encoding):
    rows = [[f"标题{i}"] + [""] * 5 for i in range(titles)] + [HEADERS] + body
    table = read_table(csv_bytes(rows, encoding), "x.csv")
    assert table.header_row == titles + 1
    assert table.physical_data_rows == len(body)
    assert all(row.values["序号"] == "x" for row in table.rows)
    numbers = [r.row_number for r in table.rows] + [n for n, _ in table.skipped]
    assert len(set(numbers)) == len(numbers)


def test_unknown_headers_fall_back_to_the_first_text_row_below_a_merged_title():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["物资清单"])
    ws.merge_cells("A1:C1")
    ws.append(["物品", "数量", "单价"])
    ws.append(["口罩", 100, 1.5])
    table = read_table(_xlsx_bytes(wb), "x.xlsx")
    assert table.header_row == 2
    assert table.rows[0].values == {"物品": "口罩", "数量": "100", "单价": "1.5"}


def test_corrupt_xls_is_a_clear_error():
    with pytest.raises(FileFormatError, match="xls"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.xls")


def test_fast_xlsx_rows_read_what_openpyxl_reads():
    from shequ.imports.parsing.reader import _xlsx_sheet_rows, cell_text

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["文本", "整数", "小数", "日期", "时间", "真假", "公式", "空"])
    ws.append(["张伟", 13800138000, 1.25, date(1956, 3, 7), datetime(2024, 5, 1, 8, 30), True, "=1+1", None])
    ws.append([])
    ws.append([None, None, 3])
    ws["J7"] = "远处"
    book = openpyxl.load_workbook(io.BytesIO(_xlsx_bytes(wb)), read_only=True, data_only=True)
    sheet = book.worksheets[0]
    fast = [(n, [cell_text(v) for v in row]) for n, row in _xlsx_sheet_rows(book, sheet)]
    sheet.reset_dimensions()
    slow = [
        (n, [cell_text(v) for v in row])
        for n, row in enumerate(sheet.iter_rows(min_row=1, min_col=1, values_only=True), start=1)
    ]
    book.close()

    def trim(rows):
        return [(n, cells[: max((i + 1 for i, c in enumerate(cells) if c), default=0)]) for n, cells in rows]

    assert trim(fast) == trim(slow)
    assert trim(fast)[1][1][:6] == ["张伟", "13800138000", "1.25", "1956-03-07", "2024-05-01 08:30:00", "是"]
    assert [n for n, _ in fast] == list(range(1, 8))


def test_a_callers_file_object_stays_open():
    handle = io.BytesIO(csv_bytes([HEADERS, *PEOPLE], "gbk"))
    assert len(read_table(handle, "p.csv").rows) == 2
    assert not handle.closed
