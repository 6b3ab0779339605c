"""Files handed to the user by the import pages and the API: an .xlsx workbook as an attachment."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook

from shequ.core.spreadsheets import text_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(content: bytes, filename: str) -> HttpResponse:
    """The workbook bytes as an attachment named `filename` (UTF-8, so Chinese names survive)."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def xlsx_response(filename: str, rows: Iterable[Iterable[Any]], *, title: str = "Sheet1") -> HttpResponse:
    """The rows as a one-sheet workbook (None → empty cell, everything else as text, never a formula)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    for line in rows:
        sheet.append([text_cell(sheet, v) for v in line])
    out = io.BytesIO()
    workbook.save(out)
    return xlsx_download(out.getvalue(), filename)
