"""Reading an uploaded table (.xlsx, .xls, CSV in UTF-8/GBK/GB18030) into header-keyed rows, streaming."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import IO, Any
from xml.etree.ElementTree import iterparse

from django.utils.translation import gettext
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import from_excel

from .mapping import match_header


class FileFormatError(ValueError):
    """The file cannot be read as a table; `message` tells the user what to do, in the active language."""

    def __init__(self, message: str, *, code: str = "bad_file"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(slots=True)
class SourceRow:
    """One data row: its row number as the user sees it in Excel (or the record number in a CSV)."""

    row_number: int
    values: dict[str, str]
    raw: list[str]


@dataclass
class Table:
    headers: list[str]
    rows: list[SourceRow]
    skipped: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    blank_rows: int = 0
    header_row: int = 1  # row number of the (first) header row
    header_row_count: int = 1  # 2 for a two-row merged header
    title_lines: list[str] = field(default_factory=list)
    encoding: str | None = None
    sheet_name: str | None = None

    @property
    def physical_data_rows(self) -> int:
        """Rows below the header: every one is a data row, a skipped row (with its reason) or blank."""
        return len(self.rows) + len(self.skipped) + self.blank_rows


HEADER_SCAN_ROWS = 30
_TOTALS = re.compile(r"^(合\s*计|总\s*计|小\s*计|共\s*计|总\s*数|累\s*计)\s*[::]?")
_FOOTER = re.compile(
    r"^(制表人|制表|填表人|填报人|审核人|审核|负责人|制表日期|填报日期|填表日期|注|说明|备注)\s*[::]"
)
_DATA_LIKE = re.compile(r"\d{4,}")


def cell_text(value: Any) -> str:
    """A cell value as text, the same way for every format: dates as 1956-03-07, whole floats without .0."""
    if type(value) is str:
        return value.strip()  # str.strip() also removes full-width (U+3000) and no-break spaces
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    return str(value).strip()


# ---------------------------------------------------------------------------------------------- sources


def _open_binary(source: str | os.PathLike[str] | bytes | IO[bytes]) -> tuple[IO[bytes], bool]:
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source)), True
    if isinstance(source, str | os.PathLike):
        return open(source, "rb"), True
    return source, False


def _sniff_kind(stream: IO[bytes], filename: str) -> str:
    head = stream.read(8)
    stream.seek(0)
    extension = os.path.splitext(filename or "")[1].lower()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if extension in {".xlsx", ".xlsm", ".xls"}:
        sample = stream.read(2048).lstrip().lower()
        stream.seek(0)
        if sample.startswith((b"<", b"\xef\xbb\xbf<")):
            raise FileFormatError(
                gettext("这个文件扩展名是Excel,实际上是网页(HTML)格式;请用Excel打开后“另存为”.xlsx再上传"),
                code="html_as_excel",
            )
        raise FileFormatError(gettext("文件不是有效的Excel文件,可能已损坏;请用Excel打开后另存为.xlsx再上传"))
    if extension in {".csv", ".txt", ".tsv", ""}:
        return "csv"
    raise FileFormatError(
        gettext("不支持“%(extension)s”文件,请上传 .xlsx、.xls 或 .csv") % {"extension": extension},
        code="unsupported",
    )


_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _xlsx_merges(worksheet: Any) -> list[tuple[int, int, int, int]]:
    """Merged ranges (min_row, min_col, max_row, max_col), read from the sheet XML: read-only mode
    does not expose them, and they sit after all the rows, so the XML is scanned in chunks."""
    merges = []
    source = worksheet._get_source()
    try:
        tail = b""
        while chunk := source.read(1 << 20):
            data = tail + chunk
            last_end = 0
            for match in _MERGE_RE.finditer(data):
                c1, r1, c2, r2 = match.groups()
                merges.append(
                    (
                        int(r1),
                        column_index_from_string(c1.decode()),
                        int(r2),
                        column_index_from_string(c2.decode()),
                    )
                )
                last_end = match.end()
            tail = data[max(last_end, len(data) - 200) :]
    finally:
        source.close()
    return merges


def _apply_merges(
    rows: Iterable[tuple[int, list[Any]]], merges: list[tuple[int, int, int, int]]
) -> Iterator[tuple[int, list[Any]]]:
    """Copy each merged range's top-left value into every cell of the range (headers and data alike:
    a household's address is often merged down over its members)."""
    if not merges:
        yield from rows
        return
    by_row: dict[int, list[tuple[int, int, int, int]]] = {}
    for merge in merges:
        by_row.setdefault(merge[0], []).append(merge)
    pending: dict[int, dict[int, Any]] = {}
    for number, cells in rows:
        fills = pending.pop(number, {})
        for top, left, bottom, right in by_row.get(number, ()):
            value = cells[left - 1] if left - 1 < len(cells) else None
            for r in range(top, bottom + 1):
                target = fills if r == number else pending.setdefault(r, {})
                for c in range(left, right + 1):
                    if (r, c) != (top, left):
                        target[c] = value
        if fills:
            cells = list(cells)
            width = max(fills)
            if len(cells) < width:
                cells.extend([None] * (width - len(cells)))
            for c, value in fills.items():
                cells[c - 1] = value
        yield number, cells


