"""Control zones (管控区域): a compound or building marked with one of the plan's zone types."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, require
from shequ.core.rights import Right
from shequ.emergency import services as emergency
from shequ.emergency.models import Incident
from shequ.epidemic import policies, selectors
from shequ.epidemic.models import (
    ControlZone,
)
from shequ.epidemic.services._common import _require_active
from shequ.places.models import Level, Place


@transaction.atomic
def zone_set(
    *,
    actor: Actor,
    incident: Incident,
    place: Place,
    zone_type: str,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    rules: str | None = None,
) -> ControlZone:
    """Mark a compound or building with one of the plan's zone types. A place holds one zone at a time: a new
    zone ends the one before it when it starts."""
    require(actor, Right.EMERGENCY_MANAGE, place)
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
    if not policies.in_scope(incident, place):
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
        recipients=selectors.users_in_place(place),
        kind="epidemic.zone",
        title=f"{place.name}已划为{zone_type}",
        body=rules or "",
        dedupe_key=f"zone-{zone.pk}",
    )
    return zone


@transaction.atomic
def zone_end(*, actor: Actor, zone: ControlZone, ends_at: datetime | None = None) -> ControlZone:
    require(actor, Right.EMERGENCY_MANAGE, zone.place)
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
