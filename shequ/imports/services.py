"""Writes of imports and the calibrated ledger: sources, uploads, mappings, the import run, linking rows to people,
provenance, settling conflicts, and extracts for departments.

The linking interface (for shequ.linkage)
-----------------------------------------
After a batch is validated, its accepted rows (``ImportRow.status == "accepted"``, ``link_status == "pending"``)
go to linking. ``batch_link`` calls ``shequ.linkage.services.link_import_batch(actor=..., batch=...)`` when that
function exists (imported lazily); otherwise it runs the fallback here: exact match by the ID number's keyed hash
→ attach; no match → a new person when the row has a valid ID number, else ``link_status = "review"``.

The linkage side decides who each row is and then calls, per row, one of:

* ``import_row_attach(actor=, row=, person=, method=, probability=None)`` — the row is this person. Sets
  ``row.person`` / ``row.link_status`` ("linked", or "new" when method == "new"), records each field the row
  states as a FieldObservation (provenance), brings the person's fields to the most trusted source's value
  (unless a worker settled that field), creates the residency for the row's dwelling with its role, the household
  membership when the row gives relation_to_head / household_key, confirms the household with the source's name
  and the batch's date, and adds the row's group tags.
* ``import_row_create_person(actor=, row=)`` — a new person from the row's clean values, then attach(method="new").
* ``import_row_skip(actor=, row=)`` — the row is not linked to anyone (link_status "skipped").

``batch_refresh_counts(batch=)`` recounts linked/new/review after the linkage side has worked through a batch.
Row values: ``row.clean`` (masked forms and keyed hashes: id_hash, phone_hash, name, sex, birth_date ISO, address
label, dwelling id, role, relation_to_head, household_key, tags); the plain ID number and phone come from
``pii.unseal(row.sealed)`` and must never be logged or shown."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from shequ.core import pii
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import covers
from shequ.core.pii import unseal
from shequ.core.rights import Right
from shequ.imports.models import (
    OBSERVED_FIELDS,
    ColumnMapping,
    DataSource,
    Extract,
    FieldDecision,
    FieldObservation,
    ImportBatch,
    ImportRow,
)
from shequ.imports.parsing import FIELDS, FileFormatError, apply_mapping, normalize_header, open_table
from shequ.imports.parsing import suggest_mapping as _suggest
from shequ.imports.pipeline import PlaceContext, process_row
from shequ.ledger import services as ledger
from shequ.ledger.models import GroupTag, Household, HouseholdMember, Person, Residency
from shequ.places.models import Dwelling, Level, Place

logger = logging.getLogger(__name__)

CHUNK = 1000
FASTPATH_MIN_BYTES = 2 * 1024 * 1024  # below this the ORM path is as quick and simpler
ALLOWED_EXTENSIONS = (".xlsx", ".xls", ".csv", ".txt")
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def _require(actor, right: Right, place) -> None:
    if actor is not None and not covers(actor, right, place):
        raise PermissionDenied(gettext("不在您的管辖范围内"))


def _number(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


# Sources ------------------------------------------------------------------------------------------------------


@transaction.atomic
def source_create(*, actor, owner: Place, name: str, kind: str, trust_rank: int | None = None) -> DataSource:
    """Add a data source kept by a street or community."""
    if owner.level not in (Level.STREET, Level.COMMUNITY):
        raise DomainError(gettext("数据来源须属于街道或社区"), field="owner")
    _require(actor, Right.IMPORTS_RUN, owner)
    name = (name or "").strip()
    if not name:
        raise DomainError(gettext("请填写来源名称"), field="name", code="required")
    if kind not in DataSource.Kind.values:
        raise DomainError(gettext("请选择来源类别"), field="kind")
    if trust_rank is None:
        trust_rank = DataSource.DEFAULT_TRUST[kind]
    if not 0 <= int(trust_rank) <= 100:
        raise DomainError(gettext("可信度应在0到100之间"), field="trust_rank")
    if DataSource.objects.filter(owner=owner, name=name).exists():
        raise DomainError(
            gettext("已有名为“%(name)s”的数据来源") % {"name": name}, field="name", code="duplicate"
        )
    source = DataSource(
        owner=owner,
        name=name,
        kind=kind,
        trust_rank=int(trust_rank),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    source.full_clean()
    source.save()
    audit_record(
        actor=actor, kind="create", action="source_create", obj=source, after={"name": name, "kind": kind}
    )
    return source


@transaction.atomic
def sources_ensure_defaults(*, street: Place) -> list[DataSource]:
    """The six registers every street has (公安户籍, 物业业主名册, …), created once per street by the system."""
    made = []
    for kind, label in DataSource.Kind.choices:
        if kind == DataSource.Kind.OTHER:
            continue
        source, created = DataSource.objects.get_or_create(
            owner=street,
            name=str(label),
            defaults={"kind": kind, "trust_rank": DataSource.DEFAULT_TRUST[kind], "is_builtin": True},
        )
        if created:
            made.append(source)
    return made


def source_usable_at(source: DataSource, place: Place) -> bool:
    return source.owner_id in (place.pk, place.street_id, place.community_id)


# Upload and mapping -------------------------------------------------------------------------------------------


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
    *, actor, source: DataSource, place: Place, uploaded, observed_on: date | None = None
) -> ImportBatch:
    """Keep an uploaded file as a new batch, with its headers and a suggested mapping. The same file from the
    same source twice is refused with the earlier batch in `extra["batch"]` (nothing is created)."""
    _require(actor, Right.IMPORTS_RUN, place)
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
        number=_number("DR"),
        source=source,
        place=place,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
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
def batch_set_mapping(*, actor, batch: ImportBatch, mapping: dict[str, str | None]) -> ImportBatch:
    """Choose the field each column means; remembered for the source's next file."""
    _require(actor, Right.IMPORTS_RUN, batch.place)
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
def batch_start(*, actor, batch: ImportBatch) -> ImportBatch:
    """Queue the import of a mapped batch as a background task (progress on batch.progress)."""
    _require(actor, Right.IMPORTS_RUN, batch.place)
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


