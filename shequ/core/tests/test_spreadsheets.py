"""Spreadsheets handed out never carry a formula: cells beginning = + - @ stay text (formula injection)."""

import io

from openpyxl import load_workbook

from shequ.imports.downloads import xlsx_response
from shequ.imports.parsing import write_error_report

DANGEROUS = ['=HYPERLINK("http://x","点我")', "+1-2", "-3+4", "@SUM(A1:A2)", "=1+1"]


def _cells(content: bytes):
    sheet = load_workbook(io.BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row]


def test_an_export_writes_formula_like_values_as_text():
    response = xlsx_response(
        "x.xlsx", [["姓名", *DANGEROUS], ["张三", "110101199003077777", None, 5, "ok", ""]]
    )
    cells = _cells(response.content)
    assert [c.value for c in cells[1:6]] == DANGEROUS
    assert all(c.data_type == "s" for c in cells if c.value not in (None, ""))
    assert cells[7].value == "110101199003077777"


def test_the_error_report_writes_formula_like_values_as_text():
    out = io.BytesIO()
    write_error_report(["姓名", "电话"], [(2, DANGEROUS[:2], ["电话格式不正确"])], out)
    cells = _cells(out.getvalue())
    values = [c.value for c in cells]
    assert DANGEROUS[0] in values and DANGEROUS[1] in values
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
