"""Reads of cases, whistles, the catalogue and the admission list, always scoped to what the actor may see."""

from __future__ import annotations

import statistics
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Aggregate, Count, Exists, F, FloatField, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from shequ.accounts.models import RoleAssignment, User
from shequ.accounts.selectors import users_holding
from shequ.cases.models import (
    LEVEL_ORDER,
    AdmissionItem,
    Case,
    CaseAttachment,
    CaseEvent,
    HandedDownDuty,
    HandlingLevel,
    ServiceItem,
    Summons,
    Whistle,
)
from shequ.core.jurisdiction import NOTHING, grants, grants_with, scope_q
from shequ.core.rights import Right, Role
from shequ.places.models import Dwelling, Level, Place

OPEN = list(Case.OPEN)
DASHBOARD_DAYS = 90


# ---- who handles a case --------------------------------------------------------------------------------------


def handlers_for(case: Case, level: str | None = None) -> QuerySet[User]:
    """The people who hold a case at a level: building leader and grid worker (小区), community workers,
    street officers, or the liaisons of the department it went to."""
    level = level or case.level
    q = Q(pk__in=[])
    if level == HandlingLevel.COMPOUND:
        if case.building_id:
            q |= Q(role=Role.BUILDING_LEADER, place_id=case.building_id)
        if case.grid_id:
            q |= Q(role=Role.GRID_WORKER, grid_id=case.grid_id)
        if not case.building_id and not case.grid_id:
            q |= Q(role=Role.COMMUNITY_WORKER, place_id=case.community_id)
    elif level == HandlingLevel.COMMUNITY:
        q |= Q(role=Role.COMMUNITY_WORKER, place_id=case.community_id)
    elif level == HandlingLevel.STREET:
        q |= Q(role=Role.STREET_OFFICER, place_id=case.street_id)
    elif level == HandlingLevel.DEPARTMENT:
        q |= Q(
            role=Role.DEPARTMENT_LIAISON,
            user__department=case.department,
            place_id__in=[p for p in (case.street_id, case.community_id, case.compound_id) if p],
        )
        q |= Q(role=Role.STREET_OFFICER, place_id=case.street_id)
    return _users_with(q)


def compound_assignee(case: Case) -> User | None:
    """Who takes a new compound-level case: the building leader (楼栋长), else the grid worker (网格员)."""
    if case.building_id:
        leader = _users_with(Q(role=Role.BUILDING_LEADER, place_id=case.building_id)).first()
        if leader is not None:
            return leader
    if case.grid_id:
        return _users_with(Q(role=Role.GRID_WORKER, grid_id=case.grid_id)).first()
    return None


def _users_with(q: Q) -> QuerySet[User]:
    assignments = RoleAssignment.objects.filter(q, is_active=True, user_id=OuterRef("pk"))
    return User.objects.filter(Exists(assignments), is_active=True).order_by("id")


