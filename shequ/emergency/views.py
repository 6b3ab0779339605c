"""Pages for plans, activation, the incident board, team adjustment, stand-down and review."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from shequ.core.forms import apply_domain_error
from shequ.core.http import AuthedRequest
from shequ.core.rights import Right
from shequ.emergency import policies, selectors, services
from shequ.emergency.forms import (
    ActivateForm,
    KindForm,
    MemberAddForm,
    MemberUpdateForm,
    NotesForm,
    PlanCopyForm,
    PlanEditForm,
    TaskForm,
)
from shequ.emergency.models import Incident
from shequ.emergency.parsing import parse_json_field
from shequ.places.levels import Level
from shequ.places.selectors import places_visible_to


def _need(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _managed_places(user):
    return (
        places_visible_to(user, Right.EMERGENCY_MANAGE)
        .filter(level__in=[Level.COMMUNITY, Level.COMPOUND, Level.BUILDING])
        .select_related("compound", "building", "unit")
        .order_by("path")
    )


def _incident(user, pk, right: Right = Right.EMERGENCY_VIEW) -> Incident:
    return get_object_or_404(selectors.incidents_visible_to(user, right), pk=pk)


@login_required
def incident_list(request: AuthedRequest) -> HttpResponse:
    _need(policies.can_view_emergency(request.user))
    incidents = selectors.incidents_visible_to(request.user).order_by("status", "-activated_at")[:100]
    return render(
        request,
        "emergency/incident_list.html",
        {
            "incidents": incidents,
            "stats": selectors.incident_statistics(actor=request.user),
            "can_manage": policies.can_manage_anywhere(request.user),
        },
    )


@login_required
def plan_list(request: AuthedRequest) -> HttpResponse:
    _need(policies.can_view_emergency(request.user))
    form = KindForm()
    if request.method == "POST":
        _need(policies.can_manage_anywhere(request.user))
        form = KindForm(request.POST)
        if form.is_valid():
            try:
                services.emergency_kind_create(actor=request.user, name=form.cleaned_data["name"])
                messages.success(request, gettext("已新增类别"))
                return redirect("emergency:plan_list")
            except ValidationError as exc:
                apply_domain_error(form, exc)
    plans = selectors.current_plans_visible_to(request.user).order_by("community_id", "kind__name", "name")
    return render(
        request,
        "emergency/plan_list.html",
        {
            "plans": plans,
            "kinds": selectors.kinds(),
            "kind_form": form,
            "can_manage": policies.can_manage_anywhere(request.user),
        },
    )


def _communities(user):
    return places_visible_to(user, Right.EMERGENCY_MANAGE).filter(level=Level.COMMUNITY).order_by("path")


@login_required
def plan_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(selectors.plans_visible_to(request.user), pk=pk)
    form = PlanCopyForm(communities=_communities(request.user))
    if request.method == "POST":
        form = PlanCopyForm(request.POST, communities=_communities(request.user))
        if form.is_valid():
            try:
                copy = services.plan_copy(
                    actor=request.user,
                    plan=plan,
                    community=form.cleaned_data["community"],
                    name=form.cleaned_data["name"],
                )
                messages.success(request, gettext("已复制为本社区预案,可以修改"))
                return redirect("emergency:plan_edit", pk=copy.pk)
            except ValidationError as exc:
                apply_domain_error(form, exc)
    versions = selectors.plans_visible_to(request.user).filter(code=plan.code, community=plan.community_id)
    return render(
        request,
        "emergency/plan_detail.html",
        {
            "plan": plan,
            "copy_form": form,
            "versions": versions.order_by("-version"),
            "can_edit": policies.can_edit_plan(request.user, plan),
            "can_copy": policies.can_manage_anywhere(request.user),
        },
    )


@login_required
def plan_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(
        selectors.plans_visible_to(request.user, Right.EMERGENCY_MANAGE), pk=pk, community__isnull=False
    )
    initial = {
        "name": plan.name,
        "description": plan.description,
        "teams": json.dumps(
            [
                {
                    "code": t.code,
                    "name": t.name,
                    "formation": t.formation,
                    "roles": t.roles,
                    "covers_buildings": t.covers_buildings,
                }
                for t in plan.teams.all()
            ],
            ensure_ascii=False,
            indent=1,
        ),
        "tasks": json.dumps(
            [
                {
                    "team": t.team_code,
                    "title": t.title,
                    "due_hours": t.due_hours,
                    "checklist": t.checklist,
                    "levels": t.levels,
                }
                for t in plan.tasks.all()
            ],
            ensure_ascii=False,
            indent=1,
        ),
    }
    for p in plan.parameters.all():
        initial[f"param_{p.key}"] = (
            json.dumps(p.value, ensure_ascii=False)
            if p.type in ("json",)
            else ("、".join(p.value) if p.type == "list" else p.value)
        )
    form = PlanEditForm(initial=initial, plan=plan)
    if request.method == "POST":
        form = PlanEditForm(request.POST, plan=plan)
        if form.is_valid():
            params = form.parameter_values()
            try:
                teams = parse_json_field(form.cleaned_data["teams"], field="teams")
                tasks = parse_json_field(form.cleaned_data["tasks"], field="tasks")
                if not form.errors:
                    new = services.plan_revise(
                        actor=request.user,
                        plan=plan,
                        name=form.cleaned_data["name"],
                        description=form.cleaned_data["description"],
                        parameters=params,
                        teams=teams,
                        tasks=tasks,
                    )
                    messages.success(request, gettext("已保存为第%(n)s版") % {"n": new.version})
                    return redirect("emergency:plan_detail", pk=new.pk)
            except ValidationError as exc:
                apply_domain_error(form, exc)
    return render(request, "emergency/plan_edit.html", {"plan": plan, "form": form})


@login_required
def incident_activate(request: AuthedRequest) -> HttpResponse:
    _need(policies.can_manage_anywhere(request.user))
    plans = selectors.current_plans_visible_to(request.user)
    places = _managed_places(request.user)
    form = ActivateForm(plans=plans, places=places, initial={"level": 4})
    if request.method == "POST":
        form = ActivateForm(request.POST, plans=plans, places=places)
        if form.is_valid():
            try:
                incident = services.incident_activate(
                    actor=request.user,
                    plan=form.cleaned_data["plan"],
                    scope=list(form.cleaned_data["scope"]),
                    level=form.cleaned_data["level"],
                    is_drill=form.cleaned_data["is_drill"],
                    title=form.cleaned_data["title"],
                )
                messages.success(request, gettext("已启动:%(incident)s") % {"incident": incident})
                return redirect("emergency:incident_detail", pk=incident.pk)
            except ValidationError as exc:
                apply_domain_error(form, exc)
    return render(request, "emergency/activate.html", {"form": form})


def _member_forms(incident: Incident, data=None):
    return MemberAddForm(
        data,
        teams=incident.teams.all(),
        people=selectors.roster_people(incident),
        places=selectors.post_places(incident),
        prefix="add",
    )


@login_required
def incident_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request.user, pk)
    can_manage = policies.can_manage_incident(request.user, incident)
    context = {
        "incident": incident,
        **selectors.incident_detail(incident=incident),
        "can_manage": can_manage,
        "is_epidemic": incident.plan.kind.code == "public_health",
    }
    if can_manage and incident.is_active:
        context["add_form"] = _member_forms(incident)
        context["task_form"] = TaskForm(teams=incident.teams.all(), prefix="task")
        context["down_form"] = NotesForm(prefix="down")
    return render(request, "emergency/incident_detail.html", context)


@login_required
@require_POST
def member_add(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request.user, pk, Right.EMERGENCY_MANAGE)
    form = _member_forms(incident, request.POST)
    if form.is_valid():
        try:
            services.team_member_add(actor=request.user, **form.cleaned_data)
            messages.success(request, gettext("已增加成员"))
        except ValidationError as exc:
            apply_domain_error(form, exc)
    if form.errors:
        messages.error(
            request,
            gettext("增加成员未成功:")
            + ";".join(
                f"{form.fields[f].label if f in form.fields else ''}{' ' if f in form.fields else ''}{e}"
                for f, errs in form.errors.items()
                for e in errs
            ),
        )
    return redirect("emergency:incident_detail", pk=incident.pk)


@login_required
def member_edit(request: AuthedRequest, pk: int, member_pk: int) -> HttpResponse:
    incident = _incident(request.user, pk, Right.EMERGENCY_MANAGE)
    member = get_object_or_404(
        selectors.members_visible_to(request.user, Right.EMERGENCY_MANAGE),
        pk=member_pk,
        team__incident=incident,
    )
    teams = incident.teams.all()
    form = MemberUpdateForm(
        initial={"team": member.team, "post": member.post, "responsibility": member.responsibility},
        teams=teams,
    )
    if request.method == "POST":
        if request.POST.get("remove"):
            try:
                services.team_member_remove(actor=request.user, member=member)
                messages.success(request, gettext("已移除"))
                return redirect("emergency:incident_detail", pk=incident.pk)
            except ValidationError as exc:
                messages.error(request, ";".join(exc.messages))
        else:
            form = MemberUpdateForm(request.POST, teams=teams)
            if form.is_valid():
                try:
                    services.team_member_update(actor=request.user, member=member, **form.cleaned_data)
                    messages.success(request, gettext("已调整"))
                    return redirect("emergency:incident_detail", pk=incident.pk)
                except ValidationError as exc:
                    apply_domain_error(form, exc)
    return render(
        request, "emergency/member_edit.html", {"incident": incident, "member": member, "form": form}
    )


@login_required
@require_POST
def task_add(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request.user, pk, Right.EMERGENCY_MANAGE)
    form = TaskForm(request.POST, teams=incident.teams.all(), prefix="task")
    if form.is_valid():
        try:
            services.task_create(actor=request.user, incident=incident, **form.cleaned_data)
            messages.success(request, gettext("已派发任务"))
        except ValidationError as exc:
            apply_domain_error(form, exc)
    if form.errors:
        messages.error(
            request, gettext("派发未成功:") + ";".join(e for errs in form.errors.values() for e in errs)
        )
    return redirect("emergency:incident_detail", pk=incident.pk)


@login_required
@require_POST
def task_complete(request: AuthedRequest, pk: int, task_pk: int) -> HttpResponse:
    incident = _incident(request.user, pk)
    task = get_object_or_404(selectors.incident_tasks(incident), pk=task_pk)
    try:
        services.task_complete(actor=request.user, task=task)
        messages.success(request, gettext("任务已完成"))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("emergency:incident_detail", pk=incident.pk)


@login_required
@require_POST
def incident_stand_down(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request.user, pk, Right.EMERGENCY_MANAGE)
    form = NotesForm(request.POST, prefix="down")
    if form.is_valid():
        try:
            services.incident_stand_down(
                actor=request.user, incident=incident, notes=form.cleaned_data["notes"]
            )
            messages.success(request, gettext("已终止响应,请完成复盘"))
            return redirect("emergency:incident_review", pk=incident.pk)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    return redirect("emergency:incident_detail", pk=incident.pk)


@login_required
def incident_review(request: AuthedRequest, pk: int) -> HttpResponse:
    incident = _incident(request.user, pk)
    form = NotesForm(initial={"notes": incident.review_notes})
    can_manage = policies.can_manage_incident(request.user, incident)
    if request.method == "POST":
        if not can_manage:
            raise Http404
        form = NotesForm(request.POST)
        if form.is_valid():
            try:
                services.incident_review_update(
                    actor=request.user, incident=incident, notes=form.cleaned_data["notes"]
                )
                messages.success(request, gettext("复盘意见已保存"))
                return redirect("emergency:incident_review", pk=incident.pk)
            except ValidationError as exc:
                apply_domain_error(form, exc)
    figures = incident.review_figures.get("figures") or selectors.incident_figures(incident)
    return render(
        request,
        "emergency/review.html",
        {
            "incident": incident,
            "figures": figures,
            "late": incident.review_figures.get("late", []),
            "timeline": incident.timeline.order_by("at", "id"),
            "form": form,
            "can_manage": can_manage,
        },
    )
