"""The fast path of the validation stage on PostgreSQL: the file is streamed in this process, chunks of rows are
validated column by column in worker processes (`columnar.validate_chunk`; forked so the place index is shared,
not pickled), and ImportRows go in with `COPY` — no per-row ORM work. Rows the columnar checks do not pass go
through `pipeline.process_row` like on the ORM path, so the outcome is the same row for row.

Used by services.batch_validate for large files on PostgreSQL, and by bench/imports/run.py."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from django.db import connection

from shequ.imports.columnar import validate_chunk
from shequ.imports.models import ImportRow
from shequ.imports.parsing import open_table
from shequ.imports.parsing.values import CellParsers
from shequ.imports.pipeline import PlaceContext

CHUNK_ROWS = 20000
NULL = "\\N"
# The ImportRow fields of a COPY line, in the order `_work` writes them (columns and table from ImportRow._meta).
COPY_FIELDS = (
    "batch",
    "row_number",
    "raw",
    "sealed",
    "clean",
    "status",
    "reasons",
    "fingerprint",
    "dwelling",
    "link_status",
    "link_method",
)
_AT = {name: i for i, name in enumerate(COPY_FIELDS)}
# The enum values as plain text, for the COPY lines and the comparisons of the hot loop.
_ACCEPTED = ImportRow.Status.ACCEPTED.value
_DUPLICATE = ImportRow.Status.DUPLICATE.value
_PENDING = ImportRow.Link.PENDING.value
_SKIPPED = ImportRow.Link.SKIPPED.value
_DUPLICATE_REASON = json.dumps([["", "与已导入的记录完全相同,未重复导入"]], ensure_ascii=False)
_DUPLICATE_REASON_COPY = _DUPLICATE_REASON.replace("\\", "\\\\").encode()

# Set in the parent before the pool forks; read by the workers.
_STATE: dict[str, Any] = {}


def copy_statement() -> str:
    """COPY … FROM STDIN into ImportRow's table, its columns named by the model (COPY_FIELDS' order)."""
    meta, quote = ImportRow._meta, connection.ops.quote_name
    column = {f.name: f.column for f in meta.concrete_fields if f.column}
    return (
        f"COPY {quote(meta.db_table)} ({', '.join(quote(column[name]) for name in COPY_FIELDS)}) FROM STDIN"
    )


def _escape(text: str) -> str:
    """COPY text format: backslash, tab, newline and carriage return escaped."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _work(chunk: Sequence[tuple[int, list[str]]]) -> tuple[list[str], list[str], bytes, float]:
    """Validate a chunk column by column: (fingerprints, statuses, the chunk's COPY data, CPU seconds).

    The COPY data is built here, in parallel, as if no row were a duplicate; the parent, which knows what was
    imported before, rewrites the few lines that are."""
    started = time.process_time()
    batch_id = _STATE["batch_id"]
    r = validate_chunk(
        chunk,
        headers=_STATE["headers"],
        mapping=_STATE["mapping"],
        ctx=_STATE["ctx"],
        source_key=_STATE["source_key"],
        parsers=_STATE["parsers"],
        today=_STATE["today"],
        addresses=_STATE["addresses"],
    )
    lines = [
        f"{batch_id}\t{number}\t{_escape(raw)}\t{sealed}\t{_escape(clean)}\t{status}\t{_escape(reasons)}\t"
        f"{fingerprint}\t{dwelling if (dwelling and status == _ACCEPTED) else NULL}\t"
        f"{_PENDING if status == _ACCEPTED else _SKIPPED}\t\n"
        for number, raw, sealed, clean, status, reasons, fingerprint, dwelling in zip(
            r.row_numbers,
            r.raw_json,
            r.sealed,
            r.clean_json,
            r.statuses,
            r.reasons_json,
            r.fingerprints,
            r.dwellings,
            strict=True,
        )
    ]
    return r.fingerprints, r.statuses, "".join(lines).encode(), time.process_time() - started


def _as_duplicate(line: bytes) -> bytes:
    """A COPY line of an accepted row rewritten as a duplicate (fields are escaped: no tab inside one)."""
    fields = line.split(b"\t")
    fields[_AT["status"]] = _DUPLICATE.encode()
    fields[_AT["reasons"]] = _DUPLICATE_REASON_COPY
    fields[_AT["dwelling"]] = NULL.encode()
    fields[_AT["link_status"]] = _SKIPPED.encode()
    return b"\t".join(fields)


def _chunks(table, size: int, stats: dict[str, float]) -> Iterator[list[tuple[int, list[str]]]]:
    """Chunks of (row number, cells); runs in the pool's feeder thread, whose CPU time goes to stats["read"]."""
    chunk: list[tuple[int, list[str]]] = []
    started = time.thread_time()
    for row in table:
        chunk.append((row.row_number, row.raw))
        if len(chunk) >= size:
            stats["read"] += time.thread_time() - started
            yield chunk
            started = time.thread_time()
            chunk = []
    stats["read"] += time.thread_time() - started
    if chunk:
        yield chunk


