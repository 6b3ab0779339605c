"""Writes for epidemic operations. Every rule that varies by plan (fever threshold, quarantine days, follow-up
period and frequency, zone types) is read from the incident's frozen plan parameters, never from constants."""

from __future__ import annotations

import csv
import io
import uuid as uuidlib
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop

from shequ.core import instances
from shequ.core.audit import audit_event, audit_record, insert_with_audit
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import covers, grants_with
from shequ.core.rights import Right
from shequ.emergency import services as emergency
from shequ.emergency.models import Incident, IncidentTask, PlanTeam, Team, TeamBuilding
from shequ.epidemic.models import (
    CheckIn,
    Contact,
    ControlZone,
    FollowUp,
    HouseholdStatus,
    Monitoring,
    MonitoringEntry,
    PersonCondition,
    ScreeningCampaign,
    TestingEntry,
    TestingRound,
    Transfer,
    VisitItem,
    VisitRecord,
)
from shequ.ledger.models import Household, HouseholdMember, Person, Residency
from shequ.places.models import Dwelling, Level, Place

TEMPERATURE_MIN = Decimal("34.0")
TEMPERATURE_MAX = Decimal("43.0")
REVISIT_STATUSES = {HouseholdStatus.SOME_AWAY, HouseholdStatus.VACANT, HouseholdStatus.REFUSED}


# Shared checks --------------------------------------------------------------------------------------------------


def _require(actor, right: Right, place_like) -> None:
    if actor is not None and not covers(actor, right, place_like):
        raise PermissionDenied(gettext("不在您的管辖范围内"))


def _require_active(incident: Incident) -> None:
    if not incident.is_active:
        raise DomainError(gettext("该事件已终止响应"), field="incident")


def _int_param(incident: Incident, key: str, *, field: str) -> int:
    value = incident.param(key)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError(
            gettext("预案缺少参数“%(key)s”,请在预案中补充") % {"key": key}, field=field
        ) from None


def fever_threshold(incident: Incident) -> Decimal:
    try:
        return Decimal(str(incident.param("fever_threshold")))
    except (InvalidOperation, TypeError):
        raise DomainError(
            gettext("预案缺少参数“fever_threshold”(发热体温阈值)"), field="temperature"
        ) from None


def parse_temperature(raw, *, field: str = "temperature", required: bool = True) -> Decimal | None:
    if raw is None or str(raw).strip() == "":
        if required:
            raise DomainError(gettext("请填写体温"), field=field, code="required")
        return None
    try:
        value = Decimal(str(raw).strip())
        if not value.is_finite():
            raise ValueError
        value = value.quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise DomainError(gettext("体温“%(value)s”不是数字") % {"value": raw}, field=field) from None
    if not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX:
        raise DomainError(
            gettext("体温%(value)s℃不在合理范围(34.0–43.0℃)内,请核对") % {"value": value}, field=field
        )
    return value


def parse_uuid(raw, *, field: str = "client_uuid") -> uuidlib.UUID:
    try:
        return raw if isinstance(raw, uuidlib.UUID) else uuidlib.UUID(str(raw))
    except (ValueError, TypeError, AttributeError):
        raise DomainError(gettext("提交编号(client_uuid)无效"), field=field) from None


# An incident's scope is set once, at activation, and never changes: it can be kept for the process's life.
_SCOPES: dict[tuple, list[tuple[str, int]]] = {}


def in_scope(incident: Incident, place_like) -> bool:
    """Does a dwelling or place lie in the incident's scope?"""
    if place_like is None or place_like.community_id != incident.community_id:
        return False
    key = (incident.pk, incident.activated_at)  # the activation time guards against a reused primary key
    scope = _SCOPES.get(key)
    if scope is None:
        scope = list(incident.scope_places.values_list("level", "pk"))
        _SCOPES[key] = scope
    for level, pk in scope:
        if level == Level.COMMUNITY or getattr(place_like, f"{level}_id", None) == pk:
            return True
    return False


def building_teams(incident: Incident, building_id: int | None) -> list[Team]:
    """Teams responsible for a building (screening/follow-up teams), in formation order."""
    if building_id is None:
        return []
    return list(
        Team.objects.filter(incident=incident, team_buildings__building_id=building_id)
        .order_by("id")
        .distinct()
    )


