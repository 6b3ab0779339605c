"""Testing rounds (核酸检测): a round over the incident's scope, results imported from CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, require
from shequ.core.rights import Right
from shequ.emergency import selectors as emergency_selectors
from shequ.emergency import services as emergency
from shequ.emergency.models import Incident
from shequ.epidemic.models import (
    TestingEntry,
    TestingRound,
)
from shequ.epidemic.services._common import _require_active
from shequ.ledger.models import Person


@transaction.atomic
def testing_round_create(
    *, actor: Actor, incident: Incident, name: str, on: date | None = None
) -> TestingRound:
    require(actor, Right.EMERGENCY_MANAGE, incident.community)
    _require_active(incident)
    if not (name or "").strip():
        raise DomainError(gettext("请填写轮次名称"), field="name")
    rnd = TestingRound(
        incident=incident,
        name=name.strip()[:100],
        on=on or timezone.localdate(),
        community=incident.community,
    )
    rnd.full_clean()
    rnd.save()
    building_ids = [b.pk for b in emergency_selectors.scope_buildings(incident)]
    people = Person.objects.filter(
        home__building_id__in=building_ids, merged_into__isnull=True, is_deceased=False
    ).values_list("pk", "home__building_id")
    TestingEntry.objects.bulk_create(
        (
            TestingEntry(round=rnd, person_id=pid, building_id=bid)
            for pid, bid in people.iterator(chunk_size=5000)
        ),
        batch_size=5000,
    )
    emergency.timeline_add(incident, f"开展{rnd.name}", actor=actor)
    audit_record(
        actor=actor,
        kind="create",
        action="testing_round_create",
        obj=rnd,
        community=incident.community,
        after={"people": rnd.entries.count()},
    )
    return rnd


RESULT_WORDS = {"阴性": "negative", "negative": "negative", "阳性": "positive", "positive": "positive"}


@transaction.atomic
def testing_import(*, actor: Actor, testing_round: TestingRound, content: bytes | str) -> dict:
    """Import results from CSV (columns 证件号码, 结果[, 采样时间]). Every row is checked first; if any row is
    wrong nothing is changed and the errors name the line and column."""
    from shequ.ledger.services import find_by_id_number

    require(actor, Right.EMERGENCY_MANAGE, testing_round.community)
    _require_active(testing_round.incident)
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                content = content.decode("gb18030")
            except UnicodeDecodeError:
                raise DomainError(gettext("文件编码无法识别,请另存为 UTF-8 的 CSV"), field="file") from None
    reader = csv.DictReader(io.StringIO(content))
    fields = [f.strip() for f in (reader.fieldnames or [])]
    if "证件号码" not in fields or "结果" not in fields:
        raise DomainError(gettext("CSV 须包含“证件号码”和“结果”两列"), field="file")
    entries = {e.person_id: e for e in testing_round.entries.all()}
    errors, updates = [], []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        person = find_by_id_number(row.get("证件号码", ""))
        if person is None:
            errors.append(gettext("第%(line)s行“证件号码”:找不到该证件号码对应的人员") % {"line": line})
            continue
        entry = entries.get(person.pk)
        if entry is None:
            errors.append(gettext("第%(line)s行“证件号码”:该人员不在本轮检测范围内") % {"line": line})
            continue
        result = RESULT_WORDS.get(row.get("结果", "").lower())
        if result is None:
            errors.append(gettext("第%(line)s行“结果”:须为“阴性”或“阳性”") % {"line": line})
            continue
        tested_at = timezone.now()
        if row.get("采样时间"):
            try:
                tested_at = timezone.make_aware(datetime.strptime(row["采样时间"], "%Y-%m-%d %H:%M"))
            except ValueError:
                errors.append(gettext("第%(line)s行“采样时间”:格式应为 2026-01-31 08:30") % {"line": line})
                continue
        updates.append((entry, result, tested_at))
    if errors:
        raise DomainError(
            gettext("导入未执行:") + ";".join(errors[:20]), field="file", extra={"errors": errors}
        )
    for entry, result, tested_at in updates:
        entry.status, entry.result, entry.tested_at = TestingEntry.Status.TESTED, result, tested_at
    TestingEntry.objects.bulk_update(
        [u[0] for u in updates], ["status", "result", "tested_at"], batch_size=2000
    )
    positives = sum(1 for u in updates if u[1] == "positive")
    audit_record(
        actor=actor,
        kind="update",
        action="testing_import",
        obj=testing_round,
        community=testing_round.community,
        after={"rows": len(updates), "positive": positives},
    )
    emergency.timeline_add(
        testing_round.incident, f"{testing_round.name}导入结果{len(updates)}条", actor=actor
    )
    return {"rows": len(updates), "positive": positives}


@transaction.atomic
def testing_mark_missed(*, actor: Actor, testing_round: TestingRound) -> int:
    require(actor, Right.EMERGENCY_MANAGE, testing_round.community)
    n = testing_round.entries.filter(status=TestingEntry.Status.PENDING).update(
        status=TestingEntry.Status.MISSED
    )
    audit_record(
        actor=actor,
        kind="update",
        action="testing_mark_missed",
        obj=testing_round,
        community=testing_round.community,
        after={"missed": n},
    )
    return n
