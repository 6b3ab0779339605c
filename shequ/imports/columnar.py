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

from shequ.core import idnumbers, pii
from shequ.imports.parsing.address import AddressError
from shequ.imports.parsing.values import CellParsers
from shequ.imports.pipeline import RELATIONS, TAGS, process_row

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


def _good_of(results: list[tuple[Any, ...]], idx: np.ndarray) -> np.ndarray:
    """Per row: whether the first item of its distinct value's result holds."""
    return np.array([r[0] for r in results], dtype=bool)[idx]


def _region_kind(prefix: str) -> str | None:
    """The ID kind for the first six digits of an ID number, or None when the region code is refused."""
    if prefix[0] == "9":
        return idnumbers.IdKind.FOREIGN_PR
    if prefix[:2] in {"81", "82", "83"} and prefix[2:6] == "0000":
        return idnumbers.IdKind.HKMO_TW_PERMIT
    if int(prefix[:2]) not in idnumbers.PROVINCE_CODES:
        return None
    return idnumbers.IdKind.RESIDENT


def _born_on(yyyymmdd: str) -> str | None:
    """The ISO birth date in an ID number's digits 7-14, or None when idnumbers.parse would refuse it (it checks
    against the real date.today(), not the batch's `today`, and so does this)."""
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None
    if born.year < 1880 or born > date.today():
        return None
    return born.isoformat()


def _masked_column(column: pa.Array) -> pa.Array:
    """pii.scrub of every cell (the scrub of a row is the scrub of each of its cells: no match crosses a cell).
    An 18-character ID number becomes its first three characters and 11 stars, a mobile 138****1234."""
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


