"""Reads for emergency operation, scoped to the actor. Statistics count real incidents only (is_drill=False)
unless the caller is looking at one drill."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from shequ.core.jurisdiction import NOTHING, grants, grants_with
from shequ.core.rights import Right
from shequ.emergency import hooks
from shequ.emergency.models import (
    EmergencyKind,
    Incident,
    IncidentTask,
    PlanTemplate,
    Team,
    TeamMember,
)
from shequ.ledger.models import Person
from shequ.places.models import Level, Place


def incident_scope_q(actor, right: Right | str = Right.EMERGENCY_VIEW, *, via: str = "") -> Q:
    """Incidents of the communities the actor holds the right in (a grid worker sees the incident of the
    community their grid lies in; what they may capture is narrowed by the place filters of each row)."""
    q = NOTHING
    for g in grants_with(actor, right):
        if g.level == "street":
            q |= Q(**{f"{via}street_id": g.target_id})
        elif g.community_id:
            q |= Q(**{f"{via}community_id": g.community_id})
    return q


def incidents_visible_to(actor, right: Right | str = Right.EMERGENCY_VIEW) -> QuerySet[Incident]:
    return Incident.objects.filter(incident_scope_q(actor, right)).select_related(
        "plan", "plan__kind", "community", "street"
    )


def plans_visible_to(actor, right: Right | str = Right.EMERGENCY_VIEW) -> QuerySet[PlanTemplate]:
    """The library plus the plans of communities the actor covers."""
    q = Q(community__isnull=True)
    for g in grants_with(actor, right):
        if g.level == "street":
            q |= Q(street_id=g.target_id)
        elif g.community_id:
            q |= Q(community_id=g.community_id)
    if not grants_with(actor, right):
        return PlanTemplate.objects.none()
    return PlanTemplate.objects.filter(q).select_related("kind", "community")


def current_plans_visible_to(actor) -> QuerySet[PlanTemplate]:
    return plans_visible_to(actor).filter(is_current=True)


def kinds() -> QuerySet[EmergencyKind]:
    return EmergencyKind.objects.all()


def teams_visible_to(actor, right: Right | str = Right.EMERGENCY_VIEW) -> QuerySet[Team]:
    return Team.objects.filter(incident_scope_q(actor, right, via="incident__")).select_related("incident")


def members_visible_to(actor, right: Right | str = Right.EMERGENCY_VIEW) -> QuerySet[TeamMember]:
    return TeamMember.objects.filter(incident_scope_q(actor, right, via="team__incident__")).select_related(
        "team", "person", "place"
    )


def tasks_visible_to(actor, right: Right | str = Right.EMERGENCY_VIEW) -> QuerySet[IncidentTask]:
    return IncidentTask.objects.filter(incident_scope_q(actor, right, via="incident__")).select_related(
        "incident", "team", "building"
    )


def incident_detail(*, incident: Incident) -> dict:
    teams = list(
        incident.teams.prefetch_related("members__person", "members__place", "team_buildings__building")
        .select_related("area", "grid")
        .order_by("id")
    )
    tasks = list(incident.tasks.select_related("team", "building").order_by("status", "due_at", "id")[:300])
    now = timezone.now()
    overdue = incident.tasks.filter(status=IncidentTask.Status.OPEN, due_at__lt=now).count()
    return {
        "teams": teams,
        "tasks": tasks,
        "overdue": overdue,
        "open": incident.tasks.filter(status=IncidentTask.Status.OPEN).count(),
        "done": incident.tasks.filter(status=IncidentTask.Status.DONE).count(),
        "timeline": list(incident.timeline.order_by("at", "id")),
        "scope": list(incident.scope_places.order_by("path")),
        "members": sum(len(t.members.all()) for t in teams),
    }


def incident_statistics(*, actor, include_drill: bool = False) -> dict:
    """Counts for dashboards: real incidents only unless asked (a drill is shown on its own pages)."""
    qs = incidents_visible_to(actor)
    if not include_drill:
        qs = qs.filter(is_drill=False)
    by_status = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    tasks = IncidentTask.objects.filter(incident__in=qs)
    if not include_drill:
        tasks = tasks.filter(incident__is_drill=False)
    return {
        "active": by_status.get(Incident.Status.ACTIVE, 0),
        "stood_down": by_status.get(Incident.Status.STOOD_DOWN, 0),
        "overdue_tasks": tasks.filter(status=IncidentTask.Status.OPEN, due_at__lt=timezone.now()).count(),
    }


def active_incidents_for(user) -> list[Incident]:
    """Active incidents the user should see a banner for: workers by jurisdiction, residents by their home."""
    q = incident_scope_q(user, Right.EMERGENCY_VIEW)
    for g in grants(user):
        if g.level == "dwelling" and g.community_id:
            q |= Q(community_id=g.community_id)
    return list(
        Incident.objects.filter(q, status=Incident.Status.ACTIVE)
        .select_related("community")
        .order_by("-activated_at")
    )


def banners_for(user) -> list[dict]:
    """An active incident shows on every page; a drill (演练) watermarks every page. Workers go to the incident,
    residents to the daily check-in."""
    out = []
    viewable = set(
        incidents_visible_to(user).filter(status=Incident.Status.ACTIVE).values_list("pk", flat=True)
    )
    for incident in active_incidents_for(user)[:3]:
        prefix = gettext("【演练】") if incident.is_drill else ""
        if incident.pk in viewable:
            url = reverse("emergency:incident_detail", args=[incident.pk])
        elif incident.plan.kind.code == "public_health":
            url = reverse("epidemic:checkins", args=[incident.pk])
        else:
            url = ""
        out.append(
            {
                "text": gettext("%(prefix)s%(community)s%(level)s应急响应中:%(title)s")
                % {
                    "prefix": prefix,
                    "community": incident.community.name,
                    "level": incident.get_level_display(),
                    "title": incident.title,
                },
                "url": url,
                "level": "warning" if incident.is_drill else "danger",
                "drill": incident.is_drill,
            }
        )
    return out


def active_incidents() -> QuerySet[Incident]:
    """Every active incident, unscoped (for background jobs that act on each)."""
    return Incident.objects.filter(status=Incident.Status.ACTIVE)


def active_incident_communities(community_ids: set[int] | list[int]) -> set[int]:
    """Of these communities, those with an active incident (drills included: a drill rehearses the same limits).
    Other apps ask this instead of reading emergency's models (livelihood's contact limit tightens then)."""
    return set(
        Incident.objects.filter(
            status=Incident.Status.ACTIVE, community_id__in=list(community_ids)
        ).values_list("community_id", flat=True)
    )


def incident_places_q(incident: Incident, *, via: str = "") -> Q:
    """A filter for places (or rows carrying the level columns, through `via`) inside the incident's scope:
    the whole community when the scope names it, else the named compounds and buildings."""
    scope = list(incident.scope_places.all())
    if any(p.level == "community" for p in scope):
        return Q(**{f"{via}community_id": incident.community_id})
    q = NOTHING
    for p in scope:
        q |= Q(**{f"{via}{p.level}_id": p.pk})
    return q


def scope_buildings(incident: Incident) -> list[Place]:
    """The buildings in an incident's scope, in tree order."""
    return list(
        Place.objects.filter(incident_places_q(incident), level=Level.BUILDING)
        .select_related("compound", "grid")
        .order_by("path")
    )


def incident_figures(incident: Incident) -> dict:
    """An incident's figures for its review: duration, teams, people on duty, tasks, and each app's own."""
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
    for hook in hooks.incident_hooks("incident_figures"):
        figures.update(hook(incident=incident))
    return figures


def roster_people(incident: Incident) -> QuerySet[Person]:
    """People on the duty roster of the incident's community (who may be given a post)."""
    return Person.objects.filter(duties__community=incident.community, duties__is_active=True).distinct()


def post_places(incident: Incident) -> QuerySet[Place]:
    """Places a post may be tied to: the incident's community, its compounds and buildings."""
    return Place.objects.filter(
        community=incident.community, level__in=[Level.COMMUNITY, Level.COMPOUND, Level.BUILDING]
    ).order_by("path")


def incident_tasks(incident: Incident) -> QuerySet[IncidentTask]:
    """The tasks of an incident the caller has already reached through a scoped selector."""
    return IncidentTask.objects.filter(incident=incident)
