"""Column-at-a-time validation of a chunk of import rows (the PostgreSQL fast path's inner loop).

A chunk's cells are turned into Arrow columns; each field is parsed once per *distinct* cell text with the same
parsers as `pipeline.process_row` (sexes, relations, dates, addresses repeat on every row), ID numbers and phones
are checked with vector arithmetic and RE2 in C, and the JSON documents and COPY lines of the rows are
concatenated column by column. Only rows that are good in every respect take this road: any row with a problem,
or with a cell outside the shapes checked here (a 15-digit ID, a landline, two phones, a cell holding a quote, an
ID number missing …), is handed to `process_row` itself, so a rejected row's reasons are exactly the per-row
path's. `tests/test_columnar.py` checks the two against each other on thousands of generated rows.

Python work left per row: three HMACs (ID, phone, fingerprint) and one AES-GCM seal."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shequ.core import idnumbers
from shequ.imports.parsing.address import AddressError
from shequ.imports.parsing.values import CellParsers
from shequ.imports.pipeline import RELATIONS, TAGS, _masked_cells, keyed_hash, process_row, seal

_ID18 = r"^[0-9]{17}[0-9X]$"
_MOBILE = r"^1[3-9][0-9]{9}$"
_NEEDS_JSON_ESCAPE = r'["\\\x00-\x1f]'
_LONG_DIGITS = r"\p{Nd}{7}"  # Python's \d is any Unicode decimal digit; so is \p{Nd}
_WEIGHTS = np.array(idnumbers.WEIGHTS, dtype=np.int64)
_CHECK = np.frombuffer(idnumbers.CHECK_CHARS.encode(), dtype=np.uint8)
_TEXT_FIELDS = ("household_key", "hukou_region", "notes", "source_record_id")


@dataclass
class ChunkResult:
    """Per row of the chunk: status, fingerprint, and the COPY text of raw, sealed, clean and reasons."""

    row_numbers: list[int]
    statuses: list[str]
    fingerprints: list[str]
    raw_json: list[str]
    sealed: list[str]
    clean_json: list[str]
    reasons_json: list[str]
    dwellings: list[int | None]
    fallback_rows: int


def _json_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _per_distinct(column: pa.Array, fn: Callable[[Any], Any]) -> tuple[list[Any], np.ndarray]:
    """fn applied to each distinct value of the column: (results, index of each row's value in results)."""
    encoded = pc.dictionary_encode(column)
    results = [fn(v) for v in encoded.dictionary.to_pylist()]
    return results, encoded.indices.to_numpy(zero_copy_only=False)


def _take(values: list[Any], indices: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.string()).take(pa.array(indices))


def _fill_where(column: pa.Array, where: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    """The column with fn(cell) in place of each cell where `where` holds (fn run once per distinct cell)."""
    picked = pc.filter(column, where)
    results, idx = _per_distinct(picked, fn)
    return pc.replace_with_mask(column, where, _take(results, idx))


def _json_cells(column: pa.Array) -> pa.Array:
    """json.dumps(cell, ensure_ascii=False) of every cell, in C unless a cell holds a quote, backslash or control."""
    quoted = pc.binary_join_element_wise('"', column, '"', "")
    needs = pc.match_substring_regex(column, _NEEDS_JSON_ESCAPE)
    if not pc.any(needs).as_py():
        return quoted
    return _fill_where(quoted, needs, lambda q: _json_str(q[1:-1]))


def _masked_column(column: pa.Array) -> pa.Array:
    """pii.scrub of every cell (the scrub of a row is the scrub of each of its cells: no match crosses a cell).
    An 18-character ID number becomes its first three characters and 11 stars, a mobile 138****1234."""
    from shequ.core import pii

    long = pc.match_substring_regex(column, _LONG_DIGITS)
    if not pc.any(long).as_py():
        return column
    id_shaped = pc.match_substring_regex(column, r"^[0-9]{17}[0-9Xx]$")
    mobile = pc.match_substring_regex(column, _MOBILE)
    out = pc.if_else(
        id_shaped,
        pc.binary_join_element_wise(pc.utf8_slice_codeunits(column, 0, 3), "***********", ""),
        pc.if_else(
            mobile,
            pc.binary_join_element_wise(
                pc.utf8_slice_codeunits(column, 0, 3), "****", pc.utf8_slice_codeunits(column, 7, 11), ""
            ),
            column,
        ),
    )
    rest = pc.and_(long, pc.invert(pc.or_(id_shaped, mobile)))
    if pc.any(rest).as_py():
        out = _fill_where(out, rest, pii.scrub)
    return out


def validate_chunk(
    rows: Sequence[tuple[int, list[str]]],
    *,
    headers: list[str],
    mapping: dict[str, str | None],
    ctx,
    source_key: Any,
    parsers: CellParsers,
    today: date,
    addresses: dict[str, tuple[bool, str, int]] | None = None,
) -> ChunkResult:
    """Validate and prepare a chunk of (row number, cells) rows; the same outcome as `process_row` per row.

    `addresses`: a dict kept by the caller across the chunks of one file (address cell → outcome)."""
    if addresses is None:
        addresses = {}
    width = len(headers)
    n = len(rows)
    numbers = [number for number, _ in rows]
    padded = [raw if len(raw) == width else (raw[:width] + [""] * (width - len(raw))) for _, raw in rows]
    # A row with cells beyond the header keeps them in raw (a short one is kept short): left to the per-row path.
    slow = np.fromiter((len(raw) != width for _, raw in rows), dtype=bool, count=n)
    columns = [pa.array(col, type=pa.string()) for col in zip(*padded, strict=True)] if n else []
    if not n:
        return ChunkResult([], [], [], [], [], [], [], [], 0)

    # field → column position (apply_mapping: the last header mapped to a field wins)
    position: dict[str, int] = {}
    for header, field in mapping.items():
        if field and header in headers:
            position[field] = headers.index(header)
        elif field:
            position[field] = -1  # a mapped header the file lacks: always ""
    empty = pa.array([""] * n, type=pa.string())

    def col(field: str) -> pa.Array | None:
        if field not in position:
            return None
        return columns[position[field]] if position[field] >= 0 else empty

    pieces: list[pa.Array] = []  # '"key": value, ' or '' per row, in process_row's key order

    def add_piece(field: str, fn: Callable[[str], tuple[bool, str]]) -> None:
        """fn(cell) → (good, piece): a cell that is not good sends its row to the per-row path."""
        nonlocal slow
        column = col(field)
        if column is None:
            return
        results, idx = _per_distinct(column, fn)
        good = np.array([r[0] for r in results], dtype=bool)
        slow |= ~good[idx]
        pieces.append(_take([r[1] for r in results], idx))

    # name is required
    def name_piece(cell: str) -> tuple[bool, str]:
        text = cell.strip()
        if not text:
            return False, ""
        value, exc = parsers.name(text)
        return exc is None, f'"name": {_json_str(value)}, ' if exc is None else ""

    if col("name") is None:
        slow[:] = True
    add_piece("name", name_piece)

    # sex: from the ID number when empty, else must agree with it (checked below)
    sex_column = col("sex")
    sex_code = np.zeros(n, dtype=np.int8)  # 0 empty, 1 M, 2 F
    if sex_column is not None:

        def sex_of(cell: str) -> tuple[bool, int]:
            text = cell.strip()
            if not text:
                return True, 0
            value, exc = parsers.sex(text)
            return exc is None, (1 if value == "M" else 2) if exc is None else 0

        results, idx = _per_distinct(sex_column, sex_of)
        slow |= ~np.array([r[0] for r in results], dtype=bool)[idx]
        sex_code = np.array([r[1] for r in results], dtype=np.int8)[idx]

    def simple_piece(field: str) -> Callable[[str], tuple[bool, str]]:
        parser = getattr(parsers, field)

        def fn(cell: str) -> tuple[bool, str]:
            text = cell.strip()
            if not text:
                return True, ""
            value, exc = parser(text)
            return exc is None, f'"{field}": {_json_str(value)}, ' if exc is None else ""

        return fn

    add_piece("ethnicity", simple_piece("ethnicity"))
    add_piece("role", simple_piece("role"))

    def text_piece(field: str) -> Callable[[str], tuple[bool, str]]:
        def fn(cell: str) -> tuple[bool, str]:
            text = cell.strip()
            return True, f'"{field}": {_json_str(text)}, ' if text else ""

        return fn

    for field in _TEXT_FIELDS:
        add_piece(field, text_piece(field))

    # ID number: 18 digits (last may be X) in normal form, check digit by vector arithmetic
    id_column = col("id_number")
    if id_column is None:
        slow[:] = True
        id_column = empty
    shaped = pc.match_substring_regex(id_column, _ID18).to_numpy(zero_copy_only=False)
    slow |= ~shaped
    # every row now holds exactly 18 ASCII bytes
    fixed = pc.if_else(pa.array(shaped), id_column, "000000000000000000")
    offsets = np.frombuffer(fixed.buffers()[1], dtype=np.int32)[fixed.offset : fixed.offset + n + 1]
    digits = np.frombuffer(fixed.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(n, 18)
    check = _CHECK[((digits[:, :17].astype(np.int64) - 48) @ _WEIGHTS) % 11]
    slow |= check != digits[:, 17]

    def region_kind(prefix: str) -> str | None:
        """The ID kind for the first six digits, or None when the region code is refused."""
        if prefix[0] == "9":
            return idnumbers.IdKind.FOREIGN_PR
        if prefix[:2] in {"81", "82", "83"} and prefix[2:6] == "0000":
            return idnumbers.IdKind.HKMO_TW_PERMIT
        if int(prefix[:2]) not in idnumbers.PROVINCE_CODES:
            return None
        return idnumbers.IdKind.RESIDENT

    kinds, kind_idx = _per_distinct(pc.utf8_slice_codeunits(fixed, 0, 6), region_kind)
    kind_ok = np.array([k is not None for k in kinds], dtype=bool)
    slow |= ~kind_ok[kind_idx]
    pieces_id_kind = _take([f'"id_kind": "{k}", ' if k else "" for k in kinds], kind_idx)

    def born_of(yyyymmdd: str) -> str | None:
        try:
            born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
        except ValueError:
            return None
        if born.year < 1880 or born > date.today():
            return None
        return born.isoformat()

    id_births, birth_idx = _per_distinct(pc.utf8_slice_codeunits(fixed, 6, 14), born_of)
    slow |= ~np.array([b is not None for b in id_births], dtype=bool)[birth_idx]
    id_birth_iso = _take([b or "" for b in id_births], birth_idx)
    id_sex = np.where((digits[:, 16] - 48) % 2 == 1, 1, 2).astype(np.int8)
    slow |= (sex_code != 0) & (sex_code != id_sex)
    sex_piece = pc.if_else(pa.array(id_sex == 1), '"sex": "M", ', '"sex": "F", ')

    # birth date: when given it must be a full date equal to the ID's
    birth_column = col("birth_date")
    if birth_column is not None:

        def birth_of(cell: str) -> tuple[bool, str]:
            if not cell.strip():
                return True, ""
            value, exc = parsers.birth_date(cell)
            return exc is None, value.isoformat() if exc is None else ""

        results, idx = _per_distinct(birth_column, birth_of)
        slow |= ~np.array([r[0] for r in results], dtype=bool)[idx]
        given = _take([r[1] for r in results], idx)
        differs = pc.and_(pc.not_equal(given, ""), pc.not_equal(given, id_birth_iso))
        slow |= differs.to_numpy(zero_copy_only=False)

    # phone: one mobile number in normal form
    phone_column = col("phone")
    has_phone = np.zeros(n, dtype=bool)
    if phone_column is not None:
        filled = pc.not_equal(phone_column, "").to_numpy(zero_copy_only=False)
        mobile = pc.match_substring_regex(phone_column, _MOBILE).to_numpy(zero_copy_only=False)
        slow |= filled & ~mobile
        has_phone = mobile

    # relation to head and tags
    def relation_piece(cell: str) -> tuple[bool, str]:
        text = cell.strip()
        if not text:
            return True, ""
        value, _ = parsers.relation_to_head(text)
        relation = RELATIONS.get(value)
        return relation is not None, f'"relation_to_head": "{relation}", ' if relation else ""

    def tags_piece(cell: str) -> tuple[bool, str]:
        text = cell.strip()
        if not text:
            return True, ""
        tags, _ = parsers.tags(text)
        if not tags:
            return True, ""
        piece = f'"tags": {json.dumps(sorted({TAGS[t] for t in tags if t in TAGS}))}, '
        unknown = [t for t in tags if t not in TAGS]
        if unknown:
            piece += f'"tags_unknown": {json.dumps(unknown, ensure_ascii=False)}, '
        return True, piece

    # address: resolved to a registered dwelling
    address_column = col("address")
    dwelling = np.zeros(n, dtype=np.int64)
    if address_column is not None:

        def address_of(cell: str) -> tuple[bool, str, int]:
            found = addresses.get(cell)
            if found is None:
                found = addresses[cell] = resolve_address(cell)
            return found

        def resolve_address(cell: str) -> tuple[bool, str, int]:
            text = cell.strip()
            if not text:
                return True, "", 0
            if ctx is None:
                return True, f'"address": {_json_str(text)}, ', 0
            try:
                match = ctx.index.resolve(text)
            except AddressError:
                return False, "", 0
            pk, problem = ctx.dwelling_for(match)
            if problem:
                return False, "", 0
            return True, f'"address": {_json_str(match.label)}, "dwelling": {pk}, ', pk

        results, idx = _per_distinct(address_column, address_of)
        slow |= ~np.array([r[0] for r in results], dtype=bool)[idx]
        address_piece = _take([r[1] for r in results], idx)
        dwelling = np.array([r[2] for r in results], dtype=np.int64)[idx]
    else:
        address_piece = empty

    relation_pieces: list[pa.Array] = []
    if col("relation_to_head") is not None:
        results, idx = _per_distinct(col("relation_to_head"), relation_piece)
        slow |= ~np.array([r[0] for r in results], dtype=bool)[idx]
        relation_pieces.append(_take([r[1] for r in results], idx))
    if col("tags") is not None:
        results, idx = _per_distinct(col("tags"), tags_piece)
        relation_pieces.append(_take([r[1] for r in results], idx))
    # The reader strips every cell (cell_text); a cell that still has spaces at an end is left to process_row.
    for column in columns:
        slow |= pc.not_equal(pc.utf8_trim_whitespace(column), column).to_numpy(zero_copy_only=False)
        slow |= pc.match_substring(column, "\x1f").to_numpy(zero_copy_only=False)
    # clean JSON, in process_row's key order
    birth_piece = pc.binary_join_element_wise('"birth_date": "', id_birth_iso, '", ', "")
    id_masked = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(id_column, 0, 3),
        "***********",
        pc.utf8_slice_codeunits(id_column, 14, 18),
        "",
    )
    good_index = np.flatnonzero(~slow)
    id_plain = id_column.to_pylist()
    phone_plain = phone_column.to_pylist() if phone_column is not None else [""] * n
    id_hash = [""] * n
    phone_hash = [""] * n
    good_index = good_index.tolist()
    for i in good_index:
        id_hash[i] = keyed_hash("id", id_plain[i])
        if has_phone[i]:
            phone_hash[i] = keyed_hash("phone", phone_plain[i])
    id_piece = pc.binary_join_element_wise(
        '"id_hash": "', pa.array(id_hash, pa.string()), '", "id_masked": "', id_masked, '", ', ""
    )
    phone_masked = (
        pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(phone_column, 0, 3),
            "****",
            pc.utf8_slice_codeunits(phone_column, 7, 11),
            "",
        )
        if phone_column is not None
        else empty
    )
    phone_piece = pc.if_else(
        pa.array(has_phone),
        pc.binary_join_element_wise(
            '"phone_hash": "',
            pa.array(phone_hash, pa.string()),
            '", "phone_masked": "',
            phone_masked,
            '", "phone_is_landline": false, ',
            "",
        ),
        "",
    )
    clean_body = pc.binary_join_element_wise(
        *pieces,
        sex_piece,
        birth_piece,
        id_piece,
        pieces_id_kind,
        phone_piece,
        *relation_pieces,
        address_piece,
        "",
    )
    clean_json = pc.binary_join_element_wise("{", pc.utf8_slice_codeunits(clean_body, 0, -2), "}", "")

    # raw (masked) and sealed (original cells + plain ID and phone) documents
    raw_cells = [_json_cells(column) for column in columns]
    masked_cells = [_json_cells(_masked_column(column)) for column in columns]
    raw_json = pc.binary_join_element_wise("[", pc.binary_join_element_wise(*masked_cells, ", "), "]", "")
    phone_text = pc.if_else(pa.array(has_phone), phone_column, "") if phone_column is not None else empty
    sealed_plain = pc.binary_join_element_wise(
        '{"raw": [',
        pc.binary_join_element_wise(*raw_cells, ", "),
        '], "id": "',
        id_column,
        '", "phone": "',
        phone_text,
        '"}',
        "",
    )

    # fingerprint: keyed hash of the mapped values, sorted by field, empty ones left out
    body_parts = []
    for field in sorted(position):
        column = col(field)
        body_parts.append(
            pc.if_else(pc.equal(column, ""), "", pc.binary_join_element_wise(f"{field}=", column, "\x1f", ""))
        )
    body = pc.binary_join_element_wise(*body_parts, "") if body_parts else empty
    bodies = body.to_pylist()
    prefix = f"{source_key}\x1e"

    # Python per row from here: hashes and seals for the good rows, process_row for the others
    statuses = ["accepted"] * n
    fingerprints = [""] * n
    raw_list = raw_json.to_pylist()
    clean_list = clean_json.to_pylist()
    plain_list = sealed_plain.to_pylist()
    sealed = [""] * n
    reasons = ["[]"] * n
    dwellings: list[int | None] = [None] * n
    dwelling_list = dwelling.tolist()
    for i in good_index:
        fingerprints[i] = keyed_hash("row", prefix + bodies[i][:-1])
        sealed[i] = seal(plain_list[i])
        dwellings[i] = dwelling_list[i] or None
    slow_index = np.flatnonzero(slow).tolist()
    field_of = {header: field for header, field in mapping.items() if field}
    for i in slow_index:
        raw = rows[i][1]
        values = {field: "" for field in position}
        for header, field in field_of.items():
            values[field] = padded[i][headers.index(header)] if header in headers else ""
        r = process_row(numbers[i], raw, values, ctx=ctx, source_key=source_key, today=today, parsers=parsers)
        statuses[i] = r.status
        fingerprints[i] = r.fingerprint
        raw_list[i] = json.dumps(r.raw, ensure_ascii=False)
        clean_list[i] = json.dumps(r.clean, ensure_ascii=False)
        sealed[i] = r.sealed
        reasons[i] = json.dumps(r.reasons, ensure_ascii=False)
        dwellings[i] = r.dwelling_id
    return ChunkResult(
        row_numbers=numbers,
        statuses=statuses,
        fingerprints=fingerprints,
        raw_json=raw_list,
        sealed=sealed,
        clean_json=clean_list,
        reasons_json=reasons,
        dwellings=dwellings,
        fallback_rows=len(slow_index),
    )


__all__ = ["ChunkResult", "_masked_cells", "validate_chunk"]