def _xlsx_rows(stream: IO[bytes], sheet: str | int | None, notes: list[str]) -> tuple[Iterator, str, Any]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:
        raise FileFormatError(
            gettext("Excel文件无法打开,可能已损坏或有密码保护;请另存为.xlsx再上传")
        ) from exc
    visible = [ws for ws in workbook.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
    if isinstance(sheet, int):
        worksheet = workbook.worksheets[sheet]
    elif isinstance(sheet, str):
        if sheet not in workbook.sheetnames:
            raise FileFormatError(
                gettext("工作簿中没有名为“%(sheet)s”的工作表") % {"sheet": sheet}, code="no_sheet"
            )
        worksheet = workbook[sheet]
    else:
        worksheet = visible[0] if visible else workbook.worksheets[0]
        others = [ws.title for ws in visible if ws is not worksheet and (ws.max_row or 0) > 1]
        if others:
            notes.append(f"工作簿还有其他工作表({'、'.join(others)}),本次只读取了“{worksheet.title}”")
    try:
        merges = _xlsx_merges(worksheet)
    except Exception:  # private openpyxl API: degrade to no merge propagation, and say so
        merges = []
        notes.append("未能读取合并单元格信息,合并的单元格只在第一格有值")
    if all(hasattr(workbook, a) for a in ("_date_formats", "shared_strings", "epoch")) and hasattr(
        worksheet, "_get_source"
    ):
        return _apply_merges(_xlsx_sheet_rows(workbook, worksheet), merges), worksheet.title, workbook
    worksheet.reset_dimensions()

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, values in enumerate(worksheet.iter_rows(min_row=1, min_col=1, values_only=True), start=1):
            yield number, list(values)

    return _apply_merges(rows(), merges), worksheet.title, workbook


def _xlsx_sheet_rows(workbook: Any, worksheet: Any) -> Iterator[tuple[int, list[Any]]]:
    """The sheet's rows straight from its XML, about three times faster than openpyxl's cell objects.

    openpyxl has already read the shared strings, the date styles and the epoch; rows missing from the
    XML come out empty so that row numbers stay those Excel shows."""
    strings = workbook.shared_strings
    date_styles = workbook._date_formats
    epoch = workbook.epoch
    source = worksheet._get_source()
    columns: dict[str, int] = {}
    tags: dict[str, str] = {}
    cells: dict[int, Any] = {}
    expected = 1
    sheet_data = None
    try:
        # Expat ≥ 2.4 limits entity expansion and ElementTree never fetches external entities.
        for event, element in iterparse(source, events=("start", "end")):  # noqa: S314
            if event == "start":
                if not tags:
                    namespace = element.tag[: element.tag.index("}") + 1] if element.tag[0] == "{" else ""
                    tags = {n: namespace + n for n in ("c", "v", "row", "is", "t", "sheetData")}
                elif element.tag == tags["sheetData"]:
                    sheet_data = element
                continue
            tag = element.tag
            if tag == tags["c"]:
                kind = element.get("t")
                value: Any
                if kind == "inlineStr":
                    inline = element.find(tags["is"])
                    value = (
                        "".join(t.text or "" for t in inline.iter(tags["t"])) if inline is not None else None
                    )
                else:
                    text = element.findtext(tags["v"])
                    if not text:  # empty, or a formula never calculated
                        value = None
                    elif kind == "s":
                        value = strings[int(text)]
                    elif kind in {"str", "e", "d"}:
                        value = text
                    elif kind == "b":
                        value = text == "1"
                    else:
                        value = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
                        style = element.get("s")
                        if style is not None and int(style) in date_styles:
                            value = from_excel(value, epoch)
                reference = element.get("r")
                if reference:
                    letters = reference.rstrip("0123456789")
                    column = columns.get(letters)
                    if column is None:
                        column = columns[letters] = column_index_from_string(letters)
                else:
                    column = max(cells, default=0) + 1
                cells[column] = value
            elif tag == tags["row"]:
                number = int(element.get("r") or expected)
                while expected < number:
                    yield expected, []
                    expected += 1
                row: list[Any] = [None] * max(cells, default=0)
                for column, value in cells.items():
                    row[column - 1] = value
                yield number, row
                expected = number + 1
                cells = {}
                element.clear()
                if sheet_data is not None:
                    sheet_data.clear()  # drop finished rows so memory stays flat
    finally:
        source.close()


def _xls_rows(stream: IO[bytes], sheet: str | int | None, notes: list[str]) -> tuple[Iterator, str, Any]:
    import xlrd

    contents = stream.read()
    try:
        book = xlrd.open_workbook(file_contents=contents, formatting_info=True, on_demand=True)
    except NotImplementedError:  # formatting (merged cells) is only readable in Excel 97+ files
        notes.append("这是很旧的Excel格式,未能读取合并单元格信息,合并的单元格只在第一格有值")
        try:
            book = xlrd.open_workbook(file_contents=contents, on_demand=True)
        except Exception as exc:
            raise FileFormatError(
                gettext("旧版Excel(.xls)文件无法打开,可能已损坏;请另存为.xlsx再上传")
            ) from exc
    except Exception as exc:
        raise FileFormatError(gettext("旧版Excel(.xls)文件无法打开,可能已损坏;请另存为.xlsx再上传")) from exc
    if isinstance(sheet, str):
        if sheet not in book.sheet_names():
            raise FileFormatError(
                gettext("工作簿中没有名为“%(sheet)s”的工作表") % {"sheet": sheet}, code="no_sheet"
            )
        worksheet = book.sheet_by_name(sheet)
    else:
        worksheet = book.sheet_by_index(sheet or 0)
        if sheet is None and book.nsheets > 1:
            others = [n for i, n in enumerate(book.sheet_names()) if i and book.sheet_by_index(i).nrows > 1]
            if others:
                notes.append(f"工作簿还有其他工作表({'、'.join(others)}),本次只读取了“{worksheet.name}”")
    merges = [(rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in getattr(worksheet, "merged_cells", [])]

    def value(cell: Any) -> Any:
        if cell.ctype == xlrd.XL_CELL_DATE:
            try:
                return xlrd.xldate_as_datetime(cell.value, book.datemode)
            except Exception:
                return cell.value
        if cell.ctype == xlrd.XL_CELL_ERROR:
            return xlrd.error_text_from_code.get(cell.value, "#错误")
        if cell.ctype == xlrd.XL_CELL_BOOLEAN:
            return bool(cell.value)
        return cell.value

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for index in range(worksheet.nrows):
            yield index + 1, [value(c) for c in worksheet.row(index)]

    return _apply_merges(rows(), merges), worksheet.name, book


def detect_encoding(head: bytes) -> str:
    """utf-8 (with or without BOM), then GB18030 (what Chinese Excel writes as “CSV”), then a guess."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return "utf-8-sig" if encoding == "utf-8" else encoding
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None:
        raise FileFormatError(
            gettext("无法识别文件的字符编码;请在Excel中另存为“CSV UTF-8”后上传"), code="encoding"
        )
    return best.encoding


def _csv_rows(stream: IO[bytes], notes: list[str]) -> tuple[Iterator, str, io.TextIOWrapper]:
    head = stream.read(1 << 20)
    stream.seek(0)
    encoding = detect_encoding(head)
    sample = head[:65536].decode(encoding, errors="ignore")
    first_lines = sample.splitlines()[:10]
    counts = {d: sum(line.count(d) for line in first_lines) for d in (",", "\t", ";", "|")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    if delimiter != ",":
        notes.append(f"分隔符识别为“{'制表符' if delimiter == chr(9) else delimiter}”")
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")

    def rows() -> Iterator[tuple[int, list[Any]]]:
        reader = csv.reader(text, delimiter=delimiter)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except UnicodeDecodeError as exc:
            raise FileFormatError(
                gettext(
                    "文件第%(line)s行附近有无法识别的字符(文件按 %(encoding)s 读取);请在Excel中另存为“CSV UTF-8”后上传"
                )
                % {"line": number + 1, "encoding": encoding},
                code="encoding",
            ) from exc
        except csv.Error as exc:
            raise FileFormatError(
                gettext("CSV文件第%(line)s行格式有误(引号不成对?)") % {"line": number + 1}, code="csv"
            ) from exc

    return rows(), encoding, text


# ----------------------------------------------------------------------------------------- the reader


def _is_data_like(cell: str) -> bool:
    return bool(_DATA_LIKE.search(cell)) or bool(re.fullmatch(r"[\d.\-/: ]+", cell))


def _header_score(cells: list[str]) -> tuple[int, int]:
    """(cells naming a known field, distinct filled cells): a title merged across the row counts once."""
    filled = list(dict.fromkeys(c for c in cells if c))
    known = sum(1 for c in filled if match_header(c)[0] is not None)
    return known, len(filled)


def _is_subheader(top: list[str], bottom: list[str]) -> bool:
    filled = [c for c in bottom if c]
    if not filled or any(_is_data_like(c) for c in filled):
        return False
    grouped = 0
    for position, cell in enumerate(bottom):
        if not cell or match_header(cell)[0] is None:
            continue
        above = top[position] if position < len(top) else ""
        if not above or match_header(above)[0] is None:
            grouped += 1
    return grouped >= 1


class TableReader:
    """Rows of a table, read lazily. Use `open_table(...)`; iterate for SourceRow objects; `skipped`,
    `blank_rows` and `notes` fill as you go and are complete once iteration ends."""

    def __init__(
        self,
        source: str | os.PathLike[str] | bytes | IO[bytes],
        filename: str,
        *,
        sheet: str | int | None = None,
    ):
        self.notes: list[str] = []
        self.skipped: list[tuple[int, str]] = []
        self.blank_rows = 0
        self.encoding: str | None = None
        self.sheet_name: str | None = None
        self.title_lines: list[str] = []
        self._stream, self._owns_stream = _open_binary(source)
        self._workbook: Any = None
        self._text: io.TextIOWrapper | None = None
        try:
            kind = _sniff_kind(self._stream, filename)
            if kind == "xlsx":
                rows, self.sheet_name, self._workbook = _xlsx_rows(self._stream, sheet, self.notes)
            elif kind == "xls":
                rows, self.sheet_name, self._workbook = _xls_rows(self._stream, sheet, self.notes)
            else:
                rows, self.encoding, self._text = _csv_rows(self._stream, self.notes)
            self._rows = ((n, [cell_text(v) for v in cells]) for n, cells in rows)
            self._find_header()
        except BaseException:
            self.close()
            raise

    def _find_header(self) -> None:
        buffered: list[tuple[int, list[str]]] = []
        for item in self._rows:
            buffered.append(item)
            if len(buffered) >= HEADER_SCAN_ROWS:
                break
        nonblank = [(n, cells) for n, cells in buffered if any(cells)]
        if not nonblank:
            raise FileFormatError(gettext("文件中没有数据"), code="empty_file")
        widest = max(_header_score(cells)[1] for _, cells in nonblank)
        chosen = None
        for index, (_n, cells) in enumerate(nonblank):
            known, filled = _header_score(cells)
            if known >= 2 or (known >= 1 and filled == 1 and widest == 1):
                chosen = index
                break
        if chosen is None:
            for index, (_n, cells) in enumerate(nonblank):
                distinct = list(dict.fromkeys(c for c in cells if c))
                if len(distinct) >= max(2, widest // 2) and not any(_is_data_like(c) for c in distinct):
                    chosen = index
                    break
        if chosen is None:
            chosen = 0
            self.notes.append("没有找到可识别的表头,已把第一行当作表头")
        header_number, header_cells = nonblank[chosen]
        for n, cells in nonblank[:chosen]:
            line = " ".join(dict.fromkeys(c for c in cells if c))
            self.title_lines.append(line)
            self.notes.append(f"第{n}行“{line}”在表头之上,视为标题,未导入")
        self.header_row = header_number
        self.header_row_count = 1
        position = next(i for i, (n, _) in enumerate(buffered) if n == header_number)
        rest = buffered[position + 1 :]
        combined = header_cells
        if rest and rest[0][0] == header_number + 1 and _is_subheader(header_cells, rest[0][1]):
            bottom = rest[0][1]
            width = max(len(header_cells), len(bottom))
            top = header_cells + [""] * (width - len(header_cells))
            bottom = bottom + [""] * (width - len(bottom))
            combined = [b or t for t, b in zip(top, bottom, strict=True)]
            seen: dict[str, list[int]] = {}
            for i, name in enumerate(combined):
                seen.setdefault(name, []).append(i)
            for name, positions in seen.items():
                if name and len(positions) > 1:
                    for i in positions:
                        if top[i] and top[i] != bottom[i]:
                            combined[i] = f"{top[i]}/{bottom[i]}"
            self.header_row_count = 2
            self.notes.append(f"第{header_number}-{header_number + 1}行是两行合并的表头,已合成一行")
            rest = rest[1:]
        self.headers, self._width = self._name_headers(combined)
        self._raw_headers = combined[: self._width]
        self._pending = rest
        self._extra_cells_rows: list[int] = []

    def _name_headers(self, cells: list[str]) -> tuple[list[str], int]:
        width = max((i + 1 for i, c in enumerate(cells) if c), default=0)
        headers: list[str] = []
        used: set[str] = set()
        for i in range(width):
            name = cells[i] or f"列{get_column_letter(i + 1)}"
            base, k = name, 2
            while name in used:
                name = f"{base}({k})"
                k += 1
            used.add(name)
            headers.append(name)
        return headers, width

    def _classify(self, number: int, cells: list[str]) -> SourceRow | None:
        filled = [c for c in cells if c]
        if not filled:
            self.blank_rows += 1
            return None
        first = filled[0]
        if any(_TOTALS.match(c) for c in filled[:3]):
            self.skipped.append(
                (number, f"合计行(“{next(c for c in filled[:3] if _TOTALS.match(c))}”),不是人员记录")
            )
            return None
        if len(filled) <= 3 and _FOOTER.match(first):
            self.skipped.append((number, f"表尾说明行(“{first[:20]}”),不是人员记录"))
            return None
        if cells[: self._width] == self._raw_headers or (
            len(filled) >= 2 and [c for c in cells[: self._width]] == self.headers
        ):
            self.skipped.append((number, "重复的表头行"))
            return None
        width = self._width
        if len(cells) > width and any(cells[width:]):
            self._extra_cells_rows.append(number)
        padded = cells[:width] + [""] * (width - len(cells))
        raw = cells if len(cells) >= width else padded
        return SourceRow(number, dict(zip(self.headers, padded, strict=True)), raw)

    def __iter__(self) -> Iterator[SourceRow]:
        try:
            for source in (self._pending, self._rows):
                for number, cells in source:
                    row = self._classify(number, cells)
                    if row is not None:
                        yield row
            self._pending = []
            if self._extra_cells_rows:
                shown = "、".join(str(n) for n in self._extra_cells_rows[:5])
                more = "等" if len(self._extra_cells_rows) > 5 else ""
                self.notes.append(
                    f"第{shown}{more}行({len(self._extra_cells_rows)}行)在表头以外的列还有内容,这些内容未导入"
                )
        finally:
            self.close()

    def close(self) -> None:
        if self._workbook is not None:
            try:
                if hasattr(self._workbook, "close"):
                    self._workbook.close()
                elif hasattr(self._workbook, "release_resources"):
                    self._workbook.release_resources()
            finally:
                self._workbook = None
        if self._text is not None:
            if not self._owns_stream and not self._text.closed:
                self._text.detach()  # leave the caller's file open
            self._text = None
        if self._owns_stream and not self._stream.closed:
            self._stream.close()

    def __enter__(self) -> TableReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_table(
    source: str | os.PathLike[str] | bytes | IO[bytes], filename: str, *, sheet: str | int | None = None
) -> TableReader:
    """Open a table for streaming: `headers` are known at once, rows come as you iterate."""
    return TableReader(source, filename, sheet=sheet)


def read_table(
    source: str | os.PathLike[str] | bytes | IO[bytes], filename: str, *, sheet: str | int | None = None
) -> Table:
    """Read a whole table (for previews and small files; stream big ones with `open_table`)."""
    with open_table(source, filename, sheet=sheet) as reader:
        rows = list(reader)
        return Table(
            headers=reader.headers,
            rows=rows,
            skipped=reader.skipped,
            notes=reader.notes,
            blank_rows=reader.blank_rows,
            header_row=reader.header_row,
            header_row_count=reader.header_row_count,
            title_lines=reader.title_lines,
            encoding=reader.encoding,
            sheet_name=reader.sheet_name,
        )
