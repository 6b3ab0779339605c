"""Demo epidemic data: a finished drill (演练) in the first community, on its own copy of the public-health plan
(emergency's demo made it): activated for one compound, a few visits, a zone set and lifted, tasks done, then stood
down with an after-action review. A drill never reaches real statistics."""

from __future__ import annotations

import uuid
from datetime import timedelta

from shequ.core.jurisdiction import SYSTEM
from shequ.emergency import services as emergency
from shequ.emergency.models import Incident, PlanTemplate
from shequ.epidemic import services
from shequ.epidemic.models import VisitItem
from shequ.ledger.models import HouseholdMember
from shequ.places.models import Level, Place


def seed_demo(*, street: Place, rng, progress, scale: int) -> None:
    bar = progress(total=1, desc="epidemic")
    community = Place.objects.filter(level=Level.COMMUNITY, street=street).order_by("path").first()
    plan = (
        PlanTemplate.objects.filter(community=community, code="public-health").first()
        if community is not None
        else None
    )
    if plan is not None and not Incident.objects.filter(community=community, is_drill=True).exists():
        _finished_drill(community, plan, rng)
    bar.update(1)


def _finished_drill(community: Place, plan: PlanTemplate, rng) -> None:
    compound = Place.objects.filter(level=Level.COMPOUND, community=community).order_by("path").first()
    if compound is None:
        return
    incident = emergency.incident_activate(
        actor=SYSTEM,
        plan=plan,
        scope=[compound],
        level=4,
        is_drill=True,
        title=f"{compound.name}疫情防控应急演练",
    )
    items = list(VisitItem.objects.filter(campaign__incident=incident).order_by("id")[:30])
    statuses = ["all_present"] * 6 + ["some_away", "vacant", "refused"]
    for item in items:
        people = [
            {"person": m.person_id, "temperature": f"{rng.choice([36.2, 36.5, 36.7, 36.9, 37.6])}"}
            for m in HouseholdMember.objects.filter(household_id=item.household_id, left_on__isnull=True)[:4]
        ]
        services.visit_record(
            actor=SYSTEM, item=item, client_uuid=uuid.uuid4(), status=rng.choice(statuses), people=people
        )
    building = Place.objects.filter(level=Level.BUILDING, compound=compound).order_by("path").first()
    if building is not None:
        zone = services.zone_set(
            actor=SYSTEM,
            incident=incident,
            place=building,
            zone_type="管控区",
            starts_at=incident.activated_at,
        )
        services.zone_end(actor=SYSTEM, zone=zone, ends_at=incident.activated_at + timedelta(hours=6))
    for task in list(incident.tasks.filter(status="open"))[:3]:
        emergency.task_complete(actor=SYSTEM, task=task)
    emergency.incident_stand_down(
        actor=SYSTEM,
        incident=incident,
        notes="演练总结:排查组人手不足,楼栋长联络表需更新;拒绝配合户安排复访。",
    )
