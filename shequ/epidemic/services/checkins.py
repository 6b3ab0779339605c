"""Daily health check-ins (每日健康打卡), the busiest write: a plain reading is one statement (ADR 0006)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from shequ.core import instances
from shequ.core.audit import audit_event, audit_record
from shequ.core.errors import DomainError
from shequ.core.hotpath.insert import insert_with_audit
from shequ.core.jurisdiction import Actor
from shequ.emergency.models import Incident
from shequ.epidemic import policies
from shequ.epidemic.models import (
    CheckIn,
)
from shequ.epidemic.parsing import parse_temperature, parse_uuid
from shequ.epidemic.services._common import _reading_task, _require_active
from shequ.ledger.models import Person
from shequ.places.models import Dwelling, Place


@dataclass(frozen=True)
class _Reading:
    """A check-in's validated values."""

    temperature: Decimal
    on: date
    over: bool


def checkin_submit(
    *,
    actor: Actor,
    incident: Incident,
    person: Person,
    client_uuid,
    temperature,
    has_symptoms: bool = False,
    symptoms: str = "",
    on: date | None = None,
) -> tuple[CheckIn, bool]:
    """每日健康打卡. Idempotent on client_uuid; one check-in per person per day; a reading over the plan's
    threshold (or symptoms) raises a follow-up task for the building's team."""
    client_uuid = parse_uuid(client_uuid)
    home = person.home
    if home is None:
        raise DomainError(gettext("该居民没有登记现住址,无法打卡"), field="person")
    if not policies.can_check_in_for_person(actor, person):
        raise PermissionDenied(gettext("不在您的管辖范围内"))
    try:
        reading = _checkin_reading(incident, home, temperature=temperature, has_symptoms=has_symptoms, on=on)
    except DomainError:
        # a resend of a check-in the server already has is answered with it, whatever changed since
        existing = _existing_checkin(client_uuid, person=person, incident=incident)
        if existing is not None:
            return existing, False
        raise
    checkin = _checkin_row(
        actor,
        incident,
        person,
        home,
        client_uuid=client_uuid,
        reading=reading,
        has_symptoms=has_symptoms,
        symptoms=symptoms,
    )
    # No look-up before the insert: the unique constraint on client_uuid decides, so a first send costs nothing
    # extra and a resend is found after the insert fails.
    if not reading.over:
        return _checkin_insert_plain(actor, checkin, incident, person, client_uuid=client_uuid, on=reading.on)
    return _checkin_insert_over(actor, checkin, incident, person, client_uuid=client_uuid, reading=reading)


def _checkin_reading(incident: Incident, home: Dwelling, *, temperature, has_symptoms, on) -> _Reading:
    _require_active(incident)
    if not policies.in_scope(incident, home):
        raise DomainError(gettext("该居民不在本次响应范围内"), field="person")
    value = parse_temperature(temperature)
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise DomainError(gettext("打卡日期不能晚于今天"), field="on")
    return _Reading(value, on, bool(has_symptoms) or value >= policies.fever_threshold(incident))


def _checkin_row(
    actor: Actor,
    incident: Incident,
    person: Person,
    home: Dwelling,
    *,
    client_uuid,
    reading: _Reading,
    has_symptoms,
    symptoms,
) -> CheckIn:
    """The unsaved row: ids, and the related objects put in the cache (assigning instances runs checks that cost
    on the hot path)."""
    checkin = instances.unsaved(
        CheckIn,
        client_uuid=client_uuid,
        incident_id=incident.pk,
        is_drill=incident.is_drill,
        person_id=person.pk,
        dwelling_id=home.pk,
        community_id=home.community_id,
        building_id=home.building_id,
        on=reading.on,
        temperature=reading.temperature,
        has_symptoms=bool(has_symptoms),
        symptoms=(symptoms or "")[:200],
        is_over_threshold=reading.over,
        channel=policies.checkin_channel(actor, home),
        reported_by_id=getattr(actor, "pk", None),
    )
    for name, related in (("incident", incident), ("person", person), ("dwelling", home)):
        CheckIn._meta.get_field(name).set_cached_value(checkin, related)
    return checkin


def _checkin_insert_plain(
    actor: Actor, checkin: CheckIn, incident: Incident, person: Person, *, client_uuid, on: date
) -> tuple[CheckIn, bool]:
    """The common case: the check-in and its audit row in one statement (bench/emergency)."""
    event = audit_event(
        actor=actor,
        kind="create",
        action="checkin_submit",
        object_type="epidemic.checkin",
        object_label=person.name,
        community_id=incident.community_id,
        street_id=incident.street_id,
        after={"on": on, "over": False},
    )
    if insert_with_audit(checkin, event):
        return checkin, True
    return _checkin_conflict(client_uuid, person=person, incident=incident, on=on)


def _checkin_insert_over(
    actor: Actor, checkin: CheckIn, incident: Incident, person: Person, *, client_uuid, reading: _Reading
) -> tuple[CheckIn, bool]:
    """A reading over the threshold (or with symptoms): the row, a follow-up task and the audit row."""
    try:
        with transaction.atomic():
            checkin.save(force_insert=True)
            _reading_task(
                actor=actor,
                incident=incident,
                person=person,
                building_id=checkin.building_id,
                temperature=reading.temperature,
                what="打卡体温",
            )
            audit_record(
                actor=actor,
                kind="create",
                action="checkin_submit",
                object_type="epidemic.checkin",
                object_id=str(checkin.pk),
                object_label=person.name,
                community=Place(pk=incident.community_id),
                street=Place(pk=incident.street_id),
                after={"on": reading.on, "over": True},
            )
    except IntegrityError:
        return _checkin_conflict(client_uuid, person=person, incident=incident, on=reading.on)
    return checkin, True


def _checkin_conflict(client_uuid, *, person: Person, incident: Incident, on: date) -> tuple[CheckIn, bool]:
    """After an insert refused by a unique constraint: a resend gets the first record, else it is a second
    check-in of the day."""
    existing = _existing_checkin(client_uuid, person=person, incident=incident)
    if existing is not None:
        return existing, False
    raise DomainError(
        gettext("%(name)s %(day)s已打卡") % {"name": person.name, "day": date_format(on, "MONTH_DAY_FORMAT")},
        field="person",
        code="duplicate",
    )


def _existing_checkin(client_uuid, *, person: Person, incident: Incident) -> CheckIn | None:
    existing = CheckIn.objects.filter(client_uuid=client_uuid).first()
    if existing is not None and (existing.person_id != person.pk or existing.incident_id != incident.pk):
        raise DomainError(gettext("该提交编号已用于另一次打卡"), field="client_uuid", code="conflict")
    return existing
