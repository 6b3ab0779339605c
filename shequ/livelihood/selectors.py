"""Reads of the living guarantee, scoped to the actor: group buys and orders (a resident sees their own),
the merchant's order and pick lists, pairing candidates and suggestions, contact gaps and coverage."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.db.models import (
    Aggregate,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext

from shequ.accounts.selectors import users_holding, users_of_people
from shequ.core.jurisdiction import LEVELS, NOTHING, grants_with, scope_q
from shequ.core.rights import Right, Role
from shequ.emergency import selectors as emergency
from shequ.ledger.models import Duty, GroupTag, Household, Person
from shequ.livelihood import optimise
from shequ.livelihood.models import (
    CareSelection,
    Contact,
    DeliveryAssignment,
    GroupBuy,
    GroupBuyItem,
    HelperCapacity,
    MedicinePurchase,
    Merchant,
    Order,
    OrderLine,
    Pairing,
)
from shequ.places.models import Dwelling, Level, Place

DEFAULT_CAPACITY = 3
CONTACT_LIMIT_INCIDENT = timedelta(hours=24)
CONTACT_LIMIT_NORMAL = timedelta(days=7)
HELPER_KINDS = (
    Duty.Kind.VOLUNTEER,
    Duty.Kind.PARTY_MEMBER,
    Duty.Kind.PARTY_HOUSEHOLD,
    Duty.Kind.BUILDING_LEADER,
    Duty.Kind.GRID_WORKER,
    Duty.Kind.COMMUNITY_WORKER,
    Duty.Kind.SUNK_CADRE,
    Duty.Kind.REPORTING_MEMBER,
)


def merchants_visible_to(actor, right: Right | str = Right.LIVELIHOOD_MANAGE) -> QuerySet[Merchant]:
    ids = Merchant.objects.filter(scope_q(actor, right, via="areas__")).values("pk")
    return Merchant.objects.filter(pk__in=ids).prefetch_related("areas")


def _resident_places_q(actor, right, via: str) -> Q:
    """A resident (a dwelling grant) sees what is offered to their building or compound."""
    q = NOTHING
    dwelling_ids = [g.target_id for g in grants_with(actor, right) if g.level == "dwelling"]
    for d in Dwelling.objects.filter(pk__in=dwelling_ids).only("building_id", "compound_id"):
        q |= Q(**{f"{via}id__in": [d.building_id, d.compound_id]})
    return q


def group_buys_visible_to(actor, right: Right | str = Right.LIVELIHOOD_ORDER) -> QuerySet[GroupBuy]:
    q = scope_q(actor, right, via="place__") | _resident_places_q(actor, right, "place__")
    return GroupBuy.objects.filter(q).select_related("merchant", "place", "place__compound", "created_by")


def orders_visible_to(actor, right: Right | str = Right.LIVELIHOOD_ORDER) -> QuerySet[Order]:
    return Order.objects.filter(scope_q(actor, right, via="dwelling__", target="dwelling")).select_related(
        "group_buy",
        "dwelling",
        "dwelling__compound",
        "dwelling__building",
        "dwelling__unit",
        "building",
        "household",
    )


def deliverable_orders(actor) -> QuerySet[Order]:
    """Orders the actor may deliver: in buildings assigned to them, or anywhere they hold the deliver right."""
    assigned = DeliveryAssignment.objects.filter(
        group_buy_id=OuterRef("group_buy_id"), building_id=OuterRef("building_id"), volunteer=actor
    )
    return Order.objects.filter(
        Q(Exists(assigned)) | scope_q(actor, Right.LIVELIHOOD_DELIVER, via="dwelling__", target="dwelling")
    ).select_related("group_buy", "dwelling", "dwelling__compound", "dwelling__building", "dwelling__unit")


def medicine_visible_to(actor, right: Right | str = Right.LIVELIHOOD_ORDER) -> QuerySet[MedicinePurchase]:
    return MedicinePurchase.objects.filter(
        scope_q(actor, right, via="dwelling__", target="dwelling")
        | Q(helper=actor if actor.is_authenticated else None)
    ).select_related(
        "person",
        "dwelling",
        "dwelling__compound",
        "dwelling__building",
        "dwelling__unit",
        "pharmacy",
        "helper",
    )


def pairings_visible_to(actor, right: Right | str = Right.LIVELIHOOD_DELIVER) -> QuerySet[Pairing]:
    return Pairing.objects.filter(scope_q(actor, right, via="dwelling__", target="dwelling")).select_related(
        "resident", "helper", "dwelling", "dwelling__compound", "dwelling__building", "dwelling__unit"
    )


def contacts_of(pairing: Pairing) -> QuerySet[Contact]:
    return pairing.contacts.select_related("recorded_by")


def places_managed_by(actor, levels: list[str]) -> QuerySet[Place]:
    """Places of these levels where the actor manages the living guarantee (a merchant's areas, a group buy's
    place)."""
    return Place.objects.filter(scope_q(actor, Right.LIVELIHOOD_MANAGE), level__in=levels).order_by("path")


def communities_managed_by(actor) -> QuerySet[Place]:
    """Communities where the actor pairs helpers with residents."""
    return Place.objects.filter(scope_q(actor, Right.LIVELIHOOD_MANAGE), level=Level.COMMUNITY)


# Merchants, group buys, orders --------------------------------------------------------------------------------------


def merchant_serves(merchant: Merchant, place: Place) -> bool:
    """The merchant serves this place: one of its areas is the place or lies above it."""
    return any(
        area.pk == place.pk or getattr(place, f"{area.level}_id", None) == area.pk
        for area in merchant.areas.all()
    )


def group_buys_with_order_counts(actor, right: Right | str = Right.LIVELIHOOD_ORDER) -> QuerySet[GroupBuy]:
    """The group buys the actor sees, each with `n_orders` (orders not cancelled)."""
    return group_buys_visible_to(actor, right).annotate(
        n_orders=Count("orders", filter=~Q(orders__status=Order.Status.CANCELLED))
    )


def items_of(group_buy: GroupBuy) -> QuerySet[GroupBuyItem]:
    return group_buy.items.all()


def assignments_of(group_buy: GroupBuy) -> QuerySet[DeliveryAssignment]:
    return group_buy.assignments.select_related("building", "volunteer")


def buildings_assigned_to(actor, group_buy: GroupBuy) -> list[int]:
    """Buildings of the group buy the delivery plan gave this volunteer (empty: none in particular)."""
    return list(group_buy.assignments.filter(volunteer=actor).values_list("building_id", flat=True))


def is_assigned_deliverer(actor, order: Order) -> bool:
    """The delivery plan gave the actor the order's building."""
    return DeliveryAssignment.objects.filter(
        group_buy_id=order.group_buy_id, building_id=order.building_id, volunteer=actor
    ).exists()


