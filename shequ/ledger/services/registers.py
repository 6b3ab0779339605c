"""Tags (vulnerable groups), household needs and duties (the roster)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, SystemActor, require
from shequ.core.rights import Right
from shequ.ledger.models import Duty, GroupTag, Household, Need, Person
from shequ.places.models import Level, Place


@transaction.atomic
def tag_add(
    *,
    actor: Actor,
    person: Person,
    kind: str,
    grade: str = "",
    detail: str = "",
    since: date | None = None,
    until: date | None = None,
    audit: bool = True,
) -> GroupTag:
    require(actor, Right.LEDGER_EDIT, person.home or person.community)
    if kind not in GroupTag.Kind.values:
        raise DomainError(gettext("请选择人群类别"), field="kind")
    if kind == GroupTag.Kind.DISABLED and grade and grade not in {"一级", "二级", "三级", "四级"}:
        raise DomainError(gettext("残疾等级应为一级至四级"), field="grade")
    if GroupTag.objects.filter(person=person, kind=kind, until__isnull=True).exists():
        raise DomainError(gettext("该人员已有此类别标签"), field="kind", code="duplicate")
    tag = GroupTag(
        person=person,
        kind=kind,
        grade=grade,
        detail=detail,
        since=since,
        until=until,
        recorded_by=None if isinstance(actor, SystemActor) else actor,
    )
    tag.full_clean()
    tag.save()
    if audit:
        audit_record(
            actor=actor,
            kind="create",
            action="tag_add",
            obj=tag,
            community=person.community,
            object_label=f"{person.name} · {tag.get_kind_display()}",
            after={"kind": kind, "grade": grade, "since": since},
        )
    return tag


@transaction.atomic
def tag_end(*, actor: Actor, tag: GroupTag, until: date | None = None) -> GroupTag:
    require(actor, Right.LEDGER_EDIT, tag.person.home or tag.person.community)
    tag.until = until or timezone.localdate()
    tag.save(update_fields=["until", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="tag_end",
        obj=tag,
        community=tag.person.community,
        object_label=f"{tag.person.name} · {tag.get_kind_display()}",
        after={"until": tag.until},
    )
    return tag


@transaction.atomic
def need_create(
    *, actor: Actor, household: Household, kind: str, detail: str = "", person: Person | None = None
) -> Need:
    require(actor, Right.LEDGER_EDIT, household.dwelling)
    if kind not in Need.Kind.values:
        raise DomainError(gettext("请选择需求类别"), field="kind")
    need = Need(
        household=household,
        kind=kind,
        detail=detail,
        person=person,
        recorded_by=None if isinstance(actor, SystemActor) else actor,
    )
    need.full_clean()
    need.save()
    audit_record(
        actor=actor,
        kind="create",
        action="need_create",
        obj=need,
        community=household.dwelling.community,
        after={"kind": kind, "detail": detail},
    )
    return need


@transaction.atomic
def need_set_status(*, actor: Actor, need: Need, status: str) -> Need:
    require(actor, Right.LEDGER_EDIT, need.household.dwelling)
    if status not in Need.Status.values:
        raise DomainError(gettext("状态无效"), field="status")
    before = need.status
    need.status = status
    need.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="need_set_status",
        obj=need,
        community=need.household.dwelling.community,
        before={"status": before},
        after={"status": status},
    )
    return need


@transaction.atomic
def duty_assign(
    *,
    actor: Actor,
    person: Person,
    kind: str,
    place: Place,
    title: str = "",
    employer: str = "",
    skills: str = "",
    since: date | None = None,
    grid=None,
    audit: bool = True,
) -> Duty:
    """Put a person on the roster with a duty and a place of duty (community, compound or building)."""
    if place.level not in (Level.COMMUNITY, Level.COMPOUND, Level.BUILDING, Level.UNIT):
        raise DomainError(gettext("履职地点须为社区、小区、楼栋或单元"), field="place")
    require(actor, Right.LEDGER_EDIT, place)
    if kind not in Duty.Kind.values:
        raise DomainError(gettext("请选择职责"), field="kind")
    if Duty.objects.filter(person=person, kind=kind, place=place, is_active=True).exists():
        raise DomainError(gettext("该人员已在此地点担任此职责"), field="kind", code="duplicate")
    duty = Duty(
        person=person,
        kind=kind,
        place=place,
        title=title,
        employer=employer,
        skills=skills,
        since=since,
        grid=grid or place.grid,
        street_id=place.street_id,  # type: ignore[misc]  # a place below the street has both
        community_id=place.community_id,
        compound_id=place.compound_id,
        building_id=place.building_id,
        unit_id=place.unit_id,
    )
    duty.full_clean()
    duty.save()
    if audit:
        audit_record(
            actor=actor,
            kind="create",
            action="duty_assign",
            obj=duty,
            community=place.community,
            after={"person": person.name, "kind": kind, "place": place.name},
        )
    return duty


@transaction.atomic
def duty_end(*, actor: Actor, duty: Duty, until: date | None = None) -> Duty:
    require(actor, Right.LEDGER_EDIT, duty.place)
    duty.is_active = False
    duty.until = until or timezone.localdate()
    duty.save(update_fields=["is_active", "until", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="duty_end",
        obj=duty,
        community=duty.community,
        after={"until": duty.until},
    )
    return duty