def holders_by_place(*, community_ids: set, street_ids: set, departments: set) -> dict:
    """Community workers by community, street officers by street, liaisons by (department, place): one query."""
    rows = (
        RoleAssignment.objects.filter(
            Q(role=Role.COMMUNITY_WORKER, place_id__in=community_ids)
            | Q(role=Role.STREET_OFFICER, place_id__in=street_ids)
            | Q(
                role=Role.DEPARTMENT_LIAISON,
                place_id__in=community_ids | street_ids,
                user__department__in=departments,
            ),
            is_active=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("id")
    )
    found: dict = {"community": {}, "street": {}, "department": {}}
    for ra in rows:
        if ra.role == Role.COMMUNITY_WORKER:
            found["community"].setdefault(ra.place_id, []).append(ra.user)
        elif ra.role == Role.STREET_OFFICER:
            found["street"].setdefault(ra.place_id, []).append(ra.user)
        else:
            found["department"].setdefault((ra.user.department, ra.place_id), []).append(ra.user)
    return found


def liaisons_for(*, department: str, case: Case) -> QuerySet[User]:
    return _users_with(
        Q(
            role=Role.DEPARTMENT_LIAISON,
            user__department=department,
            place_id__in=[p for p in (case.street_id, case.community_id, case.compound_id) if p],
        )
    )


def street_officers(street_id: int) -> QuerySet[User]:
    return _users_with(Q(role=Role.STREET_OFFICER, place_id=street_id))


def assignable_users(case: Case) -> QuerySet[User]:
    """Who may be assigned a case: the people handling cases at its place (the same rule the service checks)."""
    return users_holding(at=case, right=Right.CASES_HANDLE)


def party_members_for(case: Case) -> QuerySet[User]:
    """People who may be summoned to a case as party members: those with a role in its community (department
    liaisons are summoned through their department instead)."""
    return users_holding(at=case.community, within=True, exclude_roles=[Role.DEPARTMENT_LIAISON])


# ---- cases ---------------------------------------------------------------------------------------------------


def _with_related(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related("category", "community", "compound", "building", "assigned_to")


def _summoned_q(actor) -> Q:
    """Cases the actor was summoned to: as a party member, or as a liaison of a summoned department in their
    places; for a liaison also the cases that went up to their department. Ids are looked up first (a few), so
    the case query stays an indexed OR instead of a correlated EXISTS per row."""
    if not getattr(actor, "is_authenticated", False):
        return NOTHING
    summoned = Q(member=actor)
    department = getattr(actor, "department", "")
    place = scope_q(actor, Right.CASES_REPORT)
    if department and place != NOTHING:
        summoned |= Q(department=department) & scope_q(actor, Right.CASES_REPORT, via="whistle__case__")
    ids = list(Summons.objects.filter(summoned).values_list("whistle__case_id", flat=True).distinct()[:5000])
    q = Q(pk__in=ids) if ids else NOTHING
    if department and place != NOTHING:
        q |= place & Q(level=HandlingLevel.DEPARTMENT, department=department)
    return q


def _staff_q(actor) -> Q:
    return scope_q(actor, Right.CASES_HANDLE) | _summoned_q(actor)


def cases_for_staff(actor) -> QuerySet[Case]:
    """Cases the actor handles (their places) or was summoned to."""
    return _with_related(Case.objects.filter(_staff_q(actor)))


def cases_visible_to(actor) -> QuerySet[Case]:
    """Staff cases plus the ones the actor asked for themselves."""
    q = _staff_q(actor)
    if getattr(actor, "is_authenticated", False):
        q |= Q(requester=actor)
    return _with_related(Case.objects.filter(q))


def cases_reportable_by(actor) -> QuerySet[Case]:
    """Cases in a liaison's places, whether or not their department was summoned (to say so clearly)."""
    return Case.objects.filter(scope_q(actor, Right.CASES_REPORT) | _summoned_q(actor))


def my_cases(actor) -> QuerySet[Case]:
    if not getattr(actor, "is_authenticated", False):
        return Case.objects.none()
    return _with_related(Case.objects.filter(requester=actor)).order_by("-created_at")


def case_by_token(token: str) -> QuerySet[Case]:
    if not token or len(token) < 20:
        return Case.objects.none()
    return _with_related(Case.objects.filter(track_token=token))


def case_queue(
    actor,
    *,
    status: str = "",
    category: int | None = None,
    place: int | None = None,
    level: str = "",
    overdue: bool = False,
    mine: bool = False,
    q: str = "",
) -> QuerySet[Case]:
    """The work queue: open cases first by deadline; filters as on the page."""
    qs = cases_for_staff(actor)
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(status__in=OPEN)
    if category:
        qs = qs.filter(category_id=category)
    if place:
        qs = qs.filter(Q(compound_id=place) | Q(community_id=place) | Q(building_id=place))
    if level:
        qs = qs.filter(level=level)
    if overdue:
        qs = qs.filter(status__in=OPEN, deadline_at__lt=timezone.now())
    if mine:
        qs = qs.filter(assigned_to=actor)
    if q:
        qs = qs.filter(Q(number__startswith=q) | Q(title__icontains=q))
    if not status or status in OPEN:
        return qs.order_by("deadline_at", "id")  # most urgent first (partial index on open cases)
    return qs.order_by("-created_at", "-id")


def case_list(
    actor, *, status: str = "", level: str = "", category: int | None = None, overdue: bool = False
) -> QuerySet[Case]:
    """The API's case list: every case the actor may see, newest first, with the list's filters."""
    qs = cases_visible_to(actor).select_related("merged_into")
    if status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    if category is not None:
        qs = qs.filter(category_id=category)
    if overdue:
        qs = qs.filter(status__in=OPEN, deadline_at__lt=timezone.now())
    return qs.order_by("-created_at", "-id")


def merge_candidates(actor, case: Case, *, limit: int = 20) -> list[Case]:
    """Open cases of the same community and category the actor handles, to merge a duplicate into."""
    return list(
        cases_for_staff(actor)
        .filter(community_id=case.community_id, category_id=case.category_id, status__in=Case.OPEN)
        .exclude(pk=case.pk)
        .select_related(None)
        .only("id", "number", "title")[:limit]
    )


def attachments_visible_to(actor) -> QuerySet[CaseAttachment]:
    return CaseAttachment.objects.filter(case__in=cases_visible_to(actor))


def case_timeline(case: Case, *, public_only: bool = False) -> QuerySet[CaseEvent]:
    events = case.events.select_related("actor")
    return events.filter(is_public=True) if public_only else events


def whistles_of(case: Case) -> list[Whistle]:
    return list(case.whistles.prefetch_related("summonses__member", "summonses__reported_by"))


def whistles_visible_to(actor, *, open_only: bool = True) -> QuerySet[Whistle]:
    department = getattr(actor, "department", "")
    q = scope_q(actor, Right.CASES_HANDLE, via="case__")
    report_scope = scope_q(actor, Right.CASES_REPORT, via="case__")
    if department and report_scope != NOTHING:
        q |= report_scope & Q(
            Exists(Summons.objects.filter(whistle_id=OuterRef("pk"), department=department))
        )
    if getattr(actor, "is_authenticated", False):
        q |= Q(Exists(Summons.objects.filter(whistle_id=OuterRef("pk"), member=actor)))
    qs = Whistle.objects.filter(q)
    if open_only:
        qs = qs.filter(is_closed=False)
    return (
        qs.select_related("case", "case__category", "community")
        .prefetch_related("summonses__member")
        .order_by("report_by", "id")
    )


def summons_for(actor, case: Case) -> list[Summons]:
    """The open summonses this actor may answer on a case (their department's, or their own as a member)."""
    department = getattr(actor, "department", "")
    q = Q(member=actor) if getattr(actor, "is_authenticated", False) else Q(pk__in=[])
    if department:
        q |= Q(department=department)
    return list(
        Summons.objects.filter(q, whistle__case=case, whistle__is_closed=False, reported_at__isnull=True)
        .select_related("whistle")
        .order_by("id")
    )


# ---- catalogue and admission list ----------------------------------------------------------------------------


def _catalogue_q(actor) -> Q:
    q = NOTHING
    for g in grants(actor):
        if g.level == Level.STREET:
            q |= Q(street_id=g.target_id)
        elif g.street_id:
            q |= Q(street_id=g.street_id, community__isnull=True)
            if g.community_id:
                q |= Q(community_id=g.community_id)
    return q


def catalogue_for(actor, *, active_only: bool = False) -> QuerySet[ServiceItem]:
    qs = ServiceItem.objects.filter(_catalogue_q(actor)).select_related("community")
    return qs.filter(is_active=True) if active_only else qs


def catalogue_for_place(place: Place) -> QuerySet[ServiceItem]:
    """What a resident (or anonymous person) may choose for a case in this place."""
    return ServiceItem.objects.filter(
        Q(community__isnull=True) | Q(community_id=place.community_id),
        street_id=place.street_id,
        is_active=True,
    )


def catalogue_editable_by(actor) -> QuerySet[ServiceItem]:
    q = NOTHING
    for g in grants_with(actor, Right.CATALOGUE_EDIT):
        if g.level == Level.STREET:
            q |= Q(street_id=g.target_id)
        elif g.level == Level.COMMUNITY:
            q |= Q(community_id=g.target_id)
    return ServiceItem.objects.filter(q)


def intake_places_for(actor) -> QuerySet[Place]:
    """Places a worker may file a case for (counter, hotline, on behalf, visit)."""
    return Place.objects.filter(
        scope_q(actor, Right.CASES_SUBMIT), level__in=[Level.COMMUNITY, Level.COMPOUND, Level.BUILDING]
    ).order_by("path")


def home_of(actor) -> Dwelling | None:
    """A resident's home: the dwelling their self-service grant is for (the place of a case they file)."""
    for g in grants_with(actor, Right.CASES_SUBMIT):
        if g.level == "dwelling":
            return (
                Dwelling.objects.select_related("unit", "compound", "community")
                .filter(pk=g.target_id)
                .first()
            )
    return None


def catalogue_scopes_for(actor) -> list[tuple[str, str]]:
    """Where the actor may add catalogue items, as form choices: ("s<id>", 全街道) or ("c<id>", 仅<社区>)."""
    editable = [
        g for g in grants_with(actor, Right.CATALOGUE_EDIT) if g.level in (Level.STREET, Level.COMMUNITY)
    ]
    names = dict(
        Place.objects.filter(
            pk__in=[g.target_id for g in editable if g.level == Level.COMMUNITY]
        ).values_list("pk", "name")
    )
    return [
        (f"s{g.target_id}", gettext("全街道"))
        if g.level == Level.STREET
        else (f"c{g.target_id}", gettext("仅%(name)s") % {"name": names.get(g.target_id, "")})
        for g in editable
    ]


def catalogue_scope_place(actor, scope: str) -> Place | None:
    """The street or community a catalogue scope choice ("s<id>"/"c<id>") names, if the actor may edit there."""
    if scope not in {key for key, _label in catalogue_scopes_for(actor)}:
        return None
    return Place.objects.filter(pk=int(scope[1:])).first()


def streets_editable_by(actor) -> list[Place]:
    """The streets whose admission list (and street-wide catalogue) the actor edits."""
    ids = [g.target_id for g in grants_with(actor, Right.CATALOGUE_EDIT) if g.level == Level.STREET]
    return list(Place.objects.filter(pk__in=ids))


def communities_editable_by(actor) -> QuerySet[Place]:
    """Communities whose catalogue items and handed-down duties the actor records: under their street, or their
    own community."""
    q = NOTHING
    for g in grants_with(actor, Right.CATALOGUE_EDIT):
        if g.level == Level.STREET:
            q |= Q(street_id=g.target_id)
        elif g.level == Level.COMMUNITY:
            q |= Q(pk=g.target_id)
    return Place.objects.filter(q, level=Level.COMMUNITY)


def public_places() -> QuerySet[Place]:
    """Communities and compounds an anonymous resident may pick (names only)."""
    return Place.objects.filter(level__in=[Level.COMMUNITY, Level.COMPOUND]).order_by("path")


def streets_of(actor) -> set[int]:
    return {g.street_id or g.target_id for g in grants(actor) if (g.street_id or g.level == Level.STREET)}


def admission_items_for(actor) -> QuerySet[AdmissionItem]:
    return AdmissionItem.objects.filter(street_id__in=streets_of(actor))


def _duty_q(actor) -> Q:
    q = NOTHING
    for g in grants(actor):
        if g.level == Level.STREET:
            q |= Q(street_id=g.target_id)
        elif g.level == Level.COMMUNITY:
            q |= Q(community_id=g.target_id)
    return q


def duties_visible_to(actor) -> QuerySet[HandedDownDuty]:
    return HandedDownDuty.objects.filter(_duty_q(actor)).select_related("community", "admission_item")


def duty_burden(actor) -> list[dict]:
    """下派事项负担: per community, how many duties and hours were handed down, on and off the list."""
    rows = (
        duties_visible_to(actor)
        .order_by()
        .values("community_id", "community__name")
        .annotate(
            total=Count("id"),
            off_list=Count("id", filter=Q(is_on_list=False)),
            hours=Sum("estimated_hours"),
            off_list_hours=Sum("estimated_hours", filter=Q(is_on_list=False)),
        )
        .order_by("-total")
    )
    return [
        {
            "community": r["community__name"],
            "total": r["total"],
            "off_list": r["off_list"],
            "on_list": r["total"] - r["off_list"],
            "hours": float(r["hours"] or 0),
            "off_list_hours": float(r["off_list_hours"] or 0),
        }
        for r in rows
    ]


# ---- dashboard -----------------------------------------------------------------------------------------------


class MedianHours(Aggregate):
    """percentile_cont(0.5) of a duration, in hours (PostgreSQL)."""

    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (%(expressions)s))) / 3600.0"
    output_field = FloatField()