class _Chunk:
    """One chunk under validation. Each field method reads its column once per distinct cell, adds its piece of
    the clean JSON (`'"key": value, '` or `''` per row) and marks in `slow` the rows it cannot vouch for; the
    rows still unmarked at the end are stored from the columns, the others are handed to `process_row`.

    The clean JSON's key order is fixed by the order the pieces are joined in `clean_json` (byte for byte what
    this module has always written)."""

    def __init__(
        self,
        rows: Sequence[tuple[int, list[str]]],
        *,
        headers: list[str],
        mapping: dict[str, str | None],
        ctx,
        source_key: Any,
        parsers: CellParsers,
        today: date,
        addresses: dict[str, tuple[bool, str, int]],
    ) -> None:
        self.rows, self.headers, self.mapping, self.ctx = rows, headers, mapping, ctx
        self.source_key, self.parsers, self.today, self.addresses = source_key, parsers, today, addresses
        width = len(headers)
        self.n = n = len(rows)
        self.numbers = [number for number, _ in rows]
        self.padded = [
            raw if len(raw) == width else (raw[:width] + [""] * (width - len(raw))) for _, raw in rows
        ]
        # A row with cells beyond the header keeps them in raw (a short one is kept short): left to the per-row path.
        self.slow = np.fromiter((len(raw) != width for _, raw in rows), dtype=bool, count=n)
        self.columns = [pa.array(col, type=pa.string()) for col in zip(*self.padded, strict=True)]
        # field → column position (apply_mapping: the last header mapped to a field wins)
        self.position: dict[str, int] = {}
        for header, field in mapping.items():
            if field and header in headers:
                self.position[field] = headers.index(header)
            elif field:
                self.position[field] = -1  # a mapped header the file lacks: always ""
        self.empty = pa.array([""] * n, type=pa.string())
        self.pieces: list[pa.Array] = []  # name … source_record_id, in that order
        self.sex_code = np.zeros(n, dtype=np.int8)  # 0 empty, 1 M, 2 F
        self.has_phone = np.zeros(n, dtype=bool)
        self.dwelling = np.zeros(n, dtype=np.int64)
        self.address_piece = self.empty
        self.relation_pieces: list[pa.Array] = []

    def col(self, field: str) -> pa.Array | None:
        """The field's column; None when the mapping leaves the field out."""
        if field not in self.position:
            return None
        return self.columns[self.position[field]] if self.position[field] >= 0 else self.empty

    def add_piece(self, field: str, fn: Callable[[str], tuple[bool, str]]) -> None:
        """fn(cell) → (good, piece): a cell that is not good sends its row to the per-row path."""
        column = self.col(field)
        if column is None:
            return
        results, idx = _per_distinct(column, fn)
        self.slow |= ~_good_of(results, idx)
        self.pieces.append(_take([r[1] for r in results], idx))

    # Fields ----------------------------------------------------------------------------------------------------

    def name(self) -> None:
        """Required; parsed like process_row."""
        parse = self.parsers.name

        def piece(cell: str) -> tuple[bool, str]:
            text = cell.strip()
            if not text:
                return False, ""
            value, exc = parse(text)
            return exc is None, f'"name": {_json_str(value)}, ' if exc is None else ""

        if self.col("name") is None:
            self.slow[:] = True
        self.add_piece("name", piece)

    def sex(self) -> None:
        """From the ID number when empty, else it must agree with it (checked in `birth`)."""
        column = self.col("sex")
        if column is None:
            return
        parse = self.parsers.sex

        def code(cell: str) -> tuple[bool, int]:
            text = cell.strip()
            if not text:
                return True, 0
            value, exc = parse(text)
            return exc is None, (1 if value == "M" else 2) if exc is None else 0

        results, idx = _per_distinct(column, code)
        self.slow |= ~_good_of(results, idx)
        self.sex_code = np.array([r[1] for r in results], dtype=np.int8)[idx]

    def parsed_and_text_fields(self) -> None:
        """Ethnicity and role through their parsers, then the free-text fields as written."""
        for field in ("ethnicity", "role"):
            self.add_piece(field, self._parsed_piece(field))
        for field in _TEXT_FIELDS:
            self.add_piece(field, self._text_piece(field))

    def _parsed_piece(self, field: str) -> Callable[[str], tuple[bool, str]]:
        parser = getattr(self.parsers, field)

        def fn(cell: str) -> tuple[bool, str]:
            text = cell.strip()
            if not text:
                return True, ""
            value, exc = parser(text)
            return exc is None, f'"{field}": {_json_str(value)}, ' if exc is None else ""

        return fn

    @staticmethod
    def _text_piece(field: str) -> Callable[[str], tuple[bool, str]]:
        def fn(cell: str) -> tuple[bool, str]:
            text = cell.strip()
            return True, f'"{field}": {_json_str(text)}, ' if text else ""

        return fn

    def id_number(self) -> None:
        """18 digits (the last may be X) in normal form, the check digit by vector arithmetic, a known region."""
        n = self.n
        id_column = self.col("id_number")
        if id_column is None:
            self.slow[:] = True
            id_column = self.empty
        self.id_column = id_column
        shaped = pc.match_substring_regex(id_column, _ID18).to_numpy(zero_copy_only=False)
        self.slow |= ~shaped
        # every row now holds exactly 18 ASCII bytes
        self.fixed = fixed = pc.if_else(pa.array(shaped), id_column, "000000000000000000")
        offsets = np.frombuffer(fixed.buffers()[1], dtype=np.int32)[fixed.offset : fixed.offset + n + 1]
        self.digits = digits = np.frombuffer(fixed.buffers()[2], dtype=np.uint8)[
            offsets[0] : offsets[-1]
        ].reshape(n, 18)
        check = _CHECK[((digits[:, :17].astype(np.int64) - 48) @ _WEIGHTS) % 11]
        self.slow |= check != digits[:, 17]
        kinds, kind_idx = _per_distinct(pc.utf8_slice_codeunits(fixed, 0, 6), _region_kind)
        self.slow |= ~np.array([k is not None for k in kinds], dtype=bool)[kind_idx]
        self.id_kind_piece = _take([f'"id_kind": "{k}", ' if k else "" for k in kinds], kind_idx)

    def birth(self) -> None:
        """The birth date and sex the ID number holds; a given birth date must be a full date equal to it, a
        given sex the same as it. Runs after `sex` and `id_number`."""
        id_births, birth_idx = _per_distinct(pc.utf8_slice_codeunits(self.fixed, 6, 14), _born_on)
        self.slow |= ~np.array([b is not None for b in id_births], dtype=bool)[birth_idx]
        self.id_birth_iso = id_birth_iso = _take([b or "" for b in id_births], birth_idx)
        id_sex = np.where((self.digits[:, 16] - 48) % 2 == 1, 1, 2).astype(np.int8)
        self.slow |= (self.sex_code != 0) & (self.sex_code != id_sex)
        self.sex_piece = pc.if_else(pa.array(id_sex == 1), '"sex": "M", ', '"sex": "F", ')
        birth_column = self.col("birth_date")
        if birth_column is None:
            return
        parse = self.parsers.birth_date

        def birth_of(cell: str) -> tuple[bool, str]:
            if not cell.strip():
                return True, ""
            value, exc = parse(cell)
            return exc is None, value.isoformat() if exc is None else ""

        results, idx = _per_distinct(birth_column, birth_of)
        self.slow |= ~_good_of(results, idx)
        given = _take([r[1] for r in results], idx)
        differs = pc.and_(pc.not_equal(given, ""), pc.not_equal(given, id_birth_iso))
        self.slow |= differs.to_numpy(zero_copy_only=False)

    def phone(self) -> None:
        """One mobile number in normal form, or none."""
        self.phone_column = phone_column = self.col("phone")
        if phone_column is None:
            return
        filled = pc.not_equal(phone_column, "").to_numpy(zero_copy_only=False)
        mobile = pc.match_substring_regex(phone_column, _MOBILE).to_numpy(zero_copy_only=False)
        self.slow |= filled & ~mobile
        self.has_phone = mobile

    def address(self) -> None:
        """Resolved to a registered dwelling; the outcome per cell text is kept in `addresses` across chunks."""
        column = self.col("address")
        if column is None:
            return
        addresses = self.addresses

        def address_of(cell: str) -> tuple[bool, str, int]:
            found = addresses.get(cell)
            if found is None:
                found = addresses[cell] = self._resolve_address(cell)
            return found

        results, idx = _per_distinct(column, address_of)
        self.slow |= ~_good_of(results, idx)
        self.address_piece = _take([r[1] for r in results], idx)
        self.dwelling = np.array([r[2] for r in results], dtype=np.int64)[idx]

    def _resolve_address(self, cell: str) -> tuple[bool, str, int]:
        text = cell.strip()
        if not text:
            return True, "", 0
        if self.ctx is None:
            return True, f'"address": {_json_str(text)}, ', 0
        try:
            match = self.ctx.index.resolve(text)
        except AddressError:
            return False, "", 0
        pk, problem = self.ctx.dwelling_for(match)
        if problem:
            return False, "", 0
        return True, f'"address": {_json_str(match.label)}, "dwelling": {pk}, ', pk

    def relation_and_tags(self) -> None:
        """A known relation to the head; tags as their codes, the unknown ones kept as written."""
        parsers = self.parsers

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

        relation = self.col("relation_to_head")
        if relation is not None:
            results, idx = _per_distinct(relation, relation_piece)
            self.slow |= ~_good_of(results, idx)
            self.relation_pieces.append(_take([r[1] for r in results], idx))
        tags = self.col("tags")
        if tags is not None:
            results, idx = _per_distinct(tags, tags_piece)
            self.relation_pieces.append(_take([r[1] for r in results], idx))

    def unusual_cells(self) -> None:
        """The reader strips every cell (cell_text); a cell that still has spaces at an end, or holds the unit
        separator the fingerprint joins with, is left to process_row."""
        for column in self.columns:
            self.slow |= pc.not_equal(pc.utf8_trim_whitespace(column), column).to_numpy(zero_copy_only=False)
            self.slow |= pc.match_substring(column, "\x1f").to_numpy(zero_copy_only=False)

    # Documents -------------------------------------------------------------------------------------------------

    def clean_json(self, good_index: list[int]) -> list[str]:
        """The clean JSON of every row (only the good rows' is kept), with the ID and phone hashed for those."""
        n, id_column, phone_column = self.n, self.id_column, self.phone_column
        keyed_hash = pii.keyed_hasher()
        id_plain = id_column.to_pylist()
        phone_plain = phone_column.to_pylist() if phone_column is not None else [""] * n
        id_hash, phone_hash = [""] * n, [""] * n
        has_phone = self.has_phone
        for i in good_index:
            id_hash[i] = keyed_hash("id", id_plain[i])
            if has_phone[i]:
                phone_hash[i] = keyed_hash("phone", phone_plain[i])
        birth_piece = pc.binary_join_element_wise('"birth_date": "', self.id_birth_iso, '", ', "")
        id_masked = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(id_column, 0, 3),
            "***********",
            pc.utf8_slice_codeunits(id_column, 14, 18),
            "",
        )
        id_piece = pc.binary_join_element_wise(
            '"id_hash": "', pa.array(id_hash, pa.string()), '", "id_masked": "', id_masked, '", ', ""
        )
        phone_piece = pc.if_else(
            pa.array(has_phone),
            pc.binary_join_element_wise(
                '"phone_hash": "',
                pa.array(phone_hash, pa.string()),
                '", "phone_masked": "',
                self._phone_masked(),
                '", "phone_is_landline": false, ',
                "",
            ),
            "",
        )
        body = pc.binary_join_element_wise(
            *self.pieces,
            self.sex_piece,
            birth_piece,
            id_piece,
            self.id_kind_piece,
            phone_piece,
            *self.relation_pieces,
            self.address_piece,
            "",
        )
        return pc.binary_join_element_wise("{", pc.utf8_slice_codeunits(body, 0, -2), "}", "").to_pylist()

    def _phone_masked(self) -> pa.Array:
        column = self.phone_column
        if column is None:
            return self.empty
        return pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(column, 0, 3), "****", pc.utf8_slice_codeunits(column, 7, 11), ""
        )

    def raw_and_sealed(self) -> tuple[list[str], list[str]]:
        """The raw (masked) cells as a JSON list, and the text to seal: original cells, plain ID and phone."""
        raw_cells = [_json_cells(column) for column in self.columns]
        masked_cells = [_json_cells(_masked_column(column)) for column in self.columns]
        raw_json = pc.binary_join_element_wise("[", pc.binary_join_element_wise(*masked_cells, ", "), "]", "")
        phone_column = self.phone_column
        phone_text = (
            pc.if_else(pa.array(self.has_phone), phone_column, "") if phone_column is not None else self.empty
        )
        sealed_plain = pc.binary_join_element_wise(
            '{"raw": [',
            pc.binary_join_element_wise(*raw_cells, ", "),
            '], "id": "',
            self.id_column,
            '", "phone": "',
            phone_text,
            '"}',
            "",
        )
        return raw_json.to_pylist(), sealed_plain.to_pylist()

    def fingerprint_bodies(self) -> list[str]:
        """Per row, the mapped values sorted by field, empty ones left out, each ending in the unit separator."""
        parts = []
        for field in sorted(self.position):
            column = self.col(field)
            parts.append(
                pc.if_else(
                    pc.equal(column, ""), "", pc.binary_join_element_wise(f"{field}=", column, "\x1f", "")
                )
            )
        return (pc.binary_join_element_wise(*parts, "") if parts else self.empty).to_pylist()

    def fallback(self, i: int) -> Any:
        """process_row's outcome for row i."""
        raw = self.rows[i][1]
        values = {field: "" for field in self.position}
        for header, field in self.mapping.items():
            if field:
                values[field] = self.padded[i][self.headers.index(header)] if header in self.headers else ""
        return process_row(
            self.numbers[i],
            raw,
            values,
            ctx=self.ctx,
            source_key=self.source_key,
            today=self.today,
            parsers=self.parsers,
        )

    # The whole ------------------------------------------------------------------------------------------------

    def validate(self) -> ChunkResult:
        self.name()
        self.sex()
        self.parsed_and_text_fields()
        self.id_number()
        self.birth()
        self.phone()
        self.address()
        self.relation_and_tags()
        self.unusual_cells()
        return self.result()

    def result(self) -> ChunkResult:
        """Hashes and seals for the good rows (Python per row from here), process_row for the others."""
        n = self.n
        good_index = np.flatnonzero(~self.slow).tolist()
        clean_list = self.clean_json(good_index)
        raw_list, plain_list = self.raw_and_sealed()
        bodies = self.fingerprint_bodies()
        keyed_hash, prefix = pii.keyed_hasher(), f"{self.source_key}\x1e"
        statuses, fingerprints, sealed = ["accepted"] * n, [""] * n, [""] * n
        reasons = ["[]"] * n
        dwellings: list[int | None] = [None] * n
        dwelling_list = self.dwelling.tolist()
        for i in good_index:
            fingerprints[i] = keyed_hash("row", prefix + bodies[i][:-1])
            sealed[i] = pii.seal(plain_list[i])
            dwellings[i] = dwelling_list[i] or None
        slow_index = np.flatnonzero(self.slow).tolist()
        for i in slow_index:
            r = self.fallback(i)
            statuses[i], fingerprints[i], sealed[i], dwellings[i] = (
                r.status,
                r.fingerprint,
                r.sealed,
                r.dwelling_id,
            )
            raw_list[i] = json.dumps(r.raw, ensure_ascii=False)
            clean_list[i] = json.dumps(r.clean, ensure_ascii=False)
            reasons[i] = json.dumps(r.reasons, ensure_ascii=False)
        return ChunkResult(
            row_numbers=self.numbers,
            statuses=statuses,
            fingerprints=fingerprints,
            raw_json=raw_list,
            sealed=sealed,
            clean_json=clean_list,
            reasons_json=reasons,
            dwellings=dwellings,
            fallback_rows=len(slow_index),
        )


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
    if not rows:
        return ChunkResult([], [], [], [], [], [], [], [], 0)
    chunk = _Chunk(
        rows,
        headers=headers,
        mapping=mapping,
        ctx=ctx,
        source_key=source_key,
        parsers=parsers,
        today=today,
        addresses={} if addresses is None else addresses,
    )
    return chunk.validate()


__all__ = ["ChunkResult", "validate_chunk"]
