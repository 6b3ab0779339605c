"""Writes for emergency operation: plan copies and versions, activation (teams from the roster, tasks,
notifications), team adjustments, task completion, stand-down and the after-action review."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import timedelta
from importlib import import_module

from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_noop

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import covers, grants_with
from shequ.core.rights import Right
from shequ.emergency.models import (
    EmergencyKind,
    Incident,
    IncidentTask,
    PlanParameter,
    PlanTask,
    PlanTeam,
    PlanTemplate,
    ResponseLevel,
    Team,
    TeamBuilding,
    TeamMember,
    TimelineEntry,
    coerce_parameter,
)
from shequ.ledger.models import Duty, Person
from shequ.notifications.services import notify as _notify
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


def _actor_label(actor) -> str:
    return (getattr(actor, "display_label", "") or "系统") if actor is not None else "系统"


def _require_manage(actor, place) -> None:
    if actor is not None and not covers(actor, Right.EMERGENCY_MANAGE, place):
        raise PermissionDenied(gettext("不在您的管辖范围内"))


def timeline_add(incident: Incident, text: str, *, actor=None, at=None) -> TimelineEntry:
    return TimelineEntry.objects.create(
        incident=incident, text=text[:300], actor_label=_actor_label(actor), at=at or timezone.now()
    )


def send_notice(
    *,
    actor,
    incident: Incident,
    recipients,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
) -> None:
    """Every message of a drill says so in its title (演练)."""
    recipients = [u for u in recipients if u is not None]
    if not recipients:
        return
    if incident.is_drill and not title.startswith("【演练】"):
        title = f"【演练】{title}"
    _notify(
        actor=actor,
        recipients=recipients,
        kind=kind,
        title=title,
        body=body,
        url=url,
        is_drill=incident.is_drill,
        dedupe_key=dedupe_key,
    )


def users_of_people(person_ids) -> list:
    from shequ.accounts.models import User

    return list(User.objects.filter(person_id__in=list(person_ids), is_active=True))


# Kinds and plans ------------------------------------------------------------------------------------------------


@transaction.atomic
def emergency_kind_create(*, actor, name: str, code: str = "") -> EmergencyKind:
    if actor is not None and not grants_with(actor, Right.EMERGENCY_MANAGE):
        raise PermissionDenied(gettext("没有管理应急预案的权限"))
    name = (name or "").strip()
    if not name:
        raise DomainError(gettext("请填写类别名称"), field="name")
    if EmergencyKind.objects.filter(name=name).exists():
        raise DomainError(gettext("类别“%(name)s”已存在") % {"name": name}, field="name", code="duplicate")
    code = code or slugify(name, allow_unicode=False) or f"kind-{EmergencyKind.objects.count() + 1}"
    while EmergencyKind.objects.filter(code=code).exists():
        code = f"{code}-x"
    kind = EmergencyKind(name=name, code=code, added_by=actor if getattr(actor, "pk", None) else None)
    kind.full_clean()
    kind.save()
    audit_record(actor=actor, kind="create", action="emergency_kind_create", obj=kind, after={"name": name})
    return kind


def _copy_contents(source: PlanTemplate, target: PlanTemplate) -> None:
    PlanTeam.objects.bulk_create(
        PlanTeam(
            plan=target,
            code=t.code,
            name=t.name,
            formation=t.formation,
            roles=t.roles,
            covers_buildings=t.covers_buildings,
            order=t.order,
        )
        for t in source.teams.all()
    )
    PlanTask.objects.bulk_create(
        PlanTask(
            plan=target,
            team_code=t.team_code,
            title=t.title,
            checklist=t.checklist,
            due_hours=t.due_hours,
            levels=t.levels,
            order=t.order,
        )
        for t in source.tasks.all()
    )
    PlanParameter.objects.bulk_create(
        PlanParameter(plan=target, key=p.key, label=p.label, type=p.type, value=p.value, unit=p.unit)
        for p in source.parameters.all()
    )


@transaction.atomic
def plan_copy(*, actor, plan: PlanTemplate, community: Place, name: str = "") -> PlanTemplate:
    """Copy a plan (from the library or another version) into a community's own plans, as version 1."""
    if community.level != Level.COMMUNITY:
        raise DomainError(gettext("预案须归属于一个社区"), field="community")
    _require_manage(actor, community)
    code = plan.code
    n = 1
    while PlanTemplate.objects.filter(community=community, code=code).exists():
        n += 1
        code = f"{plan.code}-{n}"
    copy = PlanTemplate(
        code=code,
        version=1,
        name=(name or plan.name).strip()[:100],
        kind=plan.kind,
        description=plan.description,
        levels=plan.levels,
        street=community.street,
        community=community,
        derived_from=plan,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    copy.full_clean()
    copy.save()
    _copy_contents(plan, copy)
    audit_record(
        actor=actor,
        kind="create",
        action="plan_copy",
        obj=copy,
        community=community,
        after={"from": str(plan)},
    )
    return copy


def _validate_teams(teams) -> list[dict]:
    if not isinstance(teams, list):
        raise DomainError(gettext("小组须为列表"), field="teams")
    codes = set()
    for i, t in enumerate(teams, 1):
        if (
            not isinstance(t, dict)
            or not str(t.get("code", "")).strip()
            or not str(t.get("name", "")).strip()
        ):
            raise DomainError(gettext("第%(number)s个小组缺少编码或名称") % {"number": i}, field="teams")
        if t["code"] in codes:
            raise DomainError(gettext("小组编码“%(code)s”重复") % {"code": t["code"]}, field="teams")
        codes.add(t["code"])
        if t.get("formation", "scope") not in PlanTeam.Formation.values:
            raise DomainError(gettext("小组“%(team)s”的组建方式无效") % {"team": t["name"]}, field="teams")
        for role in t.get("roles", []):
            if not isinstance(role, dict) or not role.get("post"):
                raise DomainError(
                    gettext("小组“%(team)s”的岗位缺少名称") % {"team": t["name"]}, field="teams"
                )
            bad = [k for k in role.get("duty_kinds", []) if k not in Duty.Kind.values]
            if bad:
                raise DomainError(
                    gettext("小组“%(team)s”的岗位“%(post)s”有未知的人员类别:%(kinds)s")
                    % {"team": t["name"], "post": role["post"], "kinds": gettext("、").join(bad)},
                    field="teams",
                )
            if role.get("max") is not None and (not isinstance(role["max"], int) or role["max"] < 1):
                raise DomainError(
                    gettext("岗位“%(post)s”的人数上限须为正整数") % {"post": role["post"]}, field="teams"
                )
    return teams


def _validate_tasks(tasks, team_codes: set[str]) -> list[dict]:
    if not isinstance(tasks, list):
        raise DomainError(gettext("任务须为列表"), field="tasks")
    for i, t in enumerate(tasks, 1):
        if not isinstance(t, dict) or not str(t.get("title", "")).strip():
            raise DomainError(gettext("第%(number)s项任务缺少名称") % {"number": i}, field="tasks")
        if t.get("team") and t["team"] not in team_codes:
            raise DomainError(
                gettext("任务“%(task)s”的负责小组“%(team)s”不存在") % {"task": t["title"], "team": t["team"]},
                field="tasks",
            )
        hours = t.get("due_hours", 24)
        if not isinstance(hours, int) or hours < 0:
            raise DomainError(
                gettext("任务“%(task)s”的时限须为非负整数(小时)") % {"task": t["title"]}, field="tasks"
            )
        if any(lv not in ResponseLevel.values for lv in t.get("levels", [])):
            raise DomainError(
                gettext("任务“%(task)s”的适用级别须为1–4") % {"task": t["title"]}, field="tasks"
            )
    return tasks


@transaction.atomic
def plan_revise(
    *,
    actor,
    plan: PlanTemplate,
    name: str | None = None,
    description: str | None = None,
    parameters: dict | None = None,
    new_parameters: list[dict] | None = None,
    teams: list[dict] | None = None,
    tasks: list[dict] | None = None,
) -> PlanTemplate:
    """Save changes to a community's plan as a new version (the old one stays for incidents that used it).

    parameters: {key: raw value} for existing parameters (typed by the parameter's type);
    new_parameters: [{key, label, type, value, unit}] to add."""
    if plan.community_id is None:
        raise DomainError(gettext("预案库模板不能直接修改,请先复制为本社区预案"), field="plan")
    _require_manage(actor, plan.community)
    if not plan.is_current:
        raise DomainError(gettext("只能在最新版本上修改"), field="plan")
    params = {p.key: p for p in plan.parameters.all()}
    coerced = {}
    for key, raw in (parameters or {}).items():
        if key not in params:
            raise DomainError(gettext("预案没有参数“%(key)s”") % {"key": key}, field=f"param_{key}")
        try:
            value = coerce_parameter(params[key].type, raw, field=f"param_{key}")
        except ValidationError as exc:
            raise DomainError(
                gettext("参数“%(label)s”的取值无效") % {"label": params[key].label}, field=f"param_{key}"
            ) from exc
        if params[key].type in ("int", "decimal") and value < 0:
            raise DomainError(
                gettext("参数“%(label)s”不能为负数") % {"label": params[key].label}, field=f"param_{key}"
            )
        coerced[key] = str(value) if params[key].type == "decimal" else value
    added = []
    for spec in new_parameters or []:
        key = str(spec.get("key", "")).strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,59}", key):
            raise DomainError(gettext("新参数的键须为英文字母、数字或下划线"), field="new_parameter_key")
        if key in params or any(a["key"] == key for a in added):
            raise DomainError(gettext("参数“%(key)s”已存在") % {"key": key}, field="new_parameter_key")
        if spec.get("type") not in PlanParameter.Type.values:
            raise DomainError(gettext("请选择参数类型"), field="new_parameter_type")
        value = coerce_parameter(spec["type"], spec.get("value", ""), field="new_parameter_value")
        added.append(
            {
                "key": key,
                "label": str(spec.get("label") or key)[:100],
                "type": spec["type"],
                "value": str(value) if spec["type"] == "decimal" else value,
                "unit": spec.get("unit", ""),
            }
        )
    if teams is not None:
        _validate_teams(teams)
    team_codes = (
        {t["code"] for t in teams} if teams is not None else set(plan.teams.values_list("code", flat=True))
    )
    if tasks is not None:
        _validate_tasks(tasks, team_codes)
    if name is not None and not name.strip():
        raise DomainError(gettext("请填写预案名称"), field="name")

    new = PlanTemplate(
        code=plan.code,
        version=plan.version + 1,
        name=(name or plan.name).strip()[:100],
        kind=plan.kind,
        description=plan.description if description is None else description,
        levels=plan.levels,
        street=plan.street,
        community=plan.community,
        derived_from=plan,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    new.full_clean()
    PlanTemplate.objects.filter(pk=plan.pk).update(is_current=False)
    new.save()
    _copy_contents(plan, new)
    for key, value in coerced.items():
        PlanParameter.objects.filter(plan=new, key=key).update(value=value)
    for spec in added:
        PlanParameter.objects.create(plan=new, **spec)
    if teams is not None:
        new.teams.all().delete()
        PlanTeam.objects.bulk_create(
            PlanTeam(
                plan=new,
                code=t["code"],
                name=t["name"],
                formation=t.get("formation", "scope"),
                roles=t.get("roles", []),
                covers_buildings=bool(t.get("covers_buildings")),
                order=i,
            )
            for i, t in enumerate(teams)
        )
    if tasks is not None:
        new.tasks.all().delete()
        PlanTask.objects.bulk_create(
            PlanTask(
                plan=new,
                team_code=t.get("team", ""),
                title=t["title"],
                checklist=t.get("checklist", []),
                due_hours=t.get("due_hours", 24),
                levels=t.get("levels", []),
                order=i,
            )
            for i, t in enumerate(tasks)
        )
    audit_record(
        actor=actor,
        kind="update",
        action="plan_revise",
        obj=new,
        community=plan.community,
        before={"version": plan.version},
        after={"version": new.version, "parameters": coerced},
    )
    return new


def parse_json_field(text: str, *, field: str):
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise DomainError(gettext("不是有效的 JSON:%(error)s") % {"error": exc}, field=field) from exc


# Activation -----------------------------------------------------------------------------------------------------


def scope_buildings(incident: Incident) -> list[Place]:
    from shequ.emergency.selectors import incident_places_q

    return list(
        Place.objects.filter(incident_places_q(incident), level=Level.BUILDING)
        .select_related("compound", "grid")
        .order_by("path")
    )


def _validate_scope(actor, scope: list[Place]) -> Place:
    if not scope:
        raise DomainError(gettext("请选择响应范围(社区、小区或楼栋)"), field="scope")
    if any(p.level not in (Level.COMMUNITY, Level.COMPOUND, Level.BUILDING) for p in scope):
        raise DomainError(gettext("响应范围只能是社区、小区或楼栋"), field="scope")
    communities = {p.community_id for p in scope}
    if len(communities) != 1:
        raise DomainError(gettext("一次启动的范围须在同一个社区内"), field="scope")
    for p in scope:
        _require_manage(actor, p)
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


def _hooks(name: str):
    """Apps that act on incidents name their hook module in AppConfig.incident_hooks (epidemic does)."""
    for config in django_apps.get_app_configs():
        module = getattr(config, "incident_hooks", None)
        if module:
            hook = getattr(import_module(module), name, None)
            if hook is not None:
                yield hook


@transaction.atomic
def incident_activate(
    *, actor, plan: PlanTemplate, scope: list[Place], level: int, is_drill: bool = False, title: str = ""
) -> Incident:
    """启动应急响应: an incident for the scope at the level, teams from the roster, the plan's tasks, messages."""
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
    community = _validate_scope(actor, scope)
    if plan.community_id and plan.community_id != community.pk:
        raise DomainError(gettext("该预案属于其他社区"), field="plan")
    params = {p.key: p.typed_value() for p in plan.parameters.all()}
    now = timezone.now()
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
    incident.scope_places.set(scope)
    buildings = scope_buildings(incident)
    teams = form_teams(incident, plan, buildings, scope)
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
    label = "演练" if is_drill else "应急响应"
    timeline_add(incident, f"启动{ResponseLevel(level).label}{label}:{plan}", actor=actor, at=now)
    timeline_add(incident, f"组建{len(teams)}个小组,派发{len(tasks)}项任务", actor=actor, at=now)
    for hook in _hooks("on_incident_activated"):
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
    return incident


# Teams ----------------------------------------------------------------------------------------------------------


def _require_active(incident: Incident) -> None:
    if not incident.is_active:
        raise DomainError(gettext("该事件已终止响应,不能再修改"), field="incident")


@transaction.atomic
def team_member_add(
    *, actor, team: Team, person: Person, post: str, responsibility: str = "", place: Place | None = None
) -> TeamMember:
    incident = team.incident
    _require_manage(actor, incident.community)
    _require_active(incident)
    if not (post or "").strip():
        raise DomainError(gettext("请填写岗位"), field="post")
    home_community = person.home.community_id if person.home_id else None
    if incident.community_id not in (person.community_id, home_community):
        raise DomainError(gettext("该人员不在本社区"), field="person")
    if place is not None and place.community_id != incident.community_id:
        raise DomainError(gettext("岗位地点须在本社区内"), field="place")
    if TeamMember.objects.filter(team__incident=incident, person=person).exists():
        raise DomainError(
            gettext("%(name)s 已在本次响应中有岗位,请先调整原岗位") % {"name": person.name},
            field="person",
            code="duplicate",
        )
    member = TeamMember(
        team=team,
        person=person,
        post=post.strip()[:40],
        responsibility=responsibility[:200],
        place=place,
        is_manual=True,
    )
    member.full_clean()
    member.save()
    timeline_add(incident, f"{team.name}增加成员{person.name}({member.post})", actor=actor)
    audit_record(
        actor=actor,
        kind="update",
        action="team_member_add",
        obj=team,
        community=incident.community,
        after={"person": person.name, "post": member.post},
    )
    send_notice(
        actor=actor,
        incident=incident,
        recipients=users_of_people([person.pk]),
        kind="emergency.post",
        title=f"您被安排到{team.name}:{member.post}",
        body=member.responsibility,
        url=f"/emergency/incidents/{incident.pk}/",
    )
    return member


@transaction.atomic
def team_member_update(
    *,
    actor,
    member: TeamMember,
    team: Team | None = None,
    post: str | None = None,
    responsibility: str | None = None,
    place: Place | None = None,
) -> TeamMember:
    incident = member.team.incident
    _require_manage(actor, incident.community)
    _require_active(incident)
    before = {"team": member.team.name, "post": member.post, "responsibility": member.responsibility}
    if team is not None:
        if team.incident_id != incident.pk:
            raise DomainError(gettext("只能调到本次响应的小组"), field="team")
        member.team = team
    if post is not None:
        if not post.strip():
            raise DomainError(gettext("请填写岗位"), field="post")
        member.post = post.strip()[:40]
    if responsibility is not None:
        member.responsibility = responsibility[:200]
    if place is not None:
        if place.community_id != incident.community_id:
            raise DomainError(gettext("岗位地点须在本社区内"), field="place")
        member.place = place
    member.is_manual = True
    member.full_clean()
    member.save()
    timeline_add(incident, f"调整{member.person.name}:{member.team.name}·{member.post}", actor=actor)
    audit_record(
        actor=actor,
        kind="update",
        action="team_member_update",
        obj=member.team,
        community=incident.community,
        before=before,
        after={"team": member.team.name, "post": member.post, "responsibility": member.responsibility},
    )
    return member


@transaction.atomic
def team_member_remove(*, actor, member: TeamMember) -> None:
    incident = member.team.incident
    _require_manage(actor, incident.community)
    _require_active(incident)
    timeline_add(incident, f"{member.team.name}移除成员{member.person.name}", actor=actor)
    audit_record(
        actor=actor,
        kind="update",
        action="team_member_remove",
        obj=member.team,
        community=incident.community,
        before={"person": member.person.name, "post": member.post},
    )
    member.delete()


# Tasks ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def task_create(
    *,
    actor,
    incident: Incident,
    title: str,
    due_at,
    team: Team | None = None,
    source: str = IncidentTask.Source.MANUAL,
    building: Place | None = None,
    person: Person | None = None,
    checklist: list[str] | None = None,
    check: bool = True,
) -> IncidentTask:
    if check:
        _require_manage(actor, incident.community)
    _require_active(incident)
    if not (title or "").strip():
        raise DomainError(gettext("请填写任务名称"), field="title")
    if due_at is None:
        raise DomainError(gettext("请填写截止时间"), field="due_at")
    if team is not None and team.incident_id != incident.pk:
        raise DomainError(gettext("只能派给本次响应的小组"), field="team")
    task = IncidentTask(
        incident=incident,
        team=team,
        source=source,
        title=title.strip()[:200],
        due_at=due_at,
        building=building,
        person=person,
        checklist=[{"text": c, "done": False} for c in (checklist or [])],
    )
    task.full_clean()
    task.save()
    audit_record(
        actor=actor,
        kind="create",
        action="task_create",
        obj=task,
        community=incident.community,
        after={"title": task.title, "due_at": due_at, "team": str(team or "")},
    )
    if team is not None:
        person_ids = team.members.values_list("person_id", flat=True)
        send_notice(
            actor=actor,
            incident=incident,
            recipients=users_of_people(person_ids),
            kind="emergency.task",
            title=f"新任务:{task.title}",
            url=f"/emergency/incidents/{incident.pk}/",
            dedupe_key=f"task-{task.pk}",
        )
    return task