def _earlier_fingerprints(batch) -> set[str]:
    """Fingerprints of the rows already imported from the batch's source by other batches."""
    return set(
        ImportRow.objects.filter(
            batch__source_id=batch.source_id,
            status__in=[ImportRow.Status.ACCEPTED, ImportRow.Status.DUPLICATE],
        )
        .exclude(batch=batch)
        .values_list("fingerprint", flat=True)
    )


def _fork_pool(workers: int):
    """The worker pool, forked with the database connection closed: a child holding the parent's socket could
    write to it, or end the session, under the parent's feet; the parent reconnects for its first COPY. Inside a
    caller's transaction (tests) the connection must stay open, since closing it would lose the transaction; the
    workers never touch the database (`_work` reads only `_STATE`), and a pool's children leave with os._exit,
    so nothing closes the inherited session either."""
    if not connection.in_atomic_block:
        connection.close()
    return multiprocessing.get_context("fork").Pool(workers)


def _mark_duplicates(
    data: bytes, fingerprints: list[str], statuses: list[str], earlier: set[str], seen: set[str]
) -> tuple[bytes, int]:
    """The chunk's COPY data with accepted rows seen before (in earlier batches or this file) as duplicates."""
    duplicates = []
    for i, (fingerprint, status) in enumerate(zip(fingerprints, statuses, strict=True)):
        if status == _ACCEPTED and (fingerprint in earlier or fingerprint in seen):
            duplicates.append(i)
        seen.add(fingerprint)
    if duplicates:
        lines = data.split(b"\n")
        for i in duplicates:
            lines[i] = _as_duplicate(lines[i])
        data = b"\n".join(lines)
    return data, len(duplicates)


def _add_counts(counts: dict[str, int], statuses: list[str], duplicates: int) -> None:
    accepted = statuses.count(_ACCEPTED)
    counts["total"] += len(statuses)
    counts["accepted"] += accepted - duplicates
    counts["duplicates"] += duplicates
    counts["rejected"] += len(statuses) - accepted


def _copy(data: bytes) -> None:
    """Store the chunk's lines. Through Django's cursor, so Django's transaction management decides: outside a
    transaction the connection is in autocommit and the COPY commits itself (each chunk visible as it lands),
    inside one it is part of the caller's transaction."""
    with connection.cursor() as cursor, cursor.copy(copy_statement()) as copy:
        copy.write(data)


def copy_validate(
    batch,
    *,
    workers: int | None = None,
    on_progress=None,
    earlier: set[str] | None = None,
    stats: dict[str, float] | None = None,
):
    """Validate and store every row of a batch's file with COPY. Returns (counts, reader notes, skipped rows).

    `earlier`: fingerprints already imported from this source (rows matching them become duplicates); read from
    the database when not given. `on_progress(fraction, counts)` is called after each chunk is stored.
    `stats` (for the benchmark) receives seconds per stage: read (CPU, reader thread), validate (CPU, workers),
    assemble (CPU, lines and duplicates), copy (wall: sending and PostgreSQL storing), wait (wall, for workers)."""
    stats = stats if stats is not None else {}
    for key in ("read", "validate", "assemble", "copy", "wait"):
        stats.setdefault(key, 0.0)
    workers = workers or os.cpu_count() or 1
    earlier = _earlier_fingerprints(batch) if earlier is None else earlier
    counts = {"total": 0, "accepted": 0, "rejected": 0, "duplicates": 0}
    seen: set[str] = set()
    size = max(batch.file.size, 1)
    today = date.today()
    with batch.file.open("rb") as handle, open_table(handle, batch.original_name) as table:
        _STATE.update(
            headers=list(table.headers),
            mapping=batch.mapping,
            ctx=PlaceContext.for_place(batch.place),
            source_key=batch.source_id,
            batch_id=batch.pk,
            parsers=CellParsers.memoized(today),
            today=today,
            addresses={},
        )
        with _fork_pool(workers) as pool:
            results = pool.imap(_work, _chunks(table, CHUNK_ROWS, stats))
            while True:
                waited = time.perf_counter()
                try:
                    fingerprints, statuses, data, cpu = next(results)
                except StopIteration:
                    break
                stats["wait"] += time.perf_counter() - waited
                stats["validate"] += cpu
                assembling = time.thread_time()
                data, duplicates = _mark_duplicates(data, fingerprints, statuses, earlier, seen)
                _add_counts(counts, statuses, duplicates)
                stats["assemble"] += time.thread_time() - assembling
                copying = time.perf_counter()
                _copy(data)
                stats["copy"] += time.perf_counter() - copying
                if on_progress is not None:
                    on_progress(min(handle.tell() / size, 1.0), counts)
        _STATE.clear()
        return counts, list(table.notes), list(table.skipped)