def _progress(batch: ImportBatch, value: int, phase: str, **counts) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(progress=min(100, value), phase=phase, **counts)


# The run ------------------------------------------------------------------------------------------------------


def batch_run(*, batch_id: int, use_linkage: bool = True) -> ImportBatch:
    """The background task's body: validate every row (kept, accepted or rejected), then link the accepted ones.
    Any unexpected error marks the batch failed with a message for the user; the rows stay for inspection."""
    batch = ImportBatch.objects.select_related("source", "place", "created_by").get(pk=batch_id)
    actor = batch.created_by
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


def batch_link(*, actor, batch: ImportBatch, start: int = 60, use_linkage: bool = True) -> ImportBatch:
    """Link the batch's accepted rows to people: through shequ.linkage when it offers `link_import_batch`,
    else (and for any rows it leaves pending, or if it fails) by the exact-ID fallback. Marks the batch done."""
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.IMPORTING, phase="比对关联中")
    linker = external_linker() if use_linkage else None
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


def external_linker():
    """shequ.linkage.services.link_import_batch when the linkage app provides it, else None (the fallback)."""
    try:
        from shequ.linkage import services as linkage_services  # optional, built separately
    except ImportError:
        return None
    return getattr(linkage_services, "link_import_batch", None)


def _link_fallback(*, actor, batch: ImportBatch, start: int) -> None:
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


# Linking one row ----------------------------------------------------------------------------------------------


def _default_role(source: DataSource) -> str:
    return {
        DataSource.Kind.PROPERTY: Residency.Role.OWNER,
        DataSource.Kind.POLICE: Residency.Role.REGISTERED,
    }.get(source.kind, Residency.Role.OCCUPANT)


def _lives_here(source: DataSource, role: str) -> bool:
    if source.kind in DataSource.OBSERVES_LIVING:
        return True
    return role in (Residency.Role.TENANT, Residency.Role.OCCUPANT)


def value_key(field: str, value: str) -> str:
    return pii.keyed_hash("obs", f"{field}:{value}")


def _mask_address(label: str) -> str:
    import re

    return re.sub(r"\d+[A-Z]?$", "***", label)