def lines_of(order: Order) -> QuerySet[OrderLine]:
    return order.lines.select_related("item")


def deliverers_of(group_buy: GroupBuy, *, ids: list[int]) -> list:
    """Those of the users `ids` who may deliver the group buy's orders (a role with the deliver right at its
    place, above it or at its grid), in id order; anyone else is left out as if unknown."""
    return list(
        users_holding(at=group_buy.place, right=Right.LIVELIHOOD_DELIVER).filter(pk__in=ids).order_by("pk")
    )


def delivery_volunteers_for(group_buy: GroupBuy):
    """The people a delivery plan offers: the deliverers of the group buy, street officers left out."""
    return users_holding(
        at=group_buy.place, right=Right.LIVELIHOOD_DELIVER, exclude_roles=[Role.STREET_OFFICER]
    )


# Group buy views --------------------------------------------------------------------------------------------------


class _Joined(Aggregate):
    """string_agg(expr, sep) on PostgreSQL, group_concat(expr, sep) on SQLite: the lines of one order folded
    into one short string, so 150,000 lines come back as 50,000 rows."""

    function = "STRING_AGG"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra)


def group_buy_sheets(group_buy: GroupBuy) -> dict:
    """The merchant's order (totals per item) and one pick list per building (each order's items, and the
    building's totals per item). Summed in the database: one GROUP BY item, one GROUP BY building and item, one
    row per order with its lines folded into a string; cancelled orders left out."""
    live = OrderLine.objects.filter(order__group_buy=group_buy).exclude(order__status=Order.Status.CANCELLED)
    items = {i.pk: i for i in group_buy.items.all()}
    rank = {pk: (i.sort, pk) for pk, i in items.items()}
    merchant = sorted(
        (
            {
                "item": item_id,
                "name": items[item_id].name,
                "unit": items[item_id].unit,
                "quantity": quantity,
                "amount": amount,
                "price": items[item_id].price,
            }
            for item_id, quantity, amount in live.order_by()
            .values_list("item_id")
            .annotate(q=Sum("quantity"), a=Sum(F("quantity") * F("price"), output_field=DecimalField()))
        ),
        key=lambda r: r["name"],
    )
    totals: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for building_id, item_id, quantity in (
        live.order_by().values_list("order__building_id", "item_id").annotate(q=Sum("quantity"))
    ):
        totals[building_id].append((item_id, quantity))
    line = Concat(
        Cast("lines__item_id", CharField()),
        Value(":"),
        Cast("lines__quantity", CharField()),
        output_field=CharField(),
    )
    orders = (
        Order.objects.filter(group_buy=group_buy)
        .exclude(status=Order.Status.CANCELLED)
        .order_by()
        .values_list("pk", "building_id", "dwelling__address", "pickup_code")
        .annotate(lines=_Joined(line, Value(",")))
    )
    by_building: dict[int, list[dict]] = defaultdict(list)
    for pk, building_id, address, pickup_code, folded in orders:
        if not folded:
            continue
        pairs = sorted(
            ((int(a), int(b)) for a, b in (p.split(":") for p in folded.split(","))), key=lambda p: rank[p[0]]
        )
        by_building[building_id].append(
            {
                "order": pk,
                "dwelling": address,
                "pickup_code": pickup_code,
                "items": [(items[i].name, n, items[i].unit) for i, n in pairs],
            }
        )
    buildings = Place.objects.in_bulk(list(by_building))
    assignments = {a.building_id: a.volunteer for a in group_buy.assignments.select_related("volunteer")}
    picks = []
    for building_id, entries in by_building.items():
        entries.sort(key=lambda e: (e["dwelling"], e["order"]))
        picks.append(
            {
                "building": building_id,
                "building_obj": buildings.get(building_id),
                "volunteer": assignments.get(building_id),
                "orders": entries,
                "totals": {
                    items[i].name: n for i, n in sorted(totals[building_id], key=lambda p: rank[p[0]])
                },
            }
        )
    picks.sort(key=lambda p: p["building_obj"].path if p["building_obj"] else "")
    return {"merchant": merchant, "picks": picks, "amount": sum((r["amount"] for r in merchant), 0)}


