"""Home quarantine and health monitoring (居家隔离/健康监测): start, daily entries, release, transfer, refusal."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import SYSTEM, Actor, require
from shequ.core.rights import Right
from shequ.emergency import services as emergency
from shequ.emergency.models import Incident, IncidentTask
from shequ.epidemic import policies, selectors
from shequ.epidemic.models import (
    Monitoring,
    MonitoringEntry,
    Transfer,
)
from shequ.epidemic.parsing import parse_temperature
from shequ.epidemic.services._common import _int_param, _reading_task, _require_active
from shequ.ledger.models import Person


def planned_end(incident: Incident, starts_on: date) -> date:
    """The plan's `quarantine_days`, counting the start day as day 1: a 7-day plan ends on day 7."""
    days = _int_param(incident, "quarantine_days", field="kind")
    if days < 1:
        raise DomainError(gettext("预案的隔离/监测天数须至少为1天"), field="kind")
    return starts_on + timedelta(days=days - 1)


@transaction.atomic
def monitoring_start(
    *,
    actor: Actor,
    incident: Incident,
    person: Person,
    reason: str,
    kind: str = Monitoring.Kind.HEALTH,
    starts_on: date | None = None,
) -> Monitoring:
    home = person.home
    if home is None:
        raise DomainError(gettext("该人员没有登记现住址"), field="person")
    require(actor, Right.EMERGENCY_MANAGE, home)
    _require_active(incident)
    if not policies.in_scope(incident, home):
        raise DomainError(gettext("该人员不在本次响应范围内"), field="person")
    if kind not in Monitoring.Kind.values:
        raise DomainError(gettext("请选择监测类型"), field="kind")
    if not (reason or "").strip():
        raise DomainError(gettext("请填写原因"), field="reason")
    starts_on = starts_on or timezone.localdate()
    if Monitoring.objects.filter(incident=incident, person=person, status=Monitoring.Status.ACTIVE).exists():
        raise DomainError(
            gettext("%(name)s 已在监测中") % {"name": person.name}, field="person", code="duplicate"
        )
    m = Monitoring(
        incident=incident,
        person=person,
        dwelling=home,
        community_id=home.community_id,
        building_id=home.building_id,
        kind=kind,
        reason=reason.strip()[:200],
        starts_on=starts_on,
        planned_end_on=planned_end(incident, starts_on),
    )
    m.full_clean()
    m.save()
    audit_record(
        actor=actor,
        kind="create",
        action="monitoring_start",
        obj=m,
        community=incident.community,
        after={"person": person.name, "kind": kind, "from": starts_on, "until": m.planned_end_on},
    )
    return m


def _require_monitoring_open(m: Monitoring) -> None:
    if m.status != Monitoring.Status.ACTIVE:
        raise DomainError(gettext("该监测已结束"), field="status")


@transaction.atomic
def monitoring_entry_add(
    *, actor: Actor, monitoring: Monitoring, temperature, has_symptoms: bool = False, notes: str = ""
) -> MonitoringEntry:
    require(actor, Right.EMERGENCY_CAPTURE, monitoring.dwelling)
    _require_monitoring_open(monitoring)
    value = parse_temperature(temperature)
    entry = MonitoringEntry(
        monitoring=monitoring,
        temperature=value,
        has_symptoms=bool(has_symptoms),
        notes=(notes or "")[:200],
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    entry.save()
    if has_symptoms or value >= policies.fever_threshold(monitoring.incident):
        _reading_task(
            actor=actor,
            incident=monitoring.incident,
            person=monitoring.person,
            building_id=monitoring.building_id,
            temperature=value,
            what="监测体温",
        )
    audit_record(
        actor=actor,
        kind="create",
        action="monitoring_entry_add",
        obj=monitoring,
        community=monitoring.community,
        after={"symptoms": bool(has_symptoms)},
    )
    return entry


@transaction.atomic
def monitoring_release(*, actor: Actor, monitoring: Monitoring, on: date | None = None) -> Monitoring:
    require(actor, Right.EMERGENCY_MANAGE, monitoring.dwelling)
    _require_monitoring_open(monitoring)
    monitoring.status = Monitoring.Status.RELEASED
    monitoring.released_on = on or timezone.localdate()
    monitoring.save(update_fields=["status", "released_on", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="monitoring_release",
        obj=monitoring,
        community=monitoring.community,
        after={"released_on": monitoring.released_on},
    )
    return monitoring


def monitoring_release_due(*, incident: Incident, today: date | None = None) -> int:
    """Release everyone whose planned last day has passed (run daily by a task)."""
    today = today or timezone.localdate()
    n = 0
    for m in Monitoring.objects.filter(
        incident=incident, status=Monitoring.Status.ACTIVE, planned_end_on__lt=today
    ):
        monitoring_release(actor=SYSTEM, monitoring=m, on=m.planned_end_on + timedelta(days=1))
        n += 1
    return n


@transaction.atomic
def monitoring_transfer(
    *, actor: Actor, monitoring: Monitoring, destination: str, at: datetime | None = None
) -> Transfer:
    require(actor, Right.EMERGENCY_MANAGE, monitoring.dwelling)
    _require_monitoring_open(monitoring)
    if not (destination or "").strip():
        raise DomainError(gettext("请填写转运去向"), field="destination")
    t = Transfer(
        monitoring=monitoring,
        outcome=Transfer.Outcome.TRANSFERRED,
        destination=destination.strip()[:100],
        at=at or timezone.now(),
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    t.save()
    monitoring.status = Monitoring.Status.TRANSFERRED
    monitoring.save(update_fields=["status", "updated_at"])
    emergency.timeline_add(monitoring.incident, f"转运1人至{t.destination}", actor=actor, at=t.at)
    audit_record(
        actor=actor,
        kind="update",
        action="monitoring_transfer",
        obj=monitoring,
        community=monitoring.community,
        after={"destination": t.destination, "at": t.at},
    )
    return t


@transaction.atomic
def monitoring_refusal(*, actor: Actor, monitoring: Monitoring, reason: str, follow_up: str) -> Transfer:
    require(actor, Right.EMERGENCY_MANAGE, monitoring.dwelling)
    _require_monitoring_open(monitoring)
    if not (reason or "").strip():
        raise DomainError(gettext("请填写拒绝原因"), field="reason")
    if not (follow_up or "").strip():
        raise DomainError(gettext("请填写跟进措施"), field="follow_up")
    teams = selectors.building_teams(monitoring.incident, monitoring.building_id)
    task = emergency.task_create(
        actor=actor,
        incident=monitoring.incident,
        title=f"跟进拒绝转运:{monitoring.person.name} — {follow_up}"[:200],
        due_at=timezone.now()
        + timedelta(hours=int(monitoring.incident.param("reading_followup_hours", 2) or 2)),
        team=teams[0] if teams else None,
        source=IncidentTask.Source.REFUSAL,
        person=monitoring.person,
        check=False,
    )
    t = Transfer(
        monitoring=monitoring,
        outcome=Transfer.Outcome.REFUSED,
        at=timezone.now(),
        reason=reason.strip()[:200],
        follow_up=follow_up.strip()[:200],
        task=task,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    t.save()
    monitoring.status = Monitoring.Status.REFUSED
    monitoring.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="monitoring_refusal",
        obj=monitoring,
        community=monitoring.community,
        after={"reason": t.reason, "follow_up": t.follow_up},
    )
    return t
