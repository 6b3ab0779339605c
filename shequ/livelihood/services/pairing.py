"""Pairing (结对帮扶): residents chosen for care, helpers' capacity, pairings made by hand or by the optimiser,
ended or re-paired."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.ledger.models import Person
from shequ.livelihood import policies, selectors
from shequ.livelihood.models import CareSelection, HelperCapacity, Pairing
from shequ.livelihood.parsing import parse_count
from shequ.livelihood.services._common import user_or_none
from shequ.places.models import Dwelling, Place

MAX_CAPACITY = 20


@transaction.atomic
def care_select(*, actor: Actor, person: Person, reason: str) -> CareSelection:
    """Include a resident in pairing although no vulnerable tag applies."""
    if person.home is None:
        raise DomainError(gettext("该居民没有登记现住址"), field="person")
    policies.require_manage_at(actor, person.home)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(gettext("请填写纳入原因"), field="reason", code="required")
    row, _created = CareSelection.objects.update_or_create(
        person=person, defaults={"reason": reason[:100], "added_by": user_or_none(actor), "is_active": True}
    )
    audit_record(
        actor=actor,
        kind="action",
        action="care_select",
        obj=person,
        community=person.community,
        after={"reason": row.reason},
    )
    return row


@transaction.atomic
def helper_set_capacity(*, actor: Actor, person: Person, capacity) -> HelperCapacity:
    policies.require_manage_at(actor, person.home or person.community)
    value = parse_count(capacity, "capacity", label=gettext("可结对人数"))
    if value > MAX_CAPACITY:
        raise DomainError(gettext("可结对人数最多20"), field="capacity")
    row, _created = HelperCapacity.objects.update_or_create(person=person, defaults={"capacity": value})
    audit_record(
        actor=actor,
        kind="update",
        action="helper_set_capacity",
        obj=person,
        community=person.community,
        field="capacity",
        after={"capacity": value},
    )
    return row


def _proximity(resident_home: Dwelling, helper_place) -> str | None:
    """How near the helper is: the same building, compound or community (None: elsewhere)."""
    if helper_place is None:
        return None
    if getattr(helper_place, "building_id", None) and helper_place.building_id == resident_home.building_id:
        return Pairing.Proximity.BUILDING
    if getattr(helper_place, "compound_id", None) and helper_place.compound_id == resident_home.compound_id:
        return Pairing.Proximity.COMPOUND
    if getattr(helper_place, "community_id", None) == resident_home.community_id:
        return Pairing.Proximity.COMMUNITY
    return None


@transaction.atomic
def pairing_create(
    *, actor: Actor, resident: Person, helper: Person, source: str = Pairing.Source.MANUAL
) -> Pairing:
    """结对 by hand (or from a suggestion): the helper must be on the roster near the resident and have room.
    A resident already paired is re-paired (the old pairing ends)."""
    home = resident.home
    if home is None:
        raise DomainError(gettext("该居民没有登记现住址"), field="resident")
    policies.require_manage_at(actor, home)
    if helper.pk == resident.pk:
        raise DomainError(gettext("帮扶人不能是本人"), field="helper")
    profiles = selectors.helper_profiles(community_ids={home.community_id}, person_ids={helper.pk})
    profile = profiles.get(helper.pk)
    if profile is None:
        raise DomainError(gettext("帮扶人须为本社区在册的志愿者、党员或社区工作者"), field="helper")
    proximity = _proximity(home, profile["place"])
    if proximity is None:
        raise DomainError(gettext("帮扶人不在该居民所在社区"), field="helper")
    current = Pairing.objects.select_for_update().filter(resident=resident, is_active=True).first()
    if current and current.helper_id == helper.pk:
        raise DomainError(gettext("已与该帮扶人结对"), field="helper", code="duplicate")
    load = Pairing.objects.filter(helper=helper, is_active=True).count()
    if load >= profile["capacity"]:
        raise DomainError(
            gettext("%(helper)s已结对 %(load)s 人,达到上限 %(capacity)s 人")
            % {"helper": helper.name, "load": load, "capacity": profile["capacity"]},
            field="helper",
            code="over_capacity",
        )
    if current:
        current.is_active = False
        current.ended_at = timezone.now()
        current.save(update_fields=["is_active", "ended_at", "updated_at"])
    pairing = Pairing(
        resident=resident,
        helper=helper,
        helper_role=profile["role"],
        dwelling=home,
        proximity=proximity,
        source=source,
        created_by=user_or_none(actor),
        last_contact_at=current.last_contact_at if current else None,
    )
    pairing.full_clean()
    pairing.save()
    audit_record(
        actor=actor,
        kind="create",
        action="pairing_create",
        obj=pairing,
        object_label=f"{resident.name} ← {helper.name}",
        after={
            "resident": resident.name,
            "helper": helper.name,
            "proximity": proximity,
            "source": source,
            "replaces": current.helper.name if current else "",
        },
    )
    return pairing


@transaction.atomic
def pairing_end(*, actor: Actor, pairing: Pairing) -> Pairing:
    policies.require_manage_at(actor, pairing.dwelling)
    if not pairing.is_active:
        raise DomainError(gettext("结对已结束"), field="status")
    pairing.is_active = False
    pairing.ended_at = timezone.now()
    pairing.save(update_fields=["is_active", "ended_at", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="pairing_end",
        obj=pairing,
        object_label=f"{pairing.resident.name} ← {pairing.helper.name}",
        after={"is_active": False},
    )
    return pairing


@transaction.atomic
def pairing_apply_suggestions(*, actor: Actor, community: Place) -> int:
    """Run the optimiser for the community's unpaired vulnerable residents and save its suggestions."""
    policies.require_manage_at(actor, community)
    suggestions = selectors.pairing_suggestions(community=community)
    residents = Person.objects.in_bulk([s["resident_id"] for s in suggestions])
    helpers = Person.objects.in_bulk([s["helper_id"] for s in suggestions])
    rows = []
    for s in suggestions:
        resident = residents[s["resident_id"]]
        rows.append(
            Pairing(
                resident=resident,
                helper=helpers[s["helper_id"]],
                helper_role=s["role"],
                dwelling_id=resident.home_id,
                proximity=s["proximity"],
                source=Pairing.Source.OPTIMISER,
                created_by=user_or_none(actor),
            )
        )
    Pairing.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        kind="action",
        action="pairing_apply_suggestions",
        obj=community,
        community=community,
        after={"created": len(rows)},
    )
    return len(rows)