def _observations_for_row(row: ImportRow, secrets_: dict) -> list[tuple[str, str, str, str, str]]:
    """(field, plain value, encrypted value, masked value, key) for each field the row states."""
    clean = row.clean
    out = []
    for field in OBSERVED_FIELDS:
        if field == "id_number":
            if secrets_.get("id"):
                out.append(
                    ("id_number", "", pii.encrypt(secrets_["id"]), clean["id_masked"], clean["id_hash"])
                )
        elif field == "phone":
            if secrets_.get("phone"):
                out.append(
                    ("phone", "", pii.encrypt(secrets_["phone"]), clean["phone_masked"], clean["phone_hash"])
                )
        elif field == "address":
            if clean.get("address"):
                label = clean["address"]
                out.append(("address", label, "", _mask_address(label), value_key("address", label)))
        elif clean.get(field):
            value = str(clean[field])
            shown = {"M": "男", "F": "女"}.get(value, value) if field == "sex" else value
            out.append((field, value, "", shown, value_key(field, value)))
    return out


def person_value_key(person: Person, field: str) -> str:
    """The key of the person's current value of a field, comparable with FieldObservation.value_key."""
    if field == "id_number":
        return person.id_number_hash
    if field == "phone":
        return person.phone_hash
    if field == "address":
        return value_key("address", person.home.address) if person.home_id else ""
    value = getattr(person, field)
    if value in (None, ""):
        return ""
    if field == "birth_date":
        value = value.isoformat()
    return value_key(field, str(value))


APPLIED_FIELDS = ("name", "sex", "birth_date", "ethnicity", "phone", "hukou_region")


def _apply_current_values(*, actor, person: Person, fields: Iterable[str]) -> Person:
    """Bring the person's fields to the winning observation (highest trust, then latest), except fields a worker
    settled. A value the ledger refuses (e.g. a birth date against the ID number) stays a listed conflict."""
    settled = set(
        FieldDecision.objects.filter(person=person, field__in=list(fields)).values_list("field", flat=True)
    )
    changes: dict = {}
    for field in fields:
        if field not in APPLIED_FIELDS or field in settled:
            continue
        winner = (
            FieldObservation.objects.filter(person=person, field=field)
            .select_related("source")
            .order_by("-source__trust_rank", "-observed_on", "-id")
            .first()
        )
        if winner is None or winner.value_key == person_value_key(person, field):
            continue
        changes[field] = _observation_value(winner)
    if not changes:
        return person
    try:
        with transaction.atomic():
            return ledger.person_update(actor=actor, person=person, **changes)
    except (DomainError, PermissionDenied):
        # refused by the ledger, or the person is kept by another community: the sources' word stays on record
        return person


def _observation_value(observation: FieldObservation):
    if observation.field in ("id_number", "phone"):
        return pii.decrypt(observation.value_encrypted)
    if observation.field == "birth_date":
        return date.fromisoformat(observation.value)
    return observation.value


def _link_household(*, actor, row: ImportRow, person: Person, dwelling: Dwelling, observed_on: date) -> None:
    clean = row.clean
    relation = clean.get("relation_to_head")
    membership = (
        HouseholdMember.objects.filter(person=person, left_on__isnull=True, household__dwelling=dwelling)
        .select_related("household__dwelling")
        .first()
    )
    household = membership.household if membership else None
    if household is None and (relation or clean.get("household_key")):
        household = (
            Household.objects.filter(dwelling=dwelling, is_active=True)
            .select_related("dwelling")
            .order_by("pk")
            .first()
        )
        if household is None:
            household = ledger.household_create(actor=actor, dwelling=dwelling)
        relation = relation or "relative"
        has_head = household.members.filter(relation="head", left_on__isnull=True).exists()
        if relation == "head" and has_head:
            relation = "relative"
        ledger.household_add_member(actor=actor, household=household, person=person, relation=relation)
    if household is not None:
        ledger.household_confirm(
            actor=actor, household=household, source=row.batch.source.name, on=observed_on
        )


