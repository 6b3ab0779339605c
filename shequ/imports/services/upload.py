"""Uploading a file, mapping its columns and starting the run."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import require
from shequ.core.numbers import public_number
from shequ.core.rights import Right
from shequ.imports.models import (
    ColumnMapping,
    DataSource,
    ImportBatch,
)
from shequ.imports.parsing import FIELDS, FileFormatError, normalize_header, open_table
from shequ.imports.parsing import suggest_mapping as _suggest
from shequ.imports.policies import source_usable_at
from shequ.imports.services._common import ALLOWED_EXTENSIONS, MAX_UPLOAD_BYTES, user_or_none
from shequ.places.models import Level, Place

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor

logger = logging.getLogger("shequ.imports.services")


def _sha256(uploaded) -> str:
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in iter(lambda: uploaded.read(1 << 20), b""):
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()


def remembered_mapping(source: DataSource, headers: Iterable[str]) -> dict[str, str | None]:
    """The source's remembered header → field choices, the suggestion for headers never seen before."""
    headers = list(headers)
    known = dict(
        ColumnMapping.objects.filter(
            source=source, header_key__in=[normalize_header(h) for h in headers]
        ).values_list("header_key", "field")
    )
    suggested = _suggest(headers)
    mapping: dict[str, str | None] = {}
    taken = {f for f in known.values() if f}
    for header in headers:
        key = normalize_header(header)
        if key in known:
            mapping[header] = known[key] or None
        else:
            field = suggested.get(header)
            mapping[header] = field if field and field not in taken else None
            if field:
                taken.add(field)
    return mapping


@transaction.atomic
def batch_upload(
    *, actor: Actor, source: DataSource, place: Place, uploaded, observed_on: date | None = None
) -> ImportBatch:
    """Keep an uploaded file as a new batch, with its headers and a suggested mapping. The same file from the
    same source twice is refused with the earlier batch in `extra["batch"]` (nothing is created)."""
    require(actor, Right.IMPORTS_RUN, place)
    if place.level not in (Level.STREET, Level.COMMUNITY):
        raise DomainError(gettext("请选择导入到哪个社区或街道"), field="place")
    if not source_usable_at(source, place):
        raise DomainError(gettext("该数据来源不属于所选社区或街道"), field="source")
    name = getattr(uploaded, "name", "") or ""
    if not name.lower().endswith(ALLOWED_EXTENSIONS):
        raise DomainError(gettext("请上传 .xlsx、.xls 或 .csv 文件"), field="file", code="unsupported")
    if getattr(uploaded, "size", 0) > MAX_UPLOAD_BYTES:
        raise DomainError(gettext("文件超过200MB,请拆分后上传"), field="file", code="too_large")
    if observed_on and observed_on > timezone.localdate():
        raise DomainError(gettext("数据日期不能晚于今天"), field="observed_on")
    sha = _sha256(uploaded)
    earlier = (
        ImportBatch.objects.filter(source=source, file_sha256=sha)
        .exclude(status=ImportBatch.Status.FAILED)
        .first()
    )
    if earlier is not None:
        raise DomainError(
            gettext("这个文件已经从“%(source)s”导入过(批次 %(batch)s),不会重复导入")
            % {"source": source.name, "batch": earlier.number},
            field="file",
            code="duplicate_file",
            extra={"batch": earlier, "batch_number": earlier.number},
        )
    try:
        with open_table(uploaded, name) as table:
            headers = list(table.headers)
            notes = list(table.notes)
    except FileFormatError as exc:
        raise DomainError(exc.message, field="file", code=exc.code) from exc
    uploaded.seek(0)
    batch = ImportBatch(
        number=public_number("DR", entropy_bytes=3),
        source=source,
        place=place,
        created_by=user_or_none(actor),
        original_name=name[:200],
        file_sha256=sha,
        headers=headers,
        mapping=remembered_mapping(source, headers),
        notes=notes,
        observed_on=observed_on,
    )
    batch.file.save(f"{batch.number}{_ext(name)}", uploaded, save=False)
    batch.full_clean()
    batch.save()
    audit_record(
        actor=actor,
        kind="create",
        action="batch_upload",
        obj=batch,
        community=place.community,
        street=place.street,
        after={"source": source.name, "file": batch.original_name},
    )
    return batch


def _ext(name: str) -> str:
    lower = name.lower()
    return next((e for e in ALLOWED_EXTENSIONS if lower.endswith(e)), "")


@transaction.atomic
def batch_set_mapping(*, actor: Actor, batch: ImportBatch, mapping: dict[str, str | None]) -> ImportBatch:
    """Choose the field each column means; remembered for the source's next file."""
    require(actor, Right.IMPORTS_RUN, batch.place)
    if batch.status not in (ImportBatch.Status.UPLOADED, ImportBatch.Status.MAPPED):
        raise DomainError(gettext("该批次已开始导入,不能再修改字段对应"), field="mapping", code="locked")
    clean: dict[str, str | None] = {}
    used: dict[str, str] = {}
    for header in batch.headers:
        field = mapping.get(header) or None
        if field is not None and field not in FIELDS:
            raise DomainError(gettext("列“%(header)s”对应的字段无效") % {"header": header}, field="mapping")
        if field is not None and field in used:
            raise DomainError(
                gettext("列“%(first)s”和“%(second)s”对应了同一个字段,请只保留一个")
                % {"first": used[field], "second": header},
                field="mapping",
                code="twice",
            )
        if field:
            used[field] = header
        clean[header] = field
    if "name" not in used:
        raise DomainError(gettext("必须有一列对应“姓名”"), field="mapping", code="no_name")
    for header, field in clean.items():
        ColumnMapping.objects.update_or_create(
            source=batch.source, header_key=normalize_header(header)[:100], defaults={"field": field or ""}
        )
    batch.mapping = clean
    batch.status = ImportBatch.Status.MAPPED
    batch.save(update_fields=["mapping", "status", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="batch_set_mapping",
        obj=batch,
        community=batch.place.community,
        street=batch.place.street,
        after={"mapping": {h: f for h, f in clean.items() if f}},
    )
    return batch


@transaction.atomic
def batch_start(*, actor: Actor, batch: ImportBatch) -> ImportBatch:
    """Queue the import of a mapped batch as a background task (progress on batch.progress)."""
    require(actor, Right.IMPORTS_RUN, batch.place)
    updated = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.MAPPED).update(
        status=ImportBatch.Status.VALIDATING, progress=0, phase="排队中", started_at=timezone.now()
    )
    if not updated:
        raise DomainError(
            gettext("请先确认字段对应;已在导入或已完成的批次不能再次开始"), field="status", code="state"
        )
    audit_record(
        actor=actor,
        kind="action",
        action="batch_start",
        obj=batch,
        community=batch.place.community,
        street=batch.place.street,
    )
    from shequ.imports.tasks import run_import_batch

    run_import_batch.enqueue(batch.pk)
    batch.refresh_from_db()
    return batch