def can_work_task(actor, task: IncidentTask) -> bool:
    if actor is None:
        return True
    if covers(actor, Right.EMERGENCY_MANAGE, task.incident.community):
        return True
    person_id = getattr(actor, "person_id", None)
    if task.team_id and person_id and task.team.members.filter(person_id=person_id).exists():
        return True
    return bool(task.building_id and covers(actor, Right.EMERGENCY_CAPTURE, task.building))


@transaction.atomic
def task_complete(*, actor, task: IncidentTask, checklist_done: list[int] | None = None) -> IncidentTask:
    task = (
        IncidentTask.objects.select_for_update(of=("self",))
        .select_related("incident", "team")
        .get(pk=task.pk)
    )
    if not can_work_task(actor, task):
        raise PermissionDenied(gettext("不在您的管辖范围内"))
    if task.status != IncidentTask.Status.OPEN:
        raise DomainError(gettext("该任务已完成或已取消"), field="status")
    task.status = IncidentTask.Status.DONE
    task.done_at = timezone.now()
    task.done_by = actor if getattr(actor, "pk", None) else None
    task.checklist = (
        [{**c, "done": True} for c in task.checklist]
        if checklist_done is None
        else [{**c, "done": i in checklist_done} for i, c in enumerate(task.checklist)]
    )
    task.save(update_fields=["status", "done_at", "done_by", "checklist", "updated_at"])
    late = "(逾期)" if task.done_at > task.due_at else ""
    timeline_add(task.incident, f"完成任务:{task.title}{late}", actor=actor, at=task.done_at)
    audit_record(
        actor=actor,
        kind="update",
        action="task_complete",
        obj=task,
        community=task.incident.community,
        after={"status": task.status},
    )
    return task


