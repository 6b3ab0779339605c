"""Activation (启动应急响应): the incident, teams formed from the duty roster (定岗、定责、定位), the plan's tasks,
the apps' activation hooks and the notices."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.accounts.selectors import users_of_people
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, require
from shequ.core.rights import Right
from shequ.emergency import hooks, selectors
from shequ.emergency.models import (
    Incident,
    IncidentTask,
    PlanTeam,
    PlanTemplate,
    ResponseLevel,
    Team,
    TeamBuilding,
    TeamMember,
)
from shequ.emergency.services._common import send_notice, timeline_add
from shequ.ledger.models import Duty
from shequ.places.models import Level, Place

# Which roster duties take a post first when a role accepts several kinds.
DUTY_PRIORITY = [
    "community_worker",
    "grid_worker",
    "building_leader",
    "party_household",
    "sunk_cadre",
    "reporting_member",
    "party_member",
    "volunteer",
]


def _validate_scope(actor: Actor, scope: list[Place]) -> Place:
    if not scope:
        raise DomainError(gettext("请选择响应范围(社区、小区或楼栋)"), field="scope")
    if any(p.level not in (Level.COMMUNITY, Level.COMPOUND, Level.BUILDING) for p in scope):
        raise DomainError(gettext("响应范围只能是社区、小区或楼栋"), field="scope")
    communities = {p.community_id for p in scope}
    if len(communities) != 1:
        raise DomainError(gettext("一次启动的范围须在同一个社区内"), field="scope")
    for p in scope:
        require(actor, Right.EMERGENCY_MANAGE, p)
    return Place.objects.get(pk=communities.pop())


def _next_code(community: Place, is_drill: bool) -> str:
    today = timezone.localdate()
    prefix = f"{'YL' if is_drill else 'YJ'}{today:%Y%m%d}-{community.pk}-"
    n = Incident.objects.filter(code__startswith=prefix).count() + 1
    return f"{prefix}{n:02d}"


def _duty_in_area(duty: Duty, area_building_ids: set[int], area_grid_id, area_compound_id) -> bool:
    if duty.building_id:
        return duty.building_id in area_building_ids
    if duty.compound_id:
        return area_compound_id is None or duty.compound_id == area_compound_id
    if duty.grid_id and area_grid_id is not None:
        return duty.grid_id == area_grid_id
    return False


def _roster(community: Place, scope: list[Place], building_ids: set[int]) -> list[Duty]:
    """Active duties in the community whose place of duty lies in scope, or at community level."""
    duties = list(
        Duty.objects.filter(community=community, is_active=True)
        .select_related("person", "place")
        .order_by("id")
    )
    compound_ids = {p.pk for p in scope if p.level == Level.COMPOUND}
    whole = any(p.level == Level.COMMUNITY for p in scope)
    kept = []
    for d in duties:
        if (
            d.place.level == Level.COMMUNITY
            or whole
            or (d.building_id and d.building_id in building_ids)
            or (d.compound_id and d.compound_id in compound_ids and not d.building_id)
        ):
            kept.append(d)
    return kept


def _areas(
    plan_team: PlanTeam, buildings: list[Place]
) -> list[tuple[str, Place | None, object, list[Place]]]:
    """(label, area place, grid, buildings) for each team this plan team makes."""
    if plan_team.formation == PlanTeam.Formation.SCOPE or not buildings:
        return [("", None, None, buildings)]
    groups: dict = defaultdict(list)
    for b in buildings:
        key = b.grid if plan_team.formation == PlanTeam.Formation.GRID else b.compound
        groups[key].append(b)
    out = []
    for key, members in sorted(groups.items(), key=lambda kv: (kv[0] is None, getattr(kv[0], "name", ""))):
        if plan_team.formation == PlanTeam.Formation.GRID:
            out.append((key.name if key else "未划网格", None, key, members))
        else:
            out.append((key.name if key else "", key, None, members))
    return out


def form_teams(
    incident: Incident, plan: PlanTemplate, buildings: list[Place], scope: list[Place]
) -> list[Team]:
    """定岗、定责、定位: one post per person per incident, filled in plan order — roles that match the person's
    place of duty first, then community-level people (community workers, volunteers)."""
    building_ids = {b.pk for b in buildings}
    roster = _roster(incident.community, scope, building_ids)
    used: set[int] = set()
    teams: list[Team] = []
    members: list[TeamMember] = []
    links: list[TeamBuilding] = []
    prio = {k: i for i, k in enumerate(DUTY_PRIORITY)}
    for plan_team in plan.teams.all():
        for label, area_place, grid, area_buildings in _areas(plan_team, buildings):
            team = Team(
                incident=incident,
                plan_team_code=plan_team.code,
                name=f"{plan_team.name}({label})" if label else plan_team.name,
                area=area_place,
                grid=grid,
            )
            team._buildings = area_buildings if plan_team.covers_buildings else []
            area_ids = {b.pk for b in area_buildings}
            grid_id = grid.pk if grid is not None else None
            compound_id = area_place.pk if area_place is not None else None
            team._members = []
            for role in plan_team.roles:
                kinds = role.get("duty_kinds", [])
                limit = role.get("max")
                local, pooled = [], []
                for d in roster:
                    if d.kind not in kinds or d.person_id in used:
                        continue
                    if plan_team.formation != PlanTeam.Formation.SCOPE and _duty_in_area(
                        d, area_ids, grid_id, compound_id
                    ):
                        local.append(d)
                    elif plan_team.formation == PlanTeam.Formation.SCOPE or d.place.level == Level.COMMUNITY:
                        pooled.append(d)
                chosen = sorted(local, key=lambda d: (prio.get(d.kind, 99), d.pk)) + sorted(
                    pooled, key=lambda d: (prio.get(d.kind, 99), d.pk)
                )
                for d in chosen:
                    if limit is not None and sum(1 for m in team._members if m.post == role["post"]) >= limit:
                        break
                    if d.person_id in used:
                        continue
                    used.add(d.person_id)
                    team._members.append(
                        TeamMember(
                            person_id=d.person_id,
                            duty=d,
                            post=role["post"][:40],
                            responsibility=str(role.get("duty", ""))[:200],
                            place_id=d.place_id,
                        )
                    )
            teams.append(team)
    Team.objects.bulk_create(teams)
    for team in teams:
        for m in team._members:
            m.team = team
            members.append(m)
        links.extend(TeamBuilding(team=team, building=b, incident=incident) for b in team._buildings)
    TeamMember.objects.bulk_create(members)
    TeamBuilding.objects.bulk_create(links, batch_size=2000)
    return teams


@transaction.atomic
def incident_activate(
    *,
    actor: Actor,
    plan: PlanTemplate,
    scope: list[Place],
    level: int,
    is_drill: bool = False,
    title: str = "",
) -> Incident:
    """启动应急响应: an incident for the scope at the level, teams from the roster, the plan's tasks, messages."""
    level = _response_level(plan, level)
    community = _validate_scope(actor, scope)
    if plan.community_id and plan.community_id != community.pk:
        raise DomainError(gettext("该预案属于其他社区"), field="plan")
    now = timezone.now()
    incident = _new_incident(actor, plan, community, level=level, is_drill=is_drill, title=title, now=now)
    incident.scope_places.set(scope)
    buildings = selectors.scope_buildings(incident)
    teams = form_teams(incident, plan, buildings, scope)
    tasks = _plan_tasks(incident, plan, teams, level=level, now=now)
    label = "演练" if is_drill else "应急响应"
    timeline_add(incident, f"启动{ResponseLevel(level).label}{label}:{plan}", actor=actor, at=now)
    timeline_add(incident, f"组建{len(teams)}个小组,派发{len(tasks)}项任务", actor=actor, at=now)
    for hook in hooks.incident_hooks("on_incident_activated"):
        hook(actor=actor, incident=incident, buildings=buildings)
    audit_record(
        actor=actor,
        kind="action",
        action="incident_activate",
        obj=incident,
        community=community,
        after={
            "plan": str(plan),
            "level": level,
            "drill": incident.is_drill,
            "scope": [p.name for p in scope],
            "teams": len(teams),
            "tasks": len(tasks),
        },
    )
    _announce_activation(actor, incident, community, level=level)
    return incident


