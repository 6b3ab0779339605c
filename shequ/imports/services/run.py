"""The import run: validating every row, then linking the accepted ones to people (through the linker
linkage registers, and imports' own exact-ID linker for what is left)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from shequ.core.errors import DomainError
from shequ.core.jurisdiction import SYSTEM
from shequ.imports import linkers
from shequ.imports.models import (
    ImportBatch,
    ImportRow,
)
from shequ.imports.parsing import FileFormatError, apply_mapping, open_table
from shequ.imports.pipeline import PlaceContext, process_row
from shequ.imports.services._common import CHUNK, FASTPATH_MIN_BYTES
from shequ.imports.services.rows import import_row_attach, import_row_create_person
from shequ.ledger.models import Person

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor

logger = logging.getLogger("shequ.imports.services")


def _progress(batch: ImportBatch, value: int, phase: str, **counts) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(progress=min(100, value), phase=phase, **counts)


def batch_progress_set(*, batch: ImportBatch, progress: int, phase: str) -> None:
    """The batch's progress bar while a linker works through it (no audit: a progress figure, not a change)."""
    _progress(batch, progress, phase)


def import_row_mark_review(*, row: ImportRow, probability: float | None, reasons: list | None = None) -> None:
    """The row waits for a person to decide who it is (the linker queued its candidates, or the ledger refused
    the row with `reasons`). No audit row: the review item or the linker's run records it."""
    fields: dict = {"link_status": ImportRow.Link.REVIEW, "match_probability": probability}
    if reasons is not None:
        fields["reasons"] = reasons
    ImportRow.objects.filter(pk=row.pk).update(**fields)


# The run ------------------------------------------------------------------------------------------------------


def batch_run(*, batch_id: int, use_linkage: bool = True) -> ImportBatch:
    """The background task's body: validate every row (kept, accepted or rejected), then link the accepted ones.
    Any unexpected error marks the batch failed with a message for the user; the rows stay for inspection."""
    batch = ImportBatch.objects.select_related("source", "place", "created_by").get(pk=batch_id)
    actor = batch.created_by or SYSTEM
    try:
        batch_validate(batch=batch)
        batch.refresh_from_db()
        batch_link(actor=actor, batch=batch, use_linkage=use_linkage)
    except Exception as exc:  # reported on the batch, never to the user as a traceback
        if isinstance(exc, FileFormatError):
            message = exc.message
        elif isinstance(exc, OSError):
            message = "原始文件已无法读取,请重新上传"
        else:
            message = "导入过程中出错,请联系管理员"
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.FAILED, error=message[:300], finished_at=timezone.now()
        )
        if not isinstance(exc, FileFormatError | DomainError | OSError):
            raise
    batch.refresh_from_db()
    return batch


def batch_validate(*, batch: ImportBatch, progress_share: int = 60) -> ImportBatch:
    """Stream the file, validate each row, store rows in chunks. Rows already imported from this source (same
    fingerprint) are marked duplicate. Commits per chunk so progress is visible and memory stays flat."""
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.VALIDATING, phase="校验中")
    if (
        connection.vendor == "postgresql"
        and batch.file.size >= FASTPATH_MIN_BYTES
        and not connection.in_atomic_block
    ):
        return _validate_fast(batch=batch, progress_share=progress_share)
    ctx = PlaceContext.for_place(batch.place)
    size = max(batch.file.size, 1)
    mapping = batch.mapping
    seen: set[str] = set()
    counts = {"total": 0, "accepted": 0, "rejected": 0, "duplicates": 0}
    ImportRow.objects.filter(batch=batch).delete()  # a retried task starts over
    with batch.file.open("rb") as handle, open_table(handle, batch.original_name) as table:
        chunk: list = []
        for source_row in table:
            values = apply_mapping(source_row.values, mapping)
            chunk.append(
                process_row(
                    source_row.row_number, source_row.raw, values, ctx=ctx, source_key=batch.source_id
                )
            )
            if len(chunk) >= CHUNK:
                _store_chunk(batch, chunk, seen, counts)
                chunk = []
                done = int(progress_share * min(handle.tell() / size, 1.0))
                _progress(batch, done, "校验中", **counts)
        _store_chunk(batch, chunk, seen, counts)
        skipped = list(table.skipped)
        notes = list(table.notes)
    for number, reason in skipped:
        notes.append(f"第{number}行:{reason}")
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.VALIDATED, notes=notes, progress=progress_share, phase="校验完成", **counts
    )
    batch.refresh_from_db()
    return batch


def _validate_fast(*, batch: ImportBatch, progress_share: int) -> ImportBatch:
    from shequ.imports import fastpath

    ImportRow.objects.filter(batch=batch).delete()

    def on_progress(fraction: float, counts: dict[str, int]) -> None:
        _progress(batch, int(progress_share * fraction), "校验中", **counts)

    counts, notes, skipped = fastpath.copy_validate(batch, on_progress=on_progress)
    for number, reason in skipped:
        notes.append(f"第{number}行:{reason}")
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.VALIDATED, notes=notes, progress=progress_share, phase="校验完成", **counts
    )
    batch.refresh_from_db()
    return batch