def group_buy_progress(group_buy: GroupBuy) -> dict:
    counts = dict(group_buy.orders.values_list("status").annotate(n=Count("id")))
    active = sum(n for s, n in counts.items() if s != Order.Status.CANCELLED)
    return {
        "orders": active,
        "by_status": [
            (Order.Status(s).label, counts.get(s, 0))
            for s in Order.Status.values
            if s != Order.Status.CANCELLED
        ],
        "received": counts.get(Order.Status.RECEIVED, 0),
        "share_received": (counts.get(Order.Status.RECEIVED, 0) / active) if active else 0,
    }


def households_for_leader(actor, group_buy: GroupBuy):
    """Households a building leader (or worker) may order for, inside the group buy's place."""
    return (
        Household.objects.filter(scope_q(actor, Right.LIVELIHOOD_ORDER, via="dwelling__", target="dwelling"))
        .filter(**{f"dwelling__{group_buy.place.level}_id": group_buy.place_id}, is_active=True)
        .select_related("dwelling", "dwelling__unit", "dwelling__building", "dwelling__compound", "head")
        .order_by("dwelling__building__sort_key", "dwelling__unit__sort_key", "dwelling__room")
    )


def own_households(actor):
    ids = [g.target_id for g in grants_with(actor, Right.LIVELIHOOD_ORDER) if g.level == "dwelling"]
    return Household.objects.filter(dwelling_id__in=ids, is_active=True).select_related("dwelling")


# Pairing ----------------------------------------------------------------------------------------------------------


def active_pairings_visible_to(actor, *, search: str = "") -> QuerySet[Pairing]:
    """Active pairings in the actor's places; `search` matches the resident's or the helper's name."""
    rows = pairings_visible_to(actor).filter(is_active=True)
    if search:
        rows = rows.filter(Q(resident__name__contains=search) | Q(helper__name__contains=search))
    return rows


def helpers_in(community_ids) -> QuerySet[Person]:
    """People on the roster of the communities who may be helpers (volunteers, party members, workers …)."""
    return (
        Person.objects.filter(
            duties__is_active=True,
            duties__kind__in=HELPER_KINDS,
            duties__community_id__in=community_ids,
        )
        .distinct()
        .order_by("name")
    )


def vulnerable_people(*, community_ids: set[int]) -> QuerySet[Person]:
    """Residents to be paired: a current vulnerable tag (独居/孤寡老人, 残疾, 低保, 特困, 失能) or selected by a
    worker, living in the communities."""
    today = timezone.localdate()
    tagged = GroupTag.objects.filter(person_id=OuterRef("pk"), kind__in=GroupTag.VULNERABLE_KINDS).filter(
        Q(until__isnull=True) | Q(until__gte=today)
    )
    selected = CareSelection.objects.filter(person_id=OuterRef("pk"), is_active=True)
    return Person.objects.filter(
        Q(Exists(tagged)) | Q(Exists(selected)),
        home__community_id__in=community_ids,
        is_deceased=False,
        merged_into__isnull=True,
    )