@transaction.atomic
def import_row_attach(
    *, actor, row: ImportRow, person: Person, method: str, probability: float | None = None
) -> ImportRow:
    """The row is this person: link it, record what the source says (provenance), and bring the ledger up to date
    (current values, residency, household membership and confirmation, group tags). Idempotent per row."""
    batch = row.batch
    _require(actor, Right.IMPORTS_RUN, batch.place)
    if row.status != ImportRow.Status.ACCEPTED:
        raise DomainError(gettext("只有校验通过的行可以关联人员"), field="row", code="not_accepted")
    while person.merged_into_id:
        person = person.merged_into
    if row.person_id == person.pk and row.link_status in (ImportRow.Link.LINKED, ImportRow.Link.NEW):
        return row
    source = batch.source
    observed_on = batch.observed_on or timezone.localdate()
    secrets_ = unseal(row.sealed)
    row.person = person
    row.link_status = ImportRow.Link.NEW if method == "new" else ImportRow.Link.LINKED
    row.link_method = method[:30]
    row.match_probability = probability
    row.save(update_fields=["person", "link_status", "link_method", "match_probability"])
    FieldObservation.objects.filter(row=row).delete()  # a re-link replaces this row's own word
    observations = [
        FieldObservation(
            person=person,
            field=field,
            value=value,
            value_encrypted=encrypted,
            value_masked=masked,
            value_key=key,
            source=source,
            batch=batch,
            row=row,
            observed_on=observed_on,
        )
        for field, value, encrypted, masked, key in _observations_for_row(row, secrets_)
    ]
    FieldObservation.objects.bulk_create(observations)
    person = _apply_current_values(actor=actor, person=person, fields=[o.field for o in observations])
    dwelling = Dwelling.objects.select_related("community", "compound").filter(pk=row.dwelling_id).first()
    if dwelling is not None:
        role = row.clean.get("role") or _default_role(source)
        if not Residency.objects.filter(
            person=person, dwelling=dwelling, role=role, until__isnull=True
        ).exists():
            ledger.residency_create(
                actor=actor,
                person=person,
                dwelling=dwelling,
                role=role,
                lives_here=_lives_here(source, role),
                source=source.name,
                audit=False,
            )
        _link_household(actor=actor, row=row, person=person, dwelling=dwelling, observed_on=observed_on)
    for kind in row.clean.get("tags", []):
        if not GroupTag.objects.filter(person=person, kind=kind, until__isnull=True).exists():
            ledger.tag_add(actor=actor, person=person, kind=kind, detail=f"来源:{source.name}", audit=False)
    audit_record(
        actor=actor,
        kind="update",
        action="import_row_attach",
        obj=row,
        object_label=f"{batch.number} 第{row.row_number}行",
        community=batch.place.community,
        street=batch.place.street,
        after={"person": person.name, "method": method, "probability": probability},
    )
    return row


@transaction.atomic
def import_row_create_person(*, actor, row: ImportRow) -> Person:
    """A new person from the row's values, in the batch's community (or the dwelling's, for a street batch)."""
    batch = row.batch
    _require(actor, Right.IMPORTS_RUN, batch.place)
    if row.status != ImportRow.Status.ACCEPTED:
        raise DomainError(gettext("只有校验通过的行可以新建人员"), field="row", code="not_accepted")
    clean = row.clean
    community = batch.place if batch.place.level == Level.COMMUNITY else None
    if community is None and row.dwelling_id:
        community = Place.objects.get(
            pk=Dwelling.objects.filter(pk=row.dwelling_id).values("community_id")[:1]
        )
    if community is None:
        raise DomainError(
            gettext("街道级导入的行没有地址,无法确定登记社区"), field="address", code="no_community"
        )
    secrets_ = unseal(row.sealed)
    fields = {}
    for key in ("ethnicity", "hukou_region"):
        if clean.get(key):
            fields[key] = clean[key]
    person = ledger.person_create(
        actor=actor,
        community=community,
        name=clean.get("name", ""),
        sex=clean.get("sex", ""),
        birth_date=date.fromisoformat(clean["birth_date"]) if clean.get("birth_date") else None,
        id_number=secrets_.get("id", ""),
        phone=secrets_.get("phone", ""),
        phone_is_landline=bool(clean.get("phone_is_landline")),
        **fields,
    )
    import_row_attach(actor=actor, row=row, person=person, method="new", probability=None)
    return person