# Stand-down -----------------------------------------------------------------------------------------------------


def incident_figures(incident: Incident) -> dict:
    tasks = list(incident.tasks.all())
    now = timezone.now()
    figures = {
        gettext_noop("持续小时"): round(
            ((incident.stood_down_at or now) - incident.activated_at).total_seconds() / 3600, 1
        ),
        gettext_noop("小组数"): incident.teams.count(),
        gettext_noop("上岗人数"): TeamMember.objects.filter(team__incident=incident).count(),
        gettext_noop("任务数"): len(tasks),
        gettext_noop("已完成任务"): sum(1 for t in tasks if t.status == IncidentTask.Status.DONE),
        gettext_noop("逾期任务"): sum(1 for t in tasks if t.was_late),
    }
    for hook in _hooks("incident_figures"):
        figures.update(hook(incident=incident))
    return figures


@transaction.atomic
def incident_stand_down(*, actor, incident: Incident, notes: str = "") -> Incident:
    """终止响应 → 复盘: freeze the figures and the late items; close open tasks as cancelled."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    _require_manage(actor, incident.community)
    if not incident.is_active:
        raise DomainError(gettext("该事件已终止响应"), field="status")
    now = timezone.now()
    incident.stood_down_at = now
    late = [
        {
            "title": t.title,
            "team": t.team.name if t.team else "",
            "due_at": t.due_at.isoformat(),
            "done_at": t.done_at.isoformat() if t.done_at else None,
        }
        for t in incident.tasks.select_related("team").order_by("due_at")
        if t.was_late
    ]
    figures = incident_figures(incident)
    incident.status = Incident.Status.STOOD_DOWN
    incident.stood_down_by = actor if getattr(actor, "pk", None) else None
    incident.review_notes = notes or ""
    incident.review_figures = {"figures": figures, "late": late}
    incident.save()
    incident.tasks.filter(status=IncidentTask.Status.OPEN).update(status=IncidentTask.Status.CANCELLED)
    for hook in _hooks("on_incident_stood_down"):
        hook(actor=actor, incident=incident)
    timeline_add(incident, "终止响应,转入复盘", actor=actor, at=now)
    audit_record(
        actor=actor,
        kind="action",
        action="incident_stand_down",
        obj=incident,
        community=incident.community,
        after={"figures": figures, "late": len(late)},
    )
    person_ids = TeamMember.objects.filter(team__incident=incident).values_list("person_id", flat=True)
    send_notice(
        actor=actor,
        incident=incident,
        recipients=users_of_people(person_ids),
        kind="emergency.stood_down",
        title=f"{incident.title} 已终止响应",
        url=f"/emergency/incidents/{incident.pk}/review/",
        dedupe_key=f"incident-{incident.pk}-down",
    )
    return incident


@transaction.atomic
def incident_review_update(*, actor, incident: Incident, notes: str) -> Incident:
    _require_manage(actor, incident.community)
    if incident.is_active:
        raise DomainError(gettext("请先终止响应再填写复盘"), field="notes")
    before = {"notes": incident.review_notes}
    incident.review_notes = notes or ""
    incident.save(update_fields=["review_notes", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="incident_review_update",
        obj=incident,
        community=incident.community,
        before=before,
        after={"notes": incident.review_notes},
    )
    return incident