def helper_profiles(*, community_ids: set[int], person_ids: set[int] | None = None) -> dict[int, dict]:
    """Helpers on the roster (volunteers, party members, workers …) in the communities, with where they are
    (their duty's building/compound, else their home in the community), their role and capacity."""
    duties = Duty.objects.filter(
        is_active=True, kind__in=HELPER_KINDS, community_id__in=community_ids
    ).select_related("person__home")
    if person_ids is not None:
        duties = duties.filter(person_id__in=person_ids)
    capacities = dict(
        HelperCapacity.objects.filter(person__duties__in=duties).values_list("person_id", "capacity")
    )
    profiles: dict[int, dict] = {}
    for duty in duties.order_by("person_id", "id"):
        home = duty.person.home
        if duty.building_id:
            place = SimpleNamespace(
                building_id=duty.building_id, compound_id=duty.compound_id, community_id=duty.community_id
            )
        elif (
            home is not None
            and home.community_id == duty.community_id
            and (duty.compound_id is None or home.compound_id == duty.compound_id)
        ):
            place = SimpleNamespace(
                building_id=home.building_id, compound_id=home.compound_id, community_id=home.community_id
            )
        else:
            place = SimpleNamespace(
                building_id=None, compound_id=duty.compound_id, community_id=duty.community_id
            )
        current = profiles.get(duty.person_id)
        # A person with several duties: keep the most precise location.
        if current is None or (place.building_id and not current["place"].building_id):
            profiles[duty.person_id] = {
                "place": place,
                "role": duty.get_kind_display(),
                "capacity": capacities.get(duty.person_id, DEFAULT_CAPACITY),
                "name": duty.person.name,
            }
    return profiles


def pairing_suggestions(*, community: Place) -> list[dict]:
    """What the optimiser proposes for the community's unpaired vulnerable residents."""
    ids = {community.pk}
    paired = Pairing.objects.filter(is_active=True, resident_id=OuterRef("pk"))
    residents = list(
        vulnerable_people(community_ids=ids)
        .exclude(Exists(paired))
        .values_list("pk", "home__building_id", "home__compound_id", "home__community_id")
    )
    profiles = helper_profiles(community_ids=ids)
    loads = dict(
        Pairing.objects.filter(is_active=True, helper_id__in=list(profiles))
        .values_list("helper_id")
        .annotate(n=Count("id"))
    )
    helpers = [
        optimise.Helper(
            pk,
            p["place"].building_id,
            p["place"].compound_id,
            p["place"].community_id,
            p["capacity"],
            loads.get(pk, 0),
        )
        for pk, p in profiles.items()
    ]
    result = optimise.pair([optimise.Resident(*r) for r in residents if r[0] not in profiles], helpers)
    return [
        {
            "resident_id": r,
            "helper_id": h,
            "proximity": tier,
            "role": profiles[h]["role"],
            "helper_name": profiles[h]["name"],
        }
        for r, (h, tier) in result.items()
    ]


def contact_limit_for(community_id: int, incident_communities: set[int]) -> timedelta:
    """24 hours in a community with an active incident (emergency.selectors.active_incident_communities), else
    7 days."""
    return CONTACT_LIMIT_INCIDENT if community_id in incident_communities else CONTACT_LIMIT_NORMAL


def _actor_community_ids(actor, right) -> set[int]:
    ids: set[int] = set()
    street_ids = set()
    for g in grants_with(actor, right):
        if g.level == Level.STREET:
            street_ids.add(g.target_id)
        elif g.community_id:
            ids.add(g.community_id)
    if street_ids:
        ids |= set(
            Place.objects.filter(level=Level.COMMUNITY, street_id__in=street_ids).values_list("pk", flat=True)
        )
    return ids


def _stale(pairings: QuerySet[Pairing], incidents: set[int], now: datetime) -> list[Pairing]:
    cutoff_normal = now - CONTACT_LIMIT_NORMAL
    cutoff_incident = now - CONTACT_LIMIT_INCIDENT
    stale = Q(dwelling__community_id__in=incidents) & (
        Q(last_contact_at__lt=cutoff_incident)
        | Q(last_contact_at__isnull=True, started_at__lt=cutoff_incident)
    )
    stale |= ~Q(dwelling__community_id__in=incidents) & (
        Q(last_contact_at__lt=cutoff_normal) | Q(last_contact_at__isnull=True, started_at__lt=cutoff_normal)
    )
    gaps = list(pairings.filter(stale).order_by("last_contact_at", "started_at"))
    for p in gaps:
        p.since = p.last_contact_at or p.started_at
        p.gap = now - p.since
        p.limit = contact_limit_for(p.dwelling.community_id, incidents)
    return gaps


