"""The Excel error report: the rejected rows with their original columns, row number and reasons."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from shequ.core.spreadsheets import text_cell as _text_cell

Reason = str | tuple[str, str]

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REASON_FILL = PatternFill("solid", fgColor="FCE4D6")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _reason_text(reasons: Iterable[Reason], field_labels: dict[str, str] | None) -> str:
    parts = []
    for reason in reasons:
        if isinstance(reason, tuple):
            field, message = reason
            label = (field_labels or {}).get(field, "")
            parts.append(f"【{label}】{message}" if label and label not in message else message)
        else:
            parts.append(str(reason))
    return ";".join(parts)


def write_error_report(
    original_headers: Sequence[str],
    rejected_rows: Iterable[tuple[int, Sequence[Any], Iterable[Reason]]],
    out: str | os.PathLike[str] | IO[bytes],
    *,
    field_labels: dict[str, str] | None = None,
    sheet_title: str = "未导入的行",
) -> int:
    """Write an .xlsx of the rejected rows: the original columns, then “行号” and “错误原因”.

    `rejected_rows` yields (row number in the file, the row's original cells, reasons), a reason being a
    message or (field, message). The file can be corrected and imported again: the extra columns map to
    no field. Written in write-only mode, so memory stays flat. Returns the number of rows written."""
    if field_labels is None:
        from .mapping import FIELD_LABELS

        field_labels = FIELD_LABELS
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title)
    width = len(original_headers)
    for index in range(width):
        sheet.column_dimensions[_letter(index + 1)].width = 16
    sheet.column_dimensions[_letter(width + 1)].width = 8
    sheet.column_dimensions[_letter(width + 2)].width = 60
    sheet.freeze_panes = "A2"
    header = [_text_cell(sheet, h, font=_HEADER_FONT, fill=_HEADER_FILL) for h in original_headers]
    header.append(_text_cell(sheet, "行号", font=_HEADER_FONT, fill=_HEADER_FILL))
    header.append(_text_cell(sheet, "错误原因", font=_HEADER_FONT, fill=_REASON_FILL))
    sheet.append(header)
    count = 0
    for row_number, raw, reasons in rejected_rows:
        cells = list(raw)[:width] + [""] * max(0, width - len(raw))
        line = [_text_cell(sheet, v) for v in cells]
        line.append(row_number)
        line.append(_text_cell(sheet, _reason_text(reasons, field_labels), alignment=_WRAP))
        sheet.append(line)
        count += 1
    workbook.save(out)
    return count


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
