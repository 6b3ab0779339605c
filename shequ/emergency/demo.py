"""Demo emergency data: the plan library, each community's own copy of the public-health and flood plans, and a
finished drill (演练) in the first community — activated for one compound, a few visits and check-ins, a zone,
then stood down with an after-action review. A drill never reaches real statistics."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.apps import apps as django_apps

from shequ.emergency import library, services
from shequ.emergency.models import PlanTemplate
from shequ.places.models import Level, Place


def seed_demo(*, street: Place, rng, progress, scale: int) -> None:
    library.load(django_apps)
    communities = list(Place.objects.filter(level=Level.COMMUNITY, street=street).order_by("path"))
    bar = progress(total=len(communities) + 1, desc="emergency")
    public_health = PlanTemplate.objects.get(code="public-health", community__isnull=True)
    flood = PlanTemplate.objects.get(code="flood-typhoon", community__isnull=True)
    own = {}
    for community in communities:
        if not PlanTemplate.objects.filter(community=community).exists():
            own[community.pk] = services.plan_copy(actor=None, plan=public_health, community=community)
            services.plan_copy(actor=None, plan=flood, community=community)
        bar.update(1)
    if communities and communities[0].pk in own:
        _finished_drill(communities[0], own[communities[0].pk], rng)
    bar.update(1)


def _finished_drill(community: Place, plan: PlanTemplate, rng) -> None:
    from shequ.epidemic import services as epidemic
    from shequ.epidemic.models import VisitItem
    from shequ.ledger.models import HouseholdMember

    compound = Place.objects.filter(level=Level.COMPOUND, community=community).order_by("path").first()
    if compound is None:
        return
    incident = services.incident_activate(
        actor=None,
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
        epidemic.visit_record(
            actor=None, item=item, client_uuid=uuid.uuid4(), status=rng.choice(statuses), people=people
        )
    building = Place.objects.filter(level=Level.BUILDING, compound=compound).order_by("path").first()
    if building is not None:
        zone = epidemic.zone_set(
            actor=None, incident=incident, place=building, zone_type="管控区", starts_at=incident.activated_at
        )
        epidemic.zone_end(actor=None, zone=zone, ends_at=incident.activated_at + timedelta(hours=6))
    for task in list(incident.tasks.filter(status="open"))[:3]:
        services.task_complete(actor=None, task=task)
    services.incident_stand_down(
        actor=None, incident=incident, notes="演练总结:排查组人手不足,楼栋长联络表需更新;拒绝配合户安排复访。"
    )
