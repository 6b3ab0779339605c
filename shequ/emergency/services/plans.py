"""Emergency kinds and plans (预案): copies from the library into a community, new versions of a community's plan."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, require, require_right
from shequ.core.rights import Right
from shequ.emergency.models import (
    EmergencyKind,
    PlanParameter,
    PlanTask,
    PlanTeam,
    PlanTemplate,
    ResponseLevel,
    coerce_parameter,
)
from shequ.ledger.models import Duty
from shequ.places.models import Level, Place


@transaction.atomic
def emergency_kind_create(*, actor: Actor, name: str, code: str = "") -> EmergencyKind:
    require_right(actor, Right.EMERGENCY_MANAGE, message=gettext("没有管理应急预案的权限"))
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
def plan_copy(*, actor: Actor, plan: PlanTemplate, community: Place, name: str = "") -> PlanTemplate:
    """Copy a plan (from the library or another version) into a community's own plans, as version 1."""
    if community.level != Level.COMMUNITY:
        raise DomainError(gettext("预案须归属于一个社区"), field="community")
    require(actor, Right.EMERGENCY_MANAGE, community)
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
    actor: Actor,
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
    require(actor, Right.EMERGENCY_MANAGE, plan.community)
    if not plan.is_current:
        raise DomainError(gettext("只能在最新版本上修改"), field="plan")
    params = {p.key: p for p in plan.parameters.all()}
    coerced = _coerce_parameters(params, parameters or {})
    added = _new_parameters(params, new_parameters or [])
    if teams is not None:
        _validate_teams(teams)
    team_codes = (
        {t["code"] for t in teams} if teams is not None else set(plan.teams.values_list("code", flat=True))
    )
    if tasks is not None:
        _validate_tasks(tasks, team_codes)
    if name is not None and not name.strip():
        raise DomainError(gettext("请填写预案名称"), field="name")
    new = _next_version(actor, plan, name=name, description=description)
    for key, value in coerced.items():
        PlanParameter.objects.filter(plan=new, key=key).update(value=value)
    for spec in added:
        PlanParameter.objects.create(plan=new, **spec)
    if teams is not None:
        _replace_teams(new, teams)
    if tasks is not None:
        _replace_tasks(new, tasks)
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


def _coerce_parameters(params: dict[str, PlanParameter], raw_values: dict) -> dict:
    """New values of existing parameters, typed by each parameter's type (decimals kept as text)."""
    coerced = {}
    for key, raw in raw_values.items():
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
    return coerced


def _new_parameters(params: dict[str, PlanParameter], specs: list[dict]) -> list[dict]:
    """Parameters to add, checked: a new key, a known type, a value of that type."""
    added: list[dict] = []
    for spec in specs:
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
    return added


def _next_version(actor: Actor, plan: PlanTemplate, *, name, description) -> PlanTemplate:
    """The plan's next version, with the old one's teams, tasks and parameters; the old one stops being current."""
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
    return new


def _replace_teams(plan: PlanTemplate, teams: list[dict]) -> None:
    plan.teams.all().delete()
    PlanTeam.objects.bulk_create(
        PlanTeam(
            plan=plan,
            code=t["code"],
            name=t["name"],
            formation=t.get("formation", "scope"),
            roles=t.get("roles", []),
            covers_buildings=bool(t.get("covers_buildings")),
            order=i,
        )
        for i, t in enumerate(teams)
    )


def _replace_tasks(plan: PlanTemplate, tasks: list[dict]) -> None:
    plan.tasks.all().delete()
    PlanTask.objects.bulk_create(
        PlanTask(
            plan=plan,
            team_code=t.get("team", ""),
            title=t["title"],
            checklist=t.get("checklist", []),
            due_hours=t.get("due_hours", 24),
            levels=t.get("levels", []),
            order=i,
        )
        for i, t in enumerate(tasks)
    )