def _response_level(plan: PlanTemplate, level) -> int:
    """The level asked for, checked against the response levels and the plan's own."""
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in ResponseLevel.values:
        raise DomainError(gettext("请选择响应级别(Ⅰ–Ⅳ级)"), field="level")
    if plan.levels and level not in [lv.get("level") for lv in plan.levels]:
        raise DomainError(gettext("该预案没有这个响应级别"), field="level")
    if not plan.is_current:
        raise DomainError(gettext("请使用预案的最新版本"), field="plan")
    return level


def _new_incident(
    actor: Actor, plan: PlanTemplate, community: Place, *, level, is_drill, title, now
) -> Incident:
    """The incident row, with the plan's parameters frozen into it."""
    params = {p.key: p.typed_value() for p in plan.parameters.all()}
    incident = Incident(
        code=_next_code(community, is_drill),
        title=(title or plan.name).strip()[:120],
        plan=plan,
        level=level,
        is_drill=bool(is_drill),
        parameters={
            k: (str(v) if not isinstance(v, bool | int | list | dict | str) else v) for k, v in params.items()
        },
        street=community.street,
        community=community,
        activated_at=now,
        activated_by=actor if getattr(actor, "pk", None) else None,
    )
    incident.full_clean()
    incident.save()
    return incident


def _plan_tasks(
    incident: Incident, plan: PlanTemplate, teams: list[Team], *, level, now
) -> list[IncidentTask]:
    """The plan's tasks that apply at the level, one per team of the task's plan team (or one unassigned)."""
    by_code = defaultdict(list)
    for t in teams:
        by_code[t.plan_team_code].append(t)
    tasks = []
    for pt in plan.tasks.all():
        if not pt.applies_at(level):
            continue
        for team in by_code.get(pt.team_code) or [None]:
            tasks.append(
                IncidentTask(
                    incident=incident,
                    team=team,
                    source=IncidentTask.Source.PLAN,
                    title=pt.title,
                    checklist=[{"text": c, "done": False} for c in pt.checklist],
                    due_at=now + timedelta(hours=pt.due_hours),
                )
            )
    IncidentTask.objects.bulk_create(tasks)
    return tasks


def _announce_activation(actor: Actor, incident: Incident, community: Place, *, level: int) -> None:
    """Tell every team member who can sign in their post, duty and tasks."""
    person_ids = TeamMember.objects.filter(team__incident=incident).values_list("person_id", flat=True)
    send_notice(
        actor=actor,
        incident=incident,
        recipients=users_of_people(person_ids),
        kind="emergency.activated",
        title=f"{community.name}启动{ResponseLevel(level).label}响应:{incident.title}",
        body="请查看您的岗位、职责和任务。",
        url=f"/emergency/incidents/{incident.pk}/",
        dedupe_key=f"incident-{incident.pk}-activated",
    )