@transaction.atomic
def import_row_skip(*, actor, row: ImportRow) -> ImportRow:
    _require(actor, Right.IMPORTS_RUN, row.batch.place)
    row.link_status = ImportRow.Link.SKIPPED
    row.save(update_fields=["link_status"])
    audit_record(
        actor=actor,
        kind="update",
        action="import_row_skip",
        obj=row,
        object_label=f"{row.batch.number} 第{row.row_number}行",
        community=row.batch.place.community,
    )
    return row


# Conflicts ----------------------------------------------------------------------------------------------------


@transaction.atomic
def conflict_settle(
    *, actor, person: Person, field: str, observation: FieldObservation, note: str = ""
) -> FieldDecision:
    """A worker picks which source is right about a field: the person takes that value (through the ledger's
    person_update) and the decision is kept, so later imports do not overwrite it."""
    if not covers(actor, Right.LEDGER_EDIT, person.home or person.community) and not covers(
        actor, Right.LEDGER_EDIT, person.community
    ):
        raise PermissionDenied(gettext("不在您的管辖范围内"))
    if observation.person_id != person.pk or observation.field != field:
        raise DomainError(gettext("所选的值不属于该人员的这一项"), field="observation")
    if field == "address":
        raise DomainError(gettext("住址请通过“迁入/变更住址”办理"), field="field")
    value = _observation_value(observation)
    try:
        ledger.person_update(actor=actor, person=person, **{field: value})
    except DomainError as exc:
        raise DomainError(exc.messages[0], field="observation", code=exc.code) from exc
    decision = FieldDecision.objects.create(
        person=person,
        field=field,
        chosen=observation,
        value_masked=observation.value_masked,
        value_key=observation.value_key,
        note=(note or "").strip()[:200],
        decided_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        kind="update",
        action="conflict_settle",
        obj=person,
        field=field,
        after={"value": observation.value_masked, "source": observation.source.name, "note": decision.note},
    )
    return decision


# Extracts -----------------------------------------------------------------------------------------------------

# Column headings of a data-sharing extract; marked for the catalogue, translated where shown (forms).
EXTRACT_COLUMNS = {
    "name": gettext_noop("姓名"),
    "sex": gettext_noop("性别"),
    "birth_date": gettext_noop("出生日期"),
    "age": gettext_noop("年龄"),
    "id_number": gettext_noop("证件号码"),
    "phone": gettext_noop("联系电话"),
    "address": gettext_noop("现住址"),
    "community": gettext_noop("所属社区"),
    "tags": gettext_noop("人群标签"),
    "hukou": gettext_noop("户籍"),
}


@transaction.atomic
def extract_create(*, actor, place: Place, columns: list[str], purpose: str, fmt: str = "xlsx") -> Extract:
    """Log an extract of chosen columns for a place in the actor's jurisdiction. Values are masked unless the actor
    may reveal personal data there (department liaisons may not). The rows come from selectors.extract_rows."""
    if not covers(actor, Right.EXTRACT_RECEIVE, place):
        raise PermissionDenied(gettext("不在您的管辖范围内"))
    columns = [c for c in columns if c in EXTRACT_COLUMNS]
    if not columns:
        raise DomainError(gettext("请至少选择一列"), field="columns", code="required")
    purpose = (purpose or "").strip()
    if len(purpose) < 2:
        raise DomainError(gettext("请填写用途"), field="purpose", code="required")
    from shequ.imports.selectors import extract_people

    is_masked = not covers(actor, Right.PII_REVEAL, place)
    extract = Extract.objects.create(
        number=_number("TQ"),
        requested_by=actor,
        department=getattr(actor, "department", "")[:60],
        place=place,
        columns=columns,
        purpose=purpose[:200],
        row_count=extract_people(actor=actor, place=place).count(),
        is_masked=is_masked,
        fmt=fmt,
    )
    audit_record(
        actor=actor,
        kind="export",
        action="extract_create",
        obj=extract,
        community=place.community,
        street=place.street,
        reason=purpose[:300],
        after={"columns": columns, "rows": extract.row_count, "masked": is_masked},
    )
    return extract
