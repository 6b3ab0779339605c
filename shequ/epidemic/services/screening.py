"""Screening (拉网排查): campaigns, their visit items, and visits captured on phones (idempotent on client_uuid)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, require
from shequ.core.rights import Right
from shequ.emergency import selectors as emergency_selectors
from shequ.emergency import services as emergency
from shequ.emergency.models import Incident, TeamBuilding
from shequ.epidemic import policies, selectors
from shequ.epidemic.models import (
    HouseholdStatus,
    PersonCondition,
    ScreeningCampaign,
    VisitItem,
    VisitRecord,
)
from shequ.epidemic.parsing import parse_temperature, parse_uuid
from shequ.epidemic.services._common import _reading_task, _require_active
from shequ.ledger.models import Household, Person
from shequ.places.models import Dwelling

REVISIT_STATUSES = {HouseholdStatus.SOME_AWAY, HouseholdStatus.VACANT, HouseholdStatus.REFUSED}


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
def campaign_start(*, actor: Actor, incident: Incident, name: str = "") -> ScreeningCampaign:
    require(actor, Right.EMERGENCY_MANAGE, incident.community)
    _require_active(incident)
    n = incident.campaigns.count() + 1
    campaign = ScreeningCampaign(incident=incident, name=(name or f"第{n}轮拉网排查").strip()[:100])
    campaign.full_clean()
    campaign.save()
    buildings = [b.pk for b in emergency_selectors.scope_buildings(incident)]
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
def campaign_close(*, actor: Actor, campaign: ScreeningCampaign) -> ScreeningCampaign:
    require(actor, Right.EMERGENCY_MANAGE, campaign.incident.community)
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


def visit_record(
    *,
    actor: Actor,
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
        require(actor, Right.EMERGENCY_CAPTURE, existing.item.dwelling)
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


def _conditions(people: list[dict], household_people: dict[int, Person]) -> list[PersonCondition]:
    """The household's people as the phone reported them, each checked to belong to the household."""
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
    return conditions


def _visit_record(
    *, actor: Actor, item, client_uuid, status, people, notes, needs, recorded_at
) -> VisitRecord:
    item = VisitItem.objects.select_related("campaign__incident", "dwelling").get(pk=item.pk)
    require(actor, Right.EMERGENCY_CAPTURE, item.dwelling)
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
    threshold = policies.fever_threshold(incident)
    conditions = _conditions(people, selectors.household_residents(item.household_id))
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