def _median_hours_by(qs: QuerySet[Case]) -> list[dict]:
    """Median hours from submission to resolution by category and level: one GROUP BY on PostgreSQL (an
    index-only scan of the resolved-at index), computed in Python elsewhere."""
    names = dict(ServiceItem.objects.values_list("pk", "name"))
    if settings.IS_POSTGRES:
        rows = (
            qs.order_by()
            .values("category_id", "level")
            .annotate(median=MedianHours(F("resolved_at") - F("created_at")), n=Count("*"))
        )
        result = [
            {
                "category": names.get(r["category_id"], "?"),
                "level": r["level"],
                "median_hours": round(float(r["median"]), 1),
                "count": r["n"],
            }
            for r in rows
        ]
    else:
        groups: dict[tuple[int, str], list[float]] = {}
        for category_id, level, created, resolved in qs.values_list(
            "category_id", "level", "created_at", "resolved_at"
        ):
            groups.setdefault((category_id, level), []).append((resolved - created).total_seconds() / 3600)
        result = [
            {
                "category": names.get(k[0], "?"),
                "level": k[1],
                "median_hours": round(statistics.median(v), 1),
                "count": len(v),
            }
            for k, v in groups.items()
        ]
    return sorted(result, key=lambda r: (r["category"], LEVEL_ORDER.index(r["level"])))


def _open_by_level(scope: QuerySet[Case], now) -> tuple[list[int], list[int]]:
    """Open and overdue counts per level, in LEVEL_ORDER."""
    by_level: dict[str, Any] = {
        r["level"]: r
        for r in scope.filter(status__in=OPEN)
        .order_by()
        .values("level")
        .annotate(n=Count("*"), overdue=Count("deadline_at", filter=Q(deadline_at__lt=now)))
    }
    open_counts = [by_level.get(level, {}).get("n", 0) for level in LEVEL_ORDER]
    overdue_counts = [by_level.get(level, {}).get("overdue", 0) for level in LEVEL_ORDER]
    return open_counts, overdue_counts


def _ratings(resolved: QuerySet[Case]) -> dict[int, int]:
    """How many resolved cases got each score."""
    rows = (
        resolved.filter(rating__isnull=False)
        .order_by()
        .values("rating")
        .annotate(n=Count("*"))
        .values_list("rating", "n")
    )
    return {rating: n for rating, n in rows if rating is not None}


def _hot_compounds(scope: QuerySet[Case], since) -> list[dict]:
    """The 15 compounds with the most new cases since `since`."""
    rows = list(
        scope.filter(created_at__gte=since, compound__isnull=False)
        .order_by()
        .values("compound_id")
        .annotate(n=Count("*"))
        .order_by("-n")[:15]
    )
    names = dict(Place.objects.filter(pk__in=[h["compound_id"] for h in rows]).values_list("pk", "name"))
    return [{"compound__name": names.get(h["compound_id"], "?"), "n": h["n"]} for h in rows]


def _dashboard_charts(
    *,
    open_counts: list[int],
    overdue_counts: list[int],
    rating_rows: dict[int, int],
    medians: list[dict],
    hot: list[dict],
    burden: list[dict],
) -> dict:
    """The ECharts options of the dashboard's five charts."""
    level_labels = [str(HandlingLevel(level).label) for level in LEVEL_ORDER]
    return {
        "by_level": {
            "tooltip": {"trigger": "axis"},
            "legend": {"data": [gettext("在办"), gettext("超期")]},
            "xAxis": {"type": "category", "data": level_labels},
            "yAxis": {"type": "value"},
            "series": [
                {"name": gettext("在办"), "type": "bar", "data": open_counts},
                {
                    "name": gettext("超期"),
                    "type": "bar",
                    "data": overdue_counts,
                    "itemStyle": {"color": "#c0392b"},
                },
            ],
        },
        "satisfaction": {
            "tooltip": {"trigger": "item"},
            "series": [
                {
                    "type": "pie",
                    "radius": ["40%", "70%"],
                    "data": [
                        {
                            "name": ngettext("%(n)s星", "%(n)s星", s) % {"n": s},
                            "value": rating_rows.get(s, 0),
                        }
                        for s in range(5, 0, -1)
                    ],
                }
            ],
        },
        "medians": {
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 120},
            "xAxis": {"type": "value", "name": gettext("小时")},
            "yAxis": {
                "type": "category",
                "data": [f"{m['category']}·{HandlingLevel(m['level']).label}" for m in medians[:20]],
            },
            "series": [{"type": "bar", "data": [m["median_hours"] for m in medians[:20]]}],
        },
        "hot": {
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 100},
            "xAxis": {"type": "value"},
            "yAxis": {"type": "category", "data": [h["compound__name"] for h in reversed(hot)]},
            "series": [{"type": "bar", "data": [h["n"] for h in reversed(hot)]}],
        },
        "burden": {
            "tooltip": {"trigger": "axis"},
            "legend": {"data": [gettext("清单内"), gettext("清单外")]},
            "xAxis": {"type": "category", "data": [b["community"] for b in burden]},
            "yAxis": {"type": "value"},
            "series": [
                {
                    "name": gettext("清单内"),
                    "type": "bar",
                    "stack": "d",
                    "data": [b["on_list"] for b in burden],
                },
                {
                    "name": gettext("清单外"),
                    "type": "bar",
                    "stack": "d",
                    "data": [b["off_list"] for b in burden],
                    "itemStyle": {"color": "#c0392b"},
                },
            ],
        },
    }


def dashboard(actor, *, days: int = DASHBOARD_DAYS) -> dict:
    """Open and overdue cases by level, median handling hours, satisfaction, hot compounds and the burden of
    handed-down duties, over the cases the actor handles (the last `days` days for the flows)."""
    now = timezone.now()
    since = now - timedelta(days=days)
    scope = Case.objects.filter(scope_q(actor, Right.CASES_HANDLE))
    open_counts, overdue_counts = _open_by_level(scope, now)
    resolved = scope.filter(resolved_at__gte=since, resolved_at__isnull=False)
    medians = _median_hours_by(resolved)
    rating_rows = _ratings(resolved)
    rated_total = sum(rating_rows.values())
    average = sum(score * n for score, n in rating_rows.items()) / rated_total if rated_total else None
    hot = _hot_compounds(scope, since)
    burden = duty_burden(actor)
    totals = {
        "open": sum(open_counts),
        "overdue": sum(overdue_counts),
        "avg_rating": round(average, 2) if average else None,
        "rated": rated_total,
    }
    return {
        "totals": totals,
        "medians": medians,
        "burden": burden,
        "charts": _dashboard_charts(
            open_counts=open_counts,
            overdue_counts=overdue_counts,
            rating_rows=rating_rows,
            medians=medians,
            hot=hot,
            burden=burden,
        ),
    }
