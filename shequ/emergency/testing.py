"""Test data for emergency operation: a roster in each community of the test world, and `populate(world)` for
the jurisdiction walk (objects in both communities; the strings returned appear only in community B's)."""

from __future__ import annotations

from shequ.core.jurisdiction import SYSTEM
from shequ.emergency import services
from shequ.emergency.models import PlanTemplate
from shequ.ledger import services as ledger
from shequ.ledger.models import Duty, Residency


def library_plan(code: str = "public-health") -> PlanTemplate:
    """The shipped plan (its data migration's rows are flushed by transactional tests, so load it again)."""
    from django.apps import apps

    from shequ.emergency import library

    library.load(apps)
    return PlanTemplate.objects.get(code=code, community__isnull=True)


def add_roster(side, *, prefix: str = "") -> dict[str, Duty]:
    """A small roster: a community worker and a volunteer at community level, a grid worker, a building leader
    and a sunk cadre at the building. Returns the duties by kind."""
    letter = side.community.name[0]
    duties = {}
    specs = [
        ("community_worker", side.community, f"{prefix}{letter}社工甲"),
        ("community_worker", side.community, f"{prefix}{letter}社工乙"),
        ("grid_worker", side.building, f"{prefix}{letter}网格员"),
        ("building_leader", side.building, f"{prefix}{letter}楼栋长"),
        ("sunk_cadre", side.building, f"{prefix}{letter}下沉干部"),
        ("volunteer", side.community, f"{prefix}{letter}志愿者"),
        ("party_member", side.community, f"{prefix}{letter}党员"),
    ]
    for kind, place, name in specs:
        person = ledger.person_create(actor=SYSTEM, community=side.community, name=name, sex="M")
        ledger.residency_create(
            actor=SYSTEM, person=person, dwelling=side.dwellings[2], role=Residency.Role.TENANT
        )
        duties[f"{kind}:{name}"] = ledger.duty_assign(
            actor=SYSTEM,
            person=person,
            kind=kind,
            place=place,
            grid=side.grid if place.level == "building" else None,
        )
    return duties


def activate(
    world, side, *, is_drill: bool = False, title: str = "", level: int = 3, params: dict | None = None
):
    plan = services.plan_copy(actor=side.worker, plan=library_plan(), community=side.community)
    if params:
        plan = services.plan_revise(actor=side.worker, plan=plan, parameters=params)
    return services.incident_activate(
        actor=side.worker, plan=plan, scope=[side.community], level=level, is_drill=is_drill, title=title
    )


def populate(world) -> list[str]:
    out = []
    for side, tag in ((world.a, "甲"), (world.b, "乙")):
        add_roster(side)
        incident = activate(world, side, title=f"{side.community.name}疫情应急响应{tag}")
        team = incident.teams.first()
        services.task_create(
            actor=side.worker,
            incident=incident,
            title=f"核对重点人员名单{tag}",
            due_at=incident.activated_at,
            team=team,
        )
        services.plan_copy(
            actor=side.worker,
            plan=library_plan("fire-evacuation"),
            community=side.community,
            name=f"火灾疏散预案{tag}",
        )
        if tag == "乙":
            out += [incident.title, f"核对重点人员名单{tag}", f"火灾疏散预案{tag}", incident.code]
    return out
