"""Cells of the spreadsheets shequ hands out. Every value is written as text: a value such as “=HYPERLINK(…)”,
“+1-2”, “-3+4” or “@SUM(…)” typed by a resident or imported from a file must never become a formula in the
worker's Excel (CSV/formula injection), and an ID number must not turn into a float."""

from __future__ import annotations

from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def text_cell(sheet: Any, value: Any, **style: Any) -> WriteOnlyCell:
    """A write-only text cell for `sheet` (None → empty); characters Excel refuses are dropped."""
    text = "" if value is None else ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell
