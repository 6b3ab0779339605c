"""Reads for epidemic operations, scoped to the actor's places. Figures are per incident; cross-incident
statistics count real incidents only (is_drill=False)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from shequ.core import instances
from shequ.core.jurisdiction import NOTHING, grants_with, scope_q
from shequ.core.rights import Right
from shequ.emergency.models import Incident, IncidentTask, Team
from shequ.emergency.selectors import incident_scope_q
from shequ.epidemic import policies
from shequ.epidemic.models import (
    CheckIn,
    Contact,
    ControlZone,
    FollowUp,
    Monitoring,
    ScreeningCampaign,
    TestingEntry,
    TestingRound,
    Transfer,
    VisitItem,
    VisitRecord,
)
from shequ.ledger.models import GroupTag, Person
from shequ.places.models import Level, Place


def _building_q(actor, right, *, via: str = "") -> Q:
    """Rows carrying community_id/building_id columns: community and street grants see all of a community;
    narrower grants see their buildings (grid grants through the building's grid)."""
    q = NOTHING
    for g in grants_with(actor, right):
        if g.level == "street":
            q |= Q(**{f"{via}community__street_id": g.target_id})
        elif g.level == "community":
            q |= Q(**{f"{via}community_id": g.target_id})
        elif g.level == "grid":
            q |= Q(**{f"{via}building__grid_id": g.target_id})
        elif g.level in ("compound", "building"):
            q |= Q(**{f"{via}building__{g.level}_id": g.target_id})
    return q


def campaigns_visible_to(actor, right=Right.EMERGENCY_VIEW) -> QuerySet[ScreeningCampaign]:
    return ScreeningCampaign.objects.filter(incident_scope_q(actor, right, via="incident__")).select_related(
        "incident"
    )


def visit_items_visible_to(actor, right=Right.EMERGENCY_CAPTURE) -> QuerySet[VisitItem]:
    return VisitItem.objects.filter(scope_q(actor, right)).select_related(
        "dwelling", "building", "compound", "unit", "campaign__incident", "household__head"
    )


def visit_records_visible_to(actor, right=Right.EMERGENCY_VIEW) -> QuerySet[VisitRecord]:
    return VisitRecord.objects.filter(scope_q(actor, right, via="item__")).select_related("item__dwelling")


def checkins_visible_to(actor, right=Right.EMERGENCY_VIEW) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(_building_q(actor, right)).select_related("person", "building")


def zones_visible_to(actor, right=Right.EMERGENCY_VIEW) -> QuerySet[ControlZone]:
    return ControlZone.objects.filter(incident_scope_q(actor, right, via="incident__")).select_related(
        "place", "incident"
    )


def monitorings_visible_to(actor, right=Right.EMERGENCY_VIEW) -> QuerySet[Monitoring]:
    return Monitoring.objects.filter(_building_q(actor, right)).select_related(
        "person", "building", "dwelling", "incident"
    )


def contacts_visible_to(actor, right=Right.EMERGENCY_VIEW) -> QuerySet[Contact]:
    return Contact.objects.filter(_building_q(actor, right)).select_related("person", "building", "incident")


def followups_visible_to(actor, right=Right.EMERGENCY_VIEW) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(_building_q(actor, right, via="contact__")).select_related(
        "contact__person", "team"
    )


def testing_rounds_visible_to(actor, right=Right.EMERGENCY_VIEW) -> QuerySet[TestingRound]:
    return TestingRound.objects.filter(incident_scope_q(actor, right, via="incident__")).select_related(
        "incident"
    )


def testing_entries_visible_to(actor, right=Right.EMERGENCY_VIEW) -> QuerySet[TestingEntry]:
    return TestingEntry.objects.filter(
        incident_scope_q(actor, right, via="round__incident__")
    ).select_related("person", "building")


# Progress and the board -----------------------------------------------------------------------------------------


def screening_progress(*, campaign: ScreeningCampaign, actor=None) -> list[dict]:
    """Progress by building: one GROUP BY over the campaign's visit items."""
    items = VisitItem.objects.filter(campaign=campaign)
    if actor is not None:
        items = items.filter(scope_q(actor, Right.EMERGENCY_VIEW))
    rows = (
        items.values("building_id")
        .annotate(
            total=Count("id"),
            pending=Count("id", filter=Q(status=VisitItem.Status.PENDING)),
            revisit=Count("id", filter=Q(needs_revisit=True)),
            refused=Count("id", filter=Q(status=VisitItem.Status.REFUSED)),
        )
        .order_by("building_id")
    )
    rows = list(rows)
    names = {
        pk: f"{compound or ''}{name}"
        for pk, compound, name in Place.objects.filter(pk__in=[r["building_id"] for r in rows]).values_list(
            "pk", "compound__name", "name"
        )
    }
    out = []
    for r in rows:
        reached = r["total"] - r["pending"]
        out.append(
            {
                "building_id": r["building_id"],
                "name": names.get(r["building_id"], ""),
                "total": r["total"],
                "reached": reached,
                "pending": r["pending"],
                "revisit": r["revisit"],
                "refused": r["refused"],
                "percent": round(100 * reached / r["total"]) if r["total"] else 0,
            }
        )
    return out


def not_reached(*, campaign: ScreeningCampaign, actor, building_id: int | None = None, revisit: bool = False):
    items = visit_items_visible_to(actor, Right.EMERGENCY_VIEW).filter(campaign=campaign)
    items = items.filter(needs_revisit=True) if revisit else items.filter(status=VisitItem.Status.PENDING)
    if building_id:
        items = items.filter(building_id=building_id)
    return items.order_by("building_id", "dwelling_id")


def not_checked_in_by_building(*, incident: Incident, actor, on=None) -> list[dict]:
    """Residents in scope with no check-in on the day, counted by building."""
    from shequ.emergency.selectors import scope_buildings

    on = on or timezone.localdate()
    buildings = {b.pk: b for b in scope_buildings(incident)}
    visible = Person.objects.filter(
        home__building_id__in=list(buildings), merged_into__isnull=True, is_deceased=False
    ).filter(scope_q(actor, Right.EMERGENCY_VIEW, via="home__", target="dwelling"))
    residents = dict(
        visible.values_list("home__building_id").annotate(n=Count("id")).values_list("home__building_id", "n")
    )
    done = dict(
        CheckIn.objects.filter(incident=incident, on=on, building_id__in=list(residents))
        .values_list("building_id")
        .annotate(n=Count("id"))
        .values_list("building_id", "n")
    )
    out = []
    for bid, n in residents.items():
        b = buildings[bid]
        out.append(
            {
                "building_id": bid,
                "name": f"{b.compound.name}{b.name}",
                "residents": n,
                "checked_in": done.get(bid, 0),
                "missing": n - done.get(bid, 0),
            }
        )
    return sorted(out, key=lambda r: -r["missing"])


def not_checked_in_people(*, incident: Incident, actor, building_id: int, on=None):
    on = on or timezone.localdate()
    done = CheckIn.objects.filter(incident=incident, on=on, building_id=building_id).values("person_id")
    return (
        Person.objects.filter(home__building_id=building_id, merged_into__isnull=True, is_deceased=False)
        .filter(scope_q(actor, Right.EMERGENCY_VIEW, via="home__", target="dwelling"))
        .exclude(pk__in=done)
        .select_related("home")
        .order_by("home__unit_id", "home__room", "name")
    )


def active_zones(*, incident: Incident, when=None):
    when = when or timezone.now()
    return incident.zones.filter(starts_at__lte=when).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=when))


def board(*, incident: Incident, actor) -> dict:
    """The incident board (ECharts options + figures)."""
    today = timezone.localdate()
    now = timezone.now()
    campaign = incident.campaigns.order_by("-started_at").first()
    progress = screening_progress(campaign=campaign, actor=actor) if campaign else []
    zones = list(active_zones(incident=incident).select_related("place"))
    zone_counts: dict[str, int] = {}
    for z in zones:
        zone_counts[z.zone_type] = zone_counts.get(z.zone_type, 0) + 1
    checkins = CheckIn.objects.filter(incident=incident, on=today).filter(
        _building_q(actor, Right.EMERGENCY_VIEW)
    )
    checked = checkins.count()
    over = checkins.filter(is_over_threshold=True).count()
    missing = not_checked_in_by_building(incident=incident, actor=actor)
    residents = sum(r["residents"] for r in missing)
    monitoring = Monitoring.objects.filter(incident=incident, status=Monitoring.Status.ACTIVE).filter(
        _building_q(actor, Right.EMERGENCY_VIEW)
    )
    overdue = IncidentTask.objects.filter(incident=incident, status=IncidentTask.Status.OPEN, due_at__lt=now)
    vulnerable = vulnerable_not_contacted(incident=incident, actor=actor)
    return {
        "campaign": campaign,
        "progress": progress,
        "zones": zones,
        "checked": checked,
        "residents": residents,
        "checkin_rate": round(100 * checked / residents) if residents else 0,
        "over_threshold": over,
        "monitoring": monitoring.count(),
        "monitoring_by_kind": dict(
            monitoring.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
        ),
        "overdue": overdue.count(),
        "vulnerable_pending": len(vulnerable),
        "vulnerable": vulnerable[:50],
        "not_checked": missing[:20],
        "progress_chart": _progress_chart(progress[:40]),
        "zone_chart": _zone_chart(zone_counts),
        "checkin_chart": _checkin_chart(checked, residents),
    }


def _progress_chart(progress_top: list[dict]) -> dict:
    """ECharts options: reached and pending households by building (stacked bars)."""
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [gettext("已走访"), gettext("未走访")]},
        "grid": {"left": 90, "right": 10, "top": 30, "bottom": 20},
        "xAxis": {"type": "value"},
        "yAxis": {"type": "category", "data": [r["name"] for r in progress_top]},
        "series": [
            {
                "name": gettext("已走访"),
                "type": "bar",
                "stack": "s",
                "data": [r["reached"] for r in progress_top],
            },
            {
                "name": gettext("未走访"),
                "type": "bar",
                "stack": "s",
                "data": [r["pending"] for r in progress_top],
            },
        ],
    }


def _zone_chart(zone_counts: dict[str, int]) -> dict:
    """ECharts options: active zones by type (a ring)."""
    return {
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "pie",
                "radius": ["40%", "70%"],
                "data": [{"name": k, "value": v} for k, v in zone_counts.items()],
            }
        ],
    }


def _checkin_chart(checked: int, residents: int) -> dict:
    """ECharts options: today's check-in rate (a gauge)."""
    return {
        "series": [
            {
                "type": "gauge",
                "min": 0,
                "max": 100,
                "detail": {"formatter": "{value}%"},
                "data": [
                    {
                        "value": round(100 * checked / residents) if residents else 0,
                        "name": gettext("今日打卡率"),
                    }
                ],
            }
        ],
    }


def vulnerable_not_contacted(*, incident: Incident, actor) -> list[dict]:
    """Vulnerable residents in scope whose household has not been reached by screening and who have not
    checked in today (独居老人, 残疾, 低保 …)."""
    from shequ.emergency.selectors import scope_buildings

    today = timezone.localdate()
    building_ids = [b.pk for b in scope_buildings(incident)]
    people = (
        Person.objects.filter(
            home__building_id__in=building_ids,
            tags__kind__in=GroupTag.VULNERABLE_KINDS,
            tags__until__isnull=True,
            is_deceased=False,
        )
        .filter(scope_q(actor, Right.EMERGENCY_VIEW, via="home__", target="dwelling"))
        .distinct()
        .select_related("home", "home__building", "home__compound")
    )
    reached_dwellings = set(
        VisitItem.objects.filter(campaign__incident=incident, building_id__in=building_ids)
        .exclude(status=VisitItem.Status.PENDING)
        .values_list("dwelling_id", flat=True)
    )
    checked = set(CheckIn.objects.filter(incident=incident, on=today).values_list("person_id", flat=True))
    out = []
    for p in people[:500]:
        if p.home_id in reached_dwellings or p.pk in checked:
            continue
        out.append({"name": p.name, "where": p.home.masked_address(), "pk": p.pk})
    return out


def real_checkin_statistics(*, actor, on=None) -> dict:
    """Across incidents: real check-ins only (drills excluded)."""
    on = on or timezone.localdate()
    qs = CheckIn.objects.filter(_building_q(actor, Right.EMERGENCY_VIEW), is_drill=False, on=on)
    return {"checkins": qs.count(), "over_threshold": qs.filter(is_over_threshold=True).count()}


def person_by_id_number_visible_to(actor, id_number: str) -> Person | None:
    """The person with this ID number, when the actor may see them (else None: missing and hidden alike)."""
    from shequ.ledger.selectors import people_visible_to
    from shequ.ledger.services import find_by_id_number

    person = find_by_id_number(id_number)
    if person is None or not people_visible_to(actor, Right.EMERGENCY_VIEW).filter(pk=person.pk).exists():
        return None
    return person


def household_people(household_ids: list[int]) -> dict[int, list[Person]]:
    """The current members of these households, by household (the capture page's list)."""
    from shequ.ledger.models import HouseholdMember

    members: dict[int, list[Person]] = {}
    for m in HouseholdMember.objects.filter(
        household_id__in=household_ids, left_on__isnull=True
    ).select_related("person"):
        members.setdefault(m.household_id, []).append(m.person)
    return members


def household_residents(household_id: int) -> dict[int, Person]:
    """Who a visit may report on: the household's current members and whoever lives in its dwelling, by id."""
    from shequ.ledger.models import Household, HouseholdMember, Residency

    ids = set(
        HouseholdMember.objects.filter(household_id=household_id, left_on__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    dwelling_id = Household.objects.filter(pk=household_id).values_list("dwelling_id", flat=True).first()
    ids |= set(
        Residency.objects.filter(dwelling_id=dwelling_id, until__isnull=True, lives_here=True).values_list(
            "person_id", flat=True
        )
    )
    return Person.objects.in_bulk(ids)


def users_in_place(place: Place) -> list:
    """Users with an active role at the place, or a resident role in a household inside it (a zone's notice)."""
    from shequ.accounts.models import RoleAssignment

    ras = (
        RoleAssignment.objects.filter(is_active=True)
        .filter(Q(**{f"household__dwelling__{place.level}_id": place.pk}) | Q(place_id=place.pk))
        .select_related("user")
    )
    return list({ra.user for ra in ras})


def building_teams(incident: Incident, building_id: int | None) -> list[Team]:
    """Teams responsible for a building (screening/follow-up teams), in formation order."""
    if building_id is None:
        return []
    return list(
        Team.objects.filter(incident=incident, team_buildings__building_id=building_id)
        .order_by("id")
        .distinct()
    )


def incident_places(incident: Incident):
    from shequ.emergency.selectors import incident_places_q

    return (
        Place.objects.filter(
            incident_places_q(incident),
            level__in=[Level.COMPOUND, Level.BUILDING],
        )
        .select_related("compound")
        .order_by("path")
    )


def incident_figures(*, incident: Incident) -> dict:
    items = VisitItem.objects.filter(campaign__incident=incident)
    total = items.count()
    reached = items.exclude(status=VisitItem.Status.PENDING).count()
    checkins = CheckIn.objects.filter(incident=incident)
    return {
        gettext_noop("排查户数"): total,
        gettext_noop("已走访户数"): reached,
        gettext_noop("打卡人次"): checkins.count(),
        gettext_noop("体温异常人次"): checkins.filter(is_over_threshold=True).count(),
        gettext_noop("管控区域数"): ControlZone.objects.filter(incident=incident).count(),
        gettext_noop("健康监测人数"): Monitoring.objects.filter(incident=incident).count(),
        gettext_noop("转运人数"): Transfer.objects.filter(
            monitoring__incident=incident, outcome="transferred"
        ).count(),
        gettext_noop("密接人数"): Contact.objects.filter(incident=incident).count(),
    }


# Check-in eligibility (epidemic.policies holds the rule) -------------------------------------------------------

# The person fields a check-in needs, with the home's place columns (the same the hot path's one read loads).
CHECKIN_PERSON_ONLY = (
    "id",
    "name",
    "community_id",
    "home__id",
    "home__street_id",
    "home__community_id",
    "home__compound_id",
    "home__building_id",
    "home__unit_id",
    "home__grid_id",
    "home__room",
    "home__address",
)


def checkin_incidents_for(actor, *, hot: bool = False, active_only: bool = False) -> QuerySet[Incident]:
    """Incidents the actor may check people in for. hot: only the fields the check-in needs (the API);
    active_only: only incidents still in response."""
    qs = Incident.objects.filter(policies.checkin_incidents_q(actor))
    if active_only:
        qs = qs.filter(status=Incident.Status.ACTIVE)
    return qs.only(*CHECKIN_INCIDENT_FIELDS) if hot else qs


def checkin_people_for(actor, *, incident: Incident | None = None, hot: bool = False) -> QuerySet[Person]:
    """People the actor may check in (not merged away); with `incident`, only those living in its community.
    hot: only the fields the check-in needs, with the home (the API)."""
    qs = Person.objects.filter(policies.checkin_people_q(actor), merged_into__isnull=True)
    if incident is not None:
        qs = qs.filter(home__community_id=incident.community_id)
    if hot:
        return qs.select_related("home").only(*CHECKIN_PERSON_ONLY)
    return qs


# The check-in hot path ------------------------------------------------------------------------------------------

CHECKIN_INCIDENT_FIELDS = (
    "id",
    "status",
    "is_drill",
    "parameters",
    "community_id",
    "street_id",
    "plan_id",
    "title",
    "activated_at",
)
CHECKIN_PERSON_FIELDS = ("id", "name", "community_id", "home_id")
CHECKIN_HOME_FIELDS = (
    "id",
    "street_id",
    "community_id",
    "compound_id",
    "building_id",
    "unit_id",
    "grid_id",
    "room",
    "address",
)


def _selected(model, alias: str, attnames=None) -> list:
    return [f for f in model._meta.concrete_fields if attnames is None or f.attname in attnames]


def _instance(model, attnames: list, converters: list, values: list, connection):
    """A model instance from raw column values (None when the LEFT JOIN found nothing), as a queryset makes it."""
    if values[0] is None:
        return None
    converted = [
        v if convert is None or v is None else convert(v, None, connection)
        for convert, v in zip(converters, values, strict=True)
    ]
    return instances.loaded(model, connection.alias, attnames, converted)


CHECKIN_USER_FIELDS = ("id", "username", "display_name", "is_active", "is_staff", "is_superuser", "person_id")
_CHECKIN_SQL: dict = {}


def _checkin_statement(connection):
    """The statement and the fields it reads, built once per process (the text never changes, so it stays
    prepared)."""
    cached = _CHECKIN_SQL.get(connection.alias)
    if cached is not None:
        return cached
    from rest_framework.authtoken.models import Token

    from shequ.accounts.grants import grants_sql
    from shequ.accounts.models import User
    from shequ.places.models import Dwelling

    qn = connection.ops.quote_name
    parts = [
        (User, "u", _selected(User, "u", CHECKIN_USER_FIELDS)),
        (Incident, "i", _selected(Incident, "i", CHECKIN_INCIDENT_FIELDS)),
        (Person, "pe", _selected(Person, "pe", CHECKIN_PERSON_FIELDS)),
        (Dwelling, "d", _selected(Dwelling, "d", CHECKIN_HOME_FIELDS)),
    ]
    columns = [f"{alias}.{qn(f.column)}" for _, alias, fields in parts for f in fields]
    # each field's from_db_value (as a queryset applies it), looked up once
    parts = [
        (model, [f.attname for f in fields], [getattr(f, "from_db_value", None) for f in fields])
        for model, _, fields in parts
    ]
    sql = (
        f"SELECT {', '.join(columns)}, {grants_sql('u.id')} "  # noqa: S608 — names from _meta
        f"FROM {qn(Token._meta.db_table)} t JOIN {qn(User._meta.db_table)} u ON u.id = t.user_id "
        f"LEFT JOIN {qn(Incident._meta.db_table)} i ON i.id = %s "
        f"LEFT JOIN {qn(Person._meta.db_table)} pe ON pe.id = %s AND pe.merged_into_id IS NULL "
        f"LEFT JOIN {qn(Dwelling._meta.db_table)} d ON d.id = pe.home_id "
        f"WHERE t.{qn(Token._meta.pk.column)} = %s"
    )
    _CHECKIN_SQL[connection.alias] = (sql, parts)
    return sql, parts


def checkin_context(*, token_key: str, incident_id: int, person_id: int):
    """(user, grants, incident, person with home) for a check-in sent with an API token, read in ONE statement
    (PostgreSQL): the token's user, that user's active grants, the incident and the person. Nothing is cached, so a
    revoked token or a removed role counts from the next request on. None when the token is unknown; incident or
    person None when missing. Visibility is NOT decided here: the caller checks it against the grants. The user
    carries the fields the check-in needs (others load on first use)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from shequ.accounts.grants import grants_from_json
    from shequ.core import sql as prepared

    connection = connections[
        DEFAULT_DB_ALIAS
    ]  # the connection itself, not the proxy (read again on each use)
    sql, parts = _checkin_statement(connection)
    rows = prepared.fetch(sql, [incident_id, person_id, token_key])
    if not rows:
        return None
    values = rows[0]
    objects = []
    start = 0
    for model, attnames, converters in parts:
        end = start + len(attnames)
        objects.append(_instance(model, attnames, converters, values[start:end], connection))
        start = end
    user, incident, person, home = objects
    if person is not None:
        Person._meta.get_field("home").set_cached_value(person, home)
    return user, grants_from_json(values[start]), incident, person