def _store_chunk(batch: ImportBatch, chunk: list, seen: set[str], counts: dict[str, int]) -> None:
    if not chunk:
        return
    fingerprints = [r.fingerprint for r in chunk if r.status == "accepted"]
    earlier = set(
        ImportRow.objects.filter(
            batch__source_id=batch.source_id,
            fingerprint__in=fingerprints,
            status__in=[ImportRow.Status.ACCEPTED, ImportRow.Status.DUPLICATE],
        )
        .exclude(batch=batch)
        .values_list("fingerprint", flat=True)
    )
    objs = []
    for r in chunk:
        status = r.status
        link = ImportRow.Link.PENDING
        reasons = r.reasons
        if status == "accepted" and (r.fingerprint in earlier or r.fingerprint in seen):
            status = ImportRow.Status.DUPLICATE
            link = ImportRow.Link.SKIPPED
            reasons = [["", "与已导入的记录完全相同,未重复导入"]]
        elif status == "rejected":
            link = ImportRow.Link.SKIPPED
        seen.add(r.fingerprint)
        counts["total"] += 1
        counts[{"accepted": "accepted", "rejected": "rejected", "duplicate": "duplicates"}[status]] += 1
        objs.append(
            ImportRow(
                batch=batch,
                row_number=r.row_number,
                raw=r.raw,
                sealed=r.sealed,
                clean=r.clean,
                status=status,
                reasons=reasons,
                fingerprint=r.fingerprint,
                dwelling_id=r.dwelling_id if status == "accepted" else None,
                link_status=link,
            )
        )
    with transaction.atomic():
        ImportRow.objects.bulk_create(objs, batch_size=CHUNK)


def batch_link(*, actor: Actor, batch: ImportBatch, start: int = 60, use_linkage: bool = True) -> ImportBatch:
    """Link the batch's accepted rows to people: through the registered linker (imports.linkers; linkage's model),
    then (for any rows it leaves pending, or if it fails) by the exact-ID fallback. Marks the batch done."""
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.IMPORTING, phase="比对关联中")
    linker = linkers.registered() if use_linkage else None
    if linker is not None:
        try:
            linker(actor=actor, batch=batch)
        except Exception:
            # The import must still finish: rows the model left pending are linked by exact ID number.
            logger.exception("linkage failed for import batch %s; exact-ID fallback used", batch.number)
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=ImportBatch.Status.IMPORTING, phase="比对模型出错,已按证件号码精确关联"
            )
    _link_fallback(actor=actor, batch=batch, start=start)
    batch_refresh_counts(batch=batch)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.DONE, progress=100, phase="已完成", finished_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch


def _link_fallback(*, actor: Actor, batch: ImportBatch, start: int) -> None:
    pending = ImportRow.objects.filter(
        batch=batch, status=ImportRow.Status.ACCEPTED, link_status=ImportRow.Link.PENDING
    )
    total = pending.count() or 1
    done = 0
    last_pk = 0
    while True:
        rows = list(
            pending.filter(pk__gt=last_pk)
            .select_related("batch__source", "batch__place")
            .order_by("pk")[:500]
        )
        if not rows:
            break
        last_pk = rows[-1].pk
        hashes = {r.clean.get("id_hash") for r in rows if r.clean.get("id_hash")}
        people = {p.id_number_hash: p for p in Person.objects.filter(id_number_hash__in=hashes)}
        for row in rows:
            id_hash = row.clean.get("id_hash")
            try:
                if id_hash and id_hash in people:
                    import_row_attach(
                        actor=actor, row=row, person=people[id_hash], method="id_exact", probability=1.0
                    )
                elif id_hash:
                    person = import_row_create_person(actor=actor, row=row)
                    people[id_hash] = person
                else:
                    ImportRow.objects.filter(pk=row.pk).update(link_status=ImportRow.Link.REVIEW)
            except DomainError as exc:
                # e.g. a birth date the ledger refuses: the row waits for a person to decide, with the reason.
                ImportRow.objects.filter(pk=row.pk).update(
                    link_status=ImportRow.Link.REVIEW,
                    reasons=[[exc.field or "", m] for m in exc.messages],
                )
            except PermissionDenied:
                ImportRow.objects.filter(pk=row.pk).update(
                    link_status=ImportRow.Link.REVIEW, reasons=[["", "该人员由其他社区登记,需人工核对"]]
                )
            done += 1
        _progress(batch, start + int((100 - start - 1) * done / total), "比对关联中")


def batch_refresh_counts(*, batch: ImportBatch) -> ImportBatch:
    counts = dict(
        ImportRow.objects.filter(batch=batch, status=ImportRow.Status.ACCEPTED)
        .values_list("link_status")
        .annotate(n=Count("pk"))
    )
    ImportBatch.objects.filter(pk=batch.pk).update(
        linked=counts.get("linked", 0), new=counts.get("new", 0), review=counts.get("review", 0)
    )
    batch.refresh_from_db()
    return batch