def _reading_task(
    *, actor, incident: Incident, person: Person, building_id, temperature, what: str
) -> IncidentTask:
    teams = building_teams(incident, building_id)
    hours = int(incident.param("reading_followup_hours", 2) or 2)
    return emergency.task_create(
        actor=actor,
        incident=incident,
        title=f"跟进{what}异常:{person.name} {temperature or ''}℃".replace(" ℃", ""),
        due_at=timezone.now() + timedelta(hours=hours),
        team=teams[0] if teams else None,
        source=IncidentTask.Source.READING,
        building=Place(pk=building_id) if building_id else None,
        person=person,
        check=False,
    )


# Screening ------------------------------------------------------------------------------------------------------


def campaign_populate(campaign: ScreeningCampaign, building_ids: list[int]) -> int:
    """Every active household in the buildings becomes a visit item, assigned to the building's first team.

    One INSERT … SELECT, so 35,000 households never pass through Python (bench/emergency)."""
    if not building_ids:
        return 0
    item = VisitItem._meta.db_table
    household = Household._meta.db_table
    dwelling = Dwelling._meta.db_table
    team_building = TeamBuilding._meta.db_table
    marks = ", ".join(["%s"] * len(building_ids))
    # Table names come from the models' _meta and every value is a parameter.
    sql = (
        f"INSERT INTO {item} (campaign_id, household_id, dwelling_id, street_id, community_id, compound_id, "  # noqa: S608
        f"building_id, unit_id, grid_id, team_id, status, needs_revisit, visits) "
        f"SELECT %s, h.id, d.id, d.street_id, d.community_id, d.compound_id, d.building_id, d.unit_id, d.grid_id, "
        f"tb.team_id, %s, %s, 0 "
        f"FROM {household} h JOIN {dwelling} d ON d.id = h.dwelling_id "
        # the building's first team, found once per building rather than once per household
        f"LEFT JOIN (SELECT building_id, team_id FROM {team_building} WHERE id IN "
        f"(SELECT MIN(id) FROM {team_building} WHERE incident_id = %s GROUP BY building_id)) tb "
        f"ON tb.building_id = d.building_id "
        f"WHERE h.is_active = %s AND d.building_id IN ({marks})"
    )
    params = [campaign.pk, VisitItem.Status.PENDING, False, campaign.incident_id, True, *building_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@transaction.atomic
def campaign_start(*, actor, incident: Incident, name: str = "", check: bool = True) -> ScreeningCampaign:
    if check:
        _require(actor, Right.EMERGENCY_MANAGE, incident.community)
    _require_active(incident)
    n = incident.campaigns.count() + 1
    campaign = ScreeningCampaign(incident=incident, name=(name or f"第{n}轮拉网排查").strip()[:100])
    campaign.full_clean()
    campaign.save()
    buildings = [b.pk for b in emergency.scope_buildings(incident)]
    total = campaign_populate(campaign, buildings)
    emergency.timeline_add(incident, f"启动{campaign.name},共{total}户", actor=actor)
    audit_record(
        actor=actor,
        kind="create",
        action="campaign_start",
        obj=campaign,
        community=incident.community,
        after={"households": total},
    )
    return campaign


@transaction.atomic
def campaign_close(*, actor, campaign: ScreeningCampaign) -> ScreeningCampaign:
    _require(actor, Right.EMERGENCY_MANAGE, campaign.incident.community)
    if campaign.status == ScreeningCampaign.Status.CLOSED:
        raise DomainError(gettext("该排查已结束"), field="status")
    campaign.status = ScreeningCampaign.Status.CLOSED
    campaign.closed_at = timezone.now()
    campaign.save(update_fields=["status", "closed_at", "updated_at"])
    emergency.timeline_add(campaign.incident, f"{campaign.name}结束", actor=actor)
    audit_record(
        actor=actor,
        kind="update",
        action="campaign_close",
        obj=campaign,
        community=campaign.incident.community,
        after={"status": campaign.status},
    )
    return campaign


def _household_people(household_id: int) -> dict[int, Person]:
    ids = set(
        HouseholdMember.objects.filter(household_id=household_id, left_on__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    dwelling_id = Household.objects.filter(pk=household_id).values_list("dwelling_id", flat=True).first()
    ids |= set(
        Residency.objects.filter(dwelling_id=dwelling_id, until__isnull=True, lives_here=True).values_list(
            "person_id", flat=True
        )
    )
    return Person.objects.in_bulk(ids)


def visit_record(
    *,
    actor,
    item: VisitItem,
    client_uuid,
    status: str,
    people: list[dict] | None = None,
    notes: str = "",
    needs: str = "",
    recorded_at: datetime | None = None,
) -> tuple[VisitRecord, bool]:
    """Record a visit captured on a phone. Idempotent on client_uuid: a resend returns (the first record, False)."""
    client_uuid = parse_uuid(client_uuid)
    existing = VisitRecord.objects.filter(client_uuid=client_uuid).select_related("item").first()
    if existing is not None:
        _require(actor, Right.EMERGENCY_CAPTURE, existing.item.dwelling)
        if existing.item_id != item.pk:
            raise DomainError(gettext("该提交编号已用于另一户"), field="client_uuid", code="conflict")
        return existing, False
    try:
        with transaction.atomic():
            return _visit_record(
                actor=actor,
                item=item,
                client_uuid=client_uuid,
                status=status,
                people=people or [],
                notes=notes,
                needs=needs,
                recorded_at=recorded_at,
            ), True
    except IntegrityError:
        # The same submission arrived twice at once; the other request stored it.
        existing = VisitRecord.objects.filter(client_uuid=client_uuid).first()
        if existing is None:
            raise
        return existing, False


def _visit_record(*, actor, item, client_uuid, status, people, notes, needs, recorded_at) -> VisitRecord:
    item = VisitItem.objects.select_related("campaign__incident", "dwelling").get(pk=item.pk)
    _require(actor, Right.EMERGENCY_CAPTURE, item.dwelling)
    campaign = item.campaign
    incident = campaign.incident
    _require_active(incident)
    if campaign.status != ScreeningCampaign.Status.OPEN:
        raise DomainError(gettext("该排查已结束"), field="item")
    if status not in HouseholdStatus.values:
        raise DomainError(gettext("请选择户状态(全部在家/部分外出/空置无人/拒绝配合)"), field="status")
    now = timezone.now()
    if recorded_at is None or recorded_at > now + timedelta(minutes=10):
        recorded_at = now
    household_people = _household_people(item.household_id)
    threshold = fever_threshold(incident)
    conditions = []
    for i, row in enumerate(people):
        field = f"people[{i}]"
        try:
            pid = int(row.get("person"))
        except (TypeError, ValueError):
            raise DomainError(gettext("请指明是哪位住户"), field=f"{field}.person") from None
        if pid not in household_people:
            raise DomainError(gettext("该人员不是本户成员"), field=f"{field}.person")
        temperature = parse_temperature(row.get("temperature"), field=f"{field}.temperature", required=False)
        conditions.append(
            PersonCondition(
                person=household_people[pid],
                is_present=bool(row.get("is_present", True)),
                has_symptoms=bool(row.get("has_symptoms")),
                symptoms=str(row.get("symptoms", ""))[:200],
                temperature=temperature,
                needs=str(row.get("needs", ""))[:200],
            )
        )
    if len({c.person_id for c in conditions}) != len(conditions):
        raise DomainError(gettext("同一住户填写了两次"), field="people")
    record = VisitRecord(
        client_uuid=client_uuid,
        item=item,
        status=status,
        notes=notes[:300],
        needs=needs[:300],
        recorded_at=recorded_at,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    # client_uuid's uniqueness is the database's to decide: a resend committed a moment ago must reach the
    # IntegrityError branch of visit_record (the first record back), not a validation error
    record.full_clean(exclude=["item", "recorded_by"], validate_unique=False)
    record.save()
    for c in conditions:
        c.record = record
    PersonCondition.objects.bulk_create(conditions)
    VisitItem.objects.filter(pk=item.pk).update(
        status=status,
        needs_revisit=status in REVISIT_STATUSES,
        visits=F("visits") + 1,
        last_visited_at=recorded_at,
    )
    for c in conditions:
        if c.has_symptoms or (c.temperature is not None and c.temperature >= threshold):
            _reading_task(
                actor=actor,
                incident=incident,
                person=c.person,
                building_id=item.building_id,
                temperature=c.temperature,
                what="排查发现",
            )
    audit_record(
        actor=actor,
        kind="create",
        action="visit_record",
        object_type="epidemic.visitrecord",
        object_id=str(record.pk),
        object_label=item.dwelling.masked_address(),
        community=incident.community,
        after={"status": status, "people": len(conditions)},
    )
    return record


# Check-ins ------------------------------------------------------------------------------------------------------


def _checkin_channel(actor, home: Dwelling) -> str:
    if actor is None:
        return CheckIn.Channel.WORKER
    for g in grants_with(actor, Right.SELF_SERVICE):
        if g.level == "dwelling" and g.target_id == home.pk:
            return CheckIn.Channel.SELF
    if covers(actor, Right.EMERGENCY_CAPTURE, home):
        roles = {g.role for g in grants_with(actor, Right.EMERGENCY_CAPTURE)}
        return CheckIn.Channel.LEADER if roles == {"building_leader"} else CheckIn.Channel.WORKER
    raise PermissionDenied(gettext("不在您的管辖范围内"))


def checkin_submit(
    *,
    actor,
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
    channel = _checkin_channel(actor, home)
    try:
        _require_active(incident)
        if not in_scope(incident, home):
            raise DomainError(gettext("该居民不在本次响应范围内"), field="person")
        value = parse_temperature(temperature)
        today = timezone.localdate()
        on = on or today
        if on > today:
            raise DomainError(gettext("打卡日期不能晚于今天"), field="on")
        over = bool(has_symptoms) or value >= fever_threshold(incident)
    except DomainError:
        # a resend of a check-in the server already has is answered with it, whatever changed since
        existing = _existing_checkin(client_uuid, person=person, incident=incident)
        if existing is not None:
            return existing, False
        raise
    # ids, and the related objects put in the cache: assigning instances runs checks that cost on the hot path
    checkin = instances.unsaved(
        CheckIn,
        client_uuid=client_uuid,
        incident_id=incident.pk,
        is_drill=incident.is_drill,
        person_id=person.pk,
        dwelling_id=home.pk,
        community_id=home.community_id,
        building_id=home.building_id,
        on=on,
        temperature=value,
        has_symptoms=bool(has_symptoms),
        symptoms=(symptoms or "")[:200],
        is_over_threshold=over,
        channel=channel,
        reported_by_id=getattr(actor, "pk", None),
    )
    for name, related in (("incident", incident), ("person", person), ("dwelling", home)):
        CheckIn._meta.get_field(name).set_cached_value(checkin, related)
    # No look-up before the insert: the unique constraint on client_uuid decides, so a first send costs nothing
    # extra and a resend is found after the insert fails.
    if not over:
        # the common case: the check-in and its audit row in one statement (bench/emergency)
        event = audit_event(
            actor=actor,
            kind="create",
            action="checkin_submit",
            object_type="epidemic.checkin",
            object_label=person.name,
            community_id=incident.community_id,
            street_id=incident.street_id,
            after={"on": on, "over": over},
        )
        if insert_with_audit(checkin, event):
            return checkin, True
        return _checkin_conflict(client_uuid, person=person, incident=incident, on=on)
    try:
        with transaction.atomic():
            checkin.save(force_insert=True)
            if over:
                _reading_task(
                    actor=actor,
                    incident=incident,
                    person=person,
                    building_id=home.building_id,
                    temperature=value,
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
                after={"on": on, "over": over},
            )
    except IntegrityError:
        return _checkin_conflict(client_uuid, person=person, incident=incident, on=on)
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


# Control zones --------------------------------------------------------------------------------------------------


@transaction.atomic
def zone_set(
    *,
    actor,
    incident: Incident,
    place: Place,
    zone_type: str,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    rules: str | None = None,
) -> ControlZone:
    """Mark a compound or building with one of the plan's zone types. A place holds one zone at a time: a new
    zone ends the one before it when it starts."""
    _require(actor, Right.EMERGENCY_MANAGE, place)
    _require_active(incident)
    types = incident.param("zone_types") or []
    if zone_type not in types:
        raise DomainError(
            gettext("区域类型须为本预案的类型之一:%(types)s")
            % {"types": gettext("、").join(types) or gettext("(预案未设置区域类型)")},
            field="zone_type",
        )
    if place.level not in (Level.COMPOUND, Level.BUILDING):
        raise DomainError(gettext("管控区域须为小区或楼栋"), field="place")
    if not in_scope(incident, place):
        raise DomainError(gettext("该地点不在本次响应范围内"), field="place")
    starts_at = starts_at or timezone.now()
    if ends_at is not None and ends_at <= starts_at:
        raise DomainError(gettext("结束时间须晚于开始时间"), field="ends_at")
    if rules is None:
        rules = (incident.param("zone_rules") or {}).get(zone_type, "")
    current = ControlZone.objects.filter(incident=incident, place=place).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=starts_at)
    )
    for old in current:
        if old.starts_at >= starts_at:
            raise DomainError(gettext("该地点在此时间之后已有管控安排,请先调整"), field="starts_at")
        old.ends_at = starts_at
        old.save(update_fields=["ends_at", "updated_at"])
    zone = ControlZone(
        incident=incident,
        place=place,
        community_id=place.community_id,
        zone_type=zone_type,
        rules=rules,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    zone.full_clean()
    zone.save()
    emergency.timeline_add(incident, f"{place.name}划为{zone_type}", actor=actor, at=starts_at)
    audit_record(
        actor=actor,
        kind="create",
        action="zone_set",
        obj=zone,
        community=incident.community,
        after={"place": place.name, "zone_type": zone_type, "starts_at": starts_at, "ends_at": ends_at},
    )
    emergency.send_notice(
        actor=actor,
        incident=incident,
        recipients=_users_in_place(place),
        kind="epidemic.zone",
        title=f"{place.name}已划为{zone_type}",
        body=rules or "",
        dedupe_key=f"zone-{zone.pk}",
    )
    return zone


def _users_in_place(place: Place) -> list:
    from shequ.accounts.models import RoleAssignment

    ras = (
        RoleAssignment.objects.filter(is_active=True)
        .filter(Q(**{f"household__dwelling__{place.level}_id": place.pk}) | Q(place_id=place.pk))
        .select_related("user")
    )
    return list({ra.user for ra in ras})


@transaction.atomic
def zone_end(*, actor, zone: ControlZone, ends_at: datetime | None = None) -> ControlZone:
    _require(actor, Right.EMERGENCY_MANAGE, zone.place)
    ends_at = ends_at or timezone.now()
    if zone.ends_at is not None and zone.ends_at <= timezone.now():
        raise DomainError(gettext("该区域已解除"), field="ends_at")
    if ends_at <= zone.starts_at:
        raise DomainError(gettext("结束时间须晚于开始时间"), field="ends_at")
    zone.ends_at = ends_at
    zone.save(update_fields=["ends_at", "updated_at"])
    emergency.timeline_add(zone.incident, f"{zone.place.name}解除{zone.zone_type}", actor=actor, at=ends_at)
    audit_record(
        actor=actor,
        kind="update",
        action="zone_end",
        obj=zone,
        community=zone.community,
        after={"ends_at": ends_at},
    )
    return zone


# Monitoring -----------------------------------------------------------------------------------------------------


def planned_end(incident: Incident, starts_on: date) -> date:
    """The plan's `quarantine_days`, counting the start day as day 1: a 7-day plan ends on day 7."""
    days = _int_param(incident, "quarantine_days", field="kind")
    if days < 1:
        raise DomainError(gettext("预案的隔离/监测天数须至少为1天"), field="kind")
    return starts_on + timedelta(days=days - 1)


@transaction.atomic
def monitoring_start(
    *,
    actor,
    incident: Incident,
    person: Person,
    reason: str,
    kind: str = Monitoring.Kind.HEALTH,
    starts_on: date | None = None,
) -> Monitoring:
    home = person.home
    if home is None:
        raise DomainError(gettext("该人员没有登记现住址"), field="person")
    _require(actor, Right.EMERGENCY_MANAGE, home)
    _require_active(incident)
    if not in_scope(incident, home):
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
    *, actor, monitoring: Monitoring, temperature, has_symptoms: bool = False, notes: str = ""
) -> MonitoringEntry:
    _require(actor, Right.EMERGENCY_CAPTURE, monitoring.dwelling)
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
    if has_symptoms or value >= fever_threshold(monitoring.incident):
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
def monitoring_release(*, actor, monitoring: Monitoring, on: date | None = None) -> Monitoring:
    if actor is not None:
        _require(actor, Right.EMERGENCY_MANAGE, monitoring.dwelling)
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
        monitoring_release(actor=None, monitoring=m, on=m.planned_end_on + timedelta(days=1))
        n += 1
    return n


@transaction.atomic
def monitoring_transfer(
    *, actor, monitoring: Monitoring, destination: str, at: datetime | None = None
) -> Transfer:
    _require(actor, Right.EMERGENCY_MANAGE, monitoring.dwelling)
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
def monitoring_refusal(*, actor, monitoring: Monitoring, reason: str, follow_up: str) -> Transfer:
    _require(actor, Right.EMERGENCY_MANAGE, monitoring.dwelling)
    _require_monitoring_open(monitoring)
    if not (reason or "").strip():
        raise DomainError(gettext("请填写拒绝原因"), field="reason")
    if not (follow_up or "").strip():
        raise DomainError(gettext("请填写跟进措施"), field="follow_up")
    teams = building_teams(monitoring.incident, monitoring.building_id)
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


# Contacts -------------------------------------------------------------------------------------------------------


def followup_dates(incident: Incident, last_contact_on: date) -> list[date]:
    """Follow-up days over the plan's period at its frequency: last contact + every, + 2·every … ≤ + period."""
    period = _int_param(incident, "followup_days", field="last_contact_on")
    every = _int_param(incident, "followup_every_days", field="last_contact_on")
    if every < 1:
        raise DomainError(gettext("预案的随访间隔须至少为1天"), field="last_contact_on")
    return [last_contact_on + timedelta(days=k) for k in range(every, period + 1, every)]


@transaction.atomic
def contact_add(
    *, actor, incident: Incident, person: Person, case_label: str, relation: str, last_contact_on: date
) -> Contact:
    home = person.home
    if home is None:
        raise DomainError(gettext("该人员没有登记现住址"), field="person")
    _require(actor, Right.EMERGENCY_MANAGE, home)
    _require_active(incident)
    if not in_scope(incident, home):
        raise DomainError(gettext("该人员不在本次响应范围内"), field="person")
    if not (case_label or "").strip():
        raise DomainError(gettext("请填写关联病例"), field="case_label")
    if not (relation or "").strip():
        raise DomainError(gettext("请填写与病例的关系"), field="relation")
    if last_contact_on is None:
        raise DomainError(gettext("请填写末次接触日期"), field="last_contact_on")
    if last_contact_on > timezone.localdate():
        raise DomainError(gettext("末次接触日期不能晚于今天"), field="last_contact_on")
    if Contact.objects.filter(incident=incident, person=person).exists():
        raise DomainError(
            gettext("%(name)s 已登记为密接") % {"name": person.name}, field="person", code="duplicate"
        )
    contact = Contact(
        incident=incident,
        person=person,
        case_label=case_label.strip()[:60],
        relation=relation.strip()[:40],
        last_contact_on=last_contact_on,
        community_id=home.community_id,
        building_id=home.building_id,
    )
    contact.full_clean()
    contact.save()
    followups_generate(contact)
    audit_record(
        actor=actor,
        kind="create",
        action="contact_add",
        obj=contact,
        community=incident.community,
        after={"relation": contact.relation, "last_contact_on": last_contact_on},
    )
    return contact


def followups_generate(contact: Contact) -> list[FollowUp]:
    """Round-robin over the teams covering the contact's building, continuing from the building's last turn so
    successive contacts in one building spread across its teams."""
    incident = contact.incident
    teams = building_teams(incident, contact.building_id)
    if not teams:
        teams = list(
            Team.objects.filter(
                incident=incident,
                plan_team_code__in=PlanTeam.objects.filter(plan=incident.plan, covers_buildings=True).values(
                    "code"
                ),
            ).order_by("id")
        )
    turn = FollowUp.objects.filter(
        contact__incident=incident, contact__building_id=contact.building_id
    ).count()
    rows = []
    for i, day in enumerate(followup_dates(incident, contact.last_contact_on)):
        team = teams[(turn + i) % len(teams)] if teams else None
        rows.append(FollowUp(contact=contact, due_on=day, team=team))
    return FollowUp.objects.bulk_create(rows)


@transaction.atomic
def followup_record(*, actor, followup: FollowUp, status: str, result: str = "") -> FollowUp:
    contact = followup.contact
    home = contact.person.home
    if (
        actor is not None
        and not (home is not None and covers(actor, Right.EMERGENCY_CAPTURE, home))
        and not covers(actor, Right.EMERGENCY_MANAGE, contact.community)
    ):
        raise PermissionDenied(gettext("不在您的管辖范围内"))
    if status not in (FollowUp.Status.DONE, FollowUp.Status.MISSED):
        raise DomainError(gettext("请选择随访结果(已随访/未联系上)"), field="status")
    followup.status = status
    followup.result = (result or "")[:200]
    followup.done_at = timezone.now()
    followup.save(update_fields=["status", "result", "done_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="followup_record",
        obj=contact,
        community=contact.community,
        after={"due_on": followup.due_on, "status": status},
    )
    return followup


# Testing rounds -------------------------------------------------------------------------------------------------


@transaction.atomic
def testing_round_create(*, actor, incident: Incident, name: str, on: date | None = None) -> TestingRound:
    _require(actor, Right.EMERGENCY_MANAGE, incident.community)
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
    building_ids = [b.pk for b in emergency.scope_buildings(incident)]
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
def testing_import(*, actor, testing_round: TestingRound, content: bytes | str) -> dict:
    """Import results from CSV (columns 证件号码, 结果[, 采样时间]). Every row is checked first; if any row is
    wrong nothing is changed and the errors name the line and column."""
    from shequ.ledger.services import find_by_id_number

    _require(actor, Right.EMERGENCY_MANAGE, testing_round.community)
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
def testing_mark_missed(*, actor, testing_round: TestingRound) -> int:
    _require(actor, Right.EMERGENCY_MANAGE, testing_round.community)
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


# Hooks called by emergency --------------------------------------------------------------------------------------


def on_incident_activated(*, actor, incident: Incident, buildings) -> None:
    if incident.param("screening_on_activation") is True:
        campaign = ScreeningCampaign.objects.create(incident=incident, name="第1轮拉网排查")
        total = campaign_populate(campaign, [b.pk for b in buildings])
        emergency.timeline_add(incident, f"启动{campaign.name},共{total}户", actor=actor)


def on_incident_stood_down(*, actor, incident: Incident) -> None:
    now = timezone.now()
    incident.campaigns.filter(status=ScreeningCampaign.Status.OPEN).update(
        status=ScreeningCampaign.Status.CLOSED, closed_at=now
    )
    ControlZone.objects.filter(incident=incident).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).update(
        ends_at=now
    )


def incident_figures(*, incident: Incident) -> dict:
    items = VisitItem.objects.filter(campaign__incident=incident)
    total = items.count()
    reached = items.exclude(status=VisitItem.Status.PENDING).count()
    checkins = CheckIn.objects.filter(incident=incident)
    return {
        gettext_noop("排查户数"): total,
        gettext_noop("已走访户数"): reached,
        gettext_noop("打卡人次"): checkins.count(),
        gettext_noop("体温异常人次"): checkins.filter(is_over_threshold=True).count(),
        gettext_noop("管控区域数"): ControlZone.objects.filter(incident=incident).count(),
        gettext_noop("健康监测人数"): Monitoring.objects.filter(incident=incident).count(),
        gettext_noop("转运人数"): Transfer.objects.filter(
            monitoring__incident=incident, outcome="transferred"
        ).count(),
        gettext_noop("密接人数"): Contact.objects.filter(incident=incident).count(),
    }