def contact_gaps(*, actor, now: datetime | None = None) -> list[Pairing]:
    """Active pairings whose resident has not been contacted within the limit (24 h during an active incident
    in their community, 7 days otherwise), longest gap first."""
    now = now or timezone.now()
    pairings = pairings_visible_to(actor).filter(is_active=True)
    incidents = emergency.active_incident_communities(_actor_community_ids(actor, Right.LIVELIHOOD_DELIVER))
    return _stale(pairings, incidents, now)


def contact_gaps_everywhere(*, now: datetime | None = None) -> list[Pairing]:
    """The same gaps across every community, for the periodic alert (a system read: no actor)."""
    now = now or timezone.now()
    pairings = Pairing.objects.filter(is_active=True).select_related(
        "resident", "helper", "dwelling", "dwelling__community"
    )
    communities = set(pairings.values_list("dwelling__community_id", flat=True).distinct())
    return _stale(pairings, emergency.active_incident_communities(communities), now)


def gap_alert_recipients(gaps: list[Pairing]) -> dict[int, list]:
    """Who hears of each gap: the helper's own account(s), and the community workers of the resident's
    community. {pairing id: [users]}."""
    helpers: dict[int, list] = defaultdict(list)
    for user in users_of_people({p.helper_id for p in gaps}):
        helpers[user.person_id].append(user)
    communities = {p.dwelling.community_id: p.dwelling.community for p in gaps}
    workers = {
        pk: list(users_holding(at=community, roles=[Role.COMMUNITY_WORKER], within=True))
        for pk, community in communities.items()
    }
    return {p.pk: [*helpers.get(p.helper_id, []), *workers.get(p.dwelling.community_id, [])] for p in gaps}


def coverage(*, actor, now: datetime | None = None) -> dict:
    """The share of vulnerable residents with an active helper, and with a recent contact (within the limit),
    overall and per compound — with an ECharts option."""
    now = now or timezone.now()
    community_ids = _actor_community_ids(actor, Right.LIVELIHOOD_DELIVER)
    incidents = emergency.active_incident_communities(community_ids)
    visible = Q(pk__in=[])
    for g in grants_with(actor, Right.LIVELIHOOD_DELIVER):
        if g.level in (*LEVELS, "grid"):
            visible |= Q(**{f"home__{g.level}_id": g.target_id})
    people = vulnerable_people(community_ids=community_ids).filter(visible)
    rows = list(people.values_list("pk", "home__compound_id", "home__community_id"))
    active = {
        p.resident_id: p
        for p in Pairing.objects.filter(is_active=True, resident_id__in=[r[0] for r in rows]).only(
            "resident_id", "last_contact_at", "started_at"
        )
    }
    per_compound: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    total = paired = recent = 0
    for pk, compound_id, community_id in rows:
        total += 1
        per_compound[compound_id][0] += 1
        p = active.get(pk)
        if p is None:
            continue
        paired += 1
        per_compound[compound_id][1] += 1
        limit = contact_limit_for(community_id, incidents)
        if p.last_contact_at and now - p.last_contact_at <= limit:
            recent += 1
            per_compound[compound_id][2] += 1
    names = dict(Place.objects.filter(pk__in=list(per_compound)).values_list("pk", "name"))
    labels = [names.get(c, "—") for c in per_compound]
    chart = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [gettext("已结对"), gettext("近期已联系")]},
        "grid": {"left": 40, "right": 10, "top": 30, "bottom": 60},
        "xAxis": {"type": "category", "data": labels, "axisLabel": {"rotate": 30}},
        "yAxis": {"type": "value", "max": 100, "name": "%"},
        "series": [
            {
                "type": "bar",
                "name": gettext("已结对"),
                "data": [round(100 * v[1] / v[0]) if v[0] else 0 for v in per_compound.values()],
            },
            {
                "type": "bar",
                "name": gettext("近期已联系"),
                "data": [round(100 * v[2] / v[0]) if v[0] else 0 for v in per_compound.values()],
            },
        ],
    }
    return {
        "total": total,
        "paired": paired,
        "recent": recent,
        "share_paired": paired / total if total else 0,
        "share_covered": recent / total if total else 0,
        "incident": bool(incidents),
        "chart": chart,
    }
