"""Reads of emergency supplies, always scoped to the actor: stock with days of cover, the ledger, expiry and
reorder warnings, requests and the need figures allocation works from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language, gettext

from shequ.core.jurisdiction import LEVELS, grants_with, scope_q
from shequ.core.models import AuditEvent
from shequ.core.rights import Right
from shequ.epidemic import selectors as epidemic
from shequ.ledger.models import GroupTag, Person
from shequ.places.models import Level, Place
from shequ.supplies import allocation as alloc
from shequ.supplies.models import (
    Allocation,
    AllocationRound,
    ConsumptionNorm,
    Item,
    Movement,
    ReorderLevel,
    StockLot,
    Store,
    SupplyRequest,
)

EXPIRY_WARNING_DAYS = 30


class ItemRef(NamedTuple):
    """The catalogue fields a stock row shows. A page of stock reads the whole catalogue (1,000 items); plain
    tuples cost a tenth of model instances to build, and a fraction to cache (they unpickle as tuples)."""

    pk: int
    code: str
    name: str
    category: str
    grade: str
    unit: str
    pack_size: int
    is_countable: bool
    daily_norm_per_person: Decimal
    is_active: bool

    @property
    def id(self) -> int:
        return self.pk

    def __str__(self) -> str:
        return f"{self.name}{f'({self.grade})' if self.grade else ''}"


ITEM_REF_FIELDS = ItemRef._fields


class StoreRef(NamedTuple):
    """A store as the overview lists it (a hundred model instances with their places cost more to unpickle
    from the cache than the rest of the summary)."""

    pk: int
    name: str
    place_name: str


def item_refs(items: QuerySet[Item]) -> list[ItemRef]:
    return [ItemRef(*row) for row in items.order_by("category", "code").values_list(*ITEM_REF_FIELDS)]


def items_visible_to(actor, right: Right | str = Right.SUPPLIES_VIEW) -> QuerySet[Item]:
    """The catalogue of the streets the actor works in."""
    streets = {g.street_id for g in grants_with(actor, right) if g.street_id}
    streets |= {g.target_id for g in grants_with(actor, right) if g.level == Level.STREET}
    return Item.objects.filter(street_id__in=streets)


def stores_visible_to(actor, right: Right | str = Right.SUPPLIES_VIEW) -> QuerySet[Store]:
    return Store.objects.filter(scope_q(actor, right, via="place__")).select_related("place", "place__street")


def lots_visible_to(actor, right: Right | str = Right.SUPPLIES_VIEW) -> QuerySet[StockLot]:
    return StockLot.objects.filter(scope_q(actor, right, via="store__place__")).select_related(
        "store", "item", "store__place"
    )


def movements_visible_to(actor, right: Right | str = Right.SUPPLIES_VIEW) -> QuerySet[Movement]:
    return Movement.objects.filter(scope_q(actor, right, via="store__place__")).select_related(
        "store", "item", "lot", "other_store", "actor"
    )


def requests_visible_to(actor, right: Right | str = Right.SUPPLIES_VIEW) -> QuerySet[SupplyRequest]:
    return SupplyRequest.objects.filter(scope_q(actor, right, via="place__")).select_related(
        "place", "place__community", "item", "requested_by"
    )


def rounds_visible_to(actor, right: Right | str = Right.SUPPLIES_VIEW) -> QuerySet[AllocationRound]:
    return AllocationRound.objects.filter(scope_q(actor, right, via="store__place__")).select_related(
        "store", "item", "created_by"
    )


# Reads the pages and the API make around one scoped object ---------------------------------------------------


def request_places_for(actor) -> QuerySet[Place]:
    """Communities and compounds the actor may ask supplies for (申领单位)."""
    return Place.objects.filter(
        scope_q(actor, Right.SUPPLIES_VIEW, target="place"), level__in=[Level.COMMUNITY, Level.COMPOUND]
    ).order_by("path")


def store_places_for(actor) -> QuerySet[Place]:
    """Streets and communities where the actor may open a store."""
    return Place.objects.filter(level__in=[Level.STREET, Level.COMMUNITY]).filter(
        scope_q(actor, Right.SUPPLIES_MANAGE)
    )


def catalogue_streets_for(actor) -> QuerySet[Place]:
    """Streets whose catalogue the actor keeps."""
    return Place.objects.filter(scope_q(actor, Right.SUPPLIES_ALLOCATE), level=Level.STREET)


def norms_of(items: QuerySet[Item]) -> QuerySet[ConsumptionNorm]:
    """The emergency plans' own norms for these items."""
    return ConsumptionNorm.objects.filter(item__in=items).select_related("item")


def stores_of_street(store: Store) -> QuerySet[Store]:
    """Every store of the store's street: transfers may go to any of them (a community worker sends to the
    street store too), so this is not scoped to the actor."""
    return Store.objects.filter(place__street_id=store.place.street_id)


def transfer_targets(store: Store) -> QuerySet[Store]:
    """Where a transfer out of `store` may go: the street's other active stores."""
    return stores_of_street(store).filter(is_active=True).exclude(pk=store.pk)


def lots_in_store(store: Store, *, item_ids: list[int]) -> QuerySet[StockLot]:
    """The store's lots holding stock of these items, by item and expiry (the lots table of the store page)."""
    return (
        StockLot.objects.filter(store=store, quantity__gt=0, item_id__in=item_ids)
        .select_related("item")
        .order_by("item__code", "expires_on")
    )


def recent_movements(store: Store, *, limit: int = 15) -> QuerySet[Movement]:
    return Movement.objects.filter(store=store).select_related("item", "actor")[:limit]


def movements_of_reference(reference: str) -> QuerySet[Movement]:
    """The movements of one slip (both halves of a transfer)."""
    return Movement.objects.filter(reference=reference)


def allocations_of_request(request: SupplyRequest) -> QuerySet[Allocation]:
    return request.allocations.select_related("round", "received_into", "received_by")


def allocations_to_receive(request: SupplyRequest) -> QuerySet[Allocation]:
    """Shares of a request issued from the store and not yet signed for."""
    return request.allocations.filter(
        round__status=AllocationRound.Status.CONFIRMED, received_at__isnull=True, quantity__gt=0
    )


def allocations_of_round(round_: AllocationRound) -> QuerySet[Allocation]:
    return round_.allocations.select_related("request", "request__place").order_by("-score")


# Stock on hand ------------------------------------------------------------------------------------------------------


def _unexpired(today: date) -> Q:
    return Q(expires_on__isnull=True) | Q(expires_on__gte=today)


def available_quantity(store: Store, item: Item, *, today: date | None = None) -> Decimal:
    """Stock that may be issued: lots not past their expiry."""
    today = today or timezone.localdate()
    total = (
        StockLot.objects.filter(store=store, item=item, quantity__gt=0)
        .filter(_unexpired(today))
        .aggregate(n=Sum("quantity"))["n"]
    )
    return total or Decimal(0)


def issuable_lots(store: Store, item: Item, *, today: date) -> QuerySet[StockLot]:
    """The lots an issue takes from, earliest expiry first (FEFO; lots without expiry last)."""
    return (
        StockLot.objects.filter(store=store, item=item, quantity__gt=0)
        .filter(_unexpired(today))
        .order_by(F("expires_on").asc(nulls_last=True), "id")
    )


# Population, norms, days of cover --------------------------------------------------------------------------------


def population_by_place(place_ids_by_level: dict[str, set[int]]) -> dict[int, int]:
    """People living (Person.home) under each given place, one GROUP BY per level."""
    result: dict[int, int] = {}
    for level, ids in place_ids_by_level.items():
        if not ids:
            continue
        rows = (
            Person.objects.filter(
                **{f"home__{level}_id__in": ids}, merged_into__isnull=True, is_deceased=False
            )
            .values_list(f"home__{level}_id")
            .annotate(n=Count("id"))
        )
        result.update(dict(rows))
    return result


def vulnerable_by_place(place_ids_by_level: dict[str, set[int]]) -> dict[int, int]:
    today = timezone.localdate()
    result: dict[int, int] = {}
    for level, ids in place_ids_by_level.items():
        if not ids:
            continue
        rows = (
            GroupTag.objects.filter(
                **{f"person__home__{level}_id__in": ids},
                kind__in=GroupTag.VULNERABLE_KINDS,
                person__is_deceased=False,
            )
            .filter(Q(until__isnull=True) | Q(until__gte=today))
            .values_list(f"person__home__{level}_id")
            .annotate(n=Count("person_id", distinct=True))
        )
        result.update(dict(rows))
    return result


def norms_for(items: list[Item] | list[ItemRef] | QuerySet[Item], plan: str = "") -> dict[int, Decimal]:
    """Consumption per person per day by item: the plan's own norm where it sets one, else the item default."""
    norms = {item.pk: item.daily_norm_per_person for item in items}
    if plan:
        for item_id, value in ConsumptionNorm.objects.filter(plan=plan, item_id__in=list(norms)).values_list(
            "item_id", "daily_norm_per_person"
        ):
            norms[item_id] = value
    return norms


def plans_in_use(actor) -> list[str]:
    streets = {g.street_id for g in grants_with(actor, Right.SUPPLIES_VIEW) if g.street_id}
    return sorted(set(ConsumptionNorm.objects.filter(street_id__in=streets).values_list("plan", flat=True)))


def days_of_cover(quantity: Decimal, population: int, norm: Decimal) -> float | None:
    """Days the stock lasts the population at the norm; None when nothing is consumed (no norm or nobody)."""
    daily = Decimal(population) * (norm or Decimal(0))
    if daily <= 0:
        return None
    return round(float(Decimal(quantity) / daily), 1)


def _store_population(stores: list[Store]) -> dict[int, int]:
    """People living under each store's place (cached until the people change)."""
    levels: dict[str, set[int]] = {Level.STREET: set(), Level.COMMUNITY: set()}
    for s in stores:
        levels[s.place.level].add(s.place_id)
    key = "supplies:store-population:" + ",".join(f"{lv}:{sorted(ids)}" for lv, ids in sorted(levels.items()))
    pop = cached_population(key, lambda: population_by_place(levels))
    return {s.pk: pop.get(s.place_id, 0) for s in stores}


def stock_for_store(
    *, store: Store, plan: str = "", category: str = "", query: str = "", today: date | None = None
) -> StoreStock:
    """One row per catalogue item held (or with a reorder level) in a store, in catalogue order: quantity,
    issuable quantity, days of cover for the population the store serves, reorder and expiry flags.

    A sequence that computes its rows a page at a time (the page and the API show 50 of a store's 1,000
    items): one query for the item order, then three small ones per page — no cache needed, so never stale."""
    today = today or timezone.localdate()
    return StoreStock(
        store=store,
        plan=plan,
        category=category,
        query=query.strip(),
        today=today,
        population=_store_population([store])[store.pk],
    )


class StoreStock(Sequence):
    def __init__(self, *, store: Store, plan: str, category: str, query: str, today: date, population: int):
        self.store, self.plan, self.today, self.population = store, plan, today, population
        items = Item.objects.filter(
            Q(pk__in=StockLot.objects.filter(store=store).values("item_id"))
            | Q(pk__in=ReorderLevel.objects.filter(store=store).values("item_id"))
        )
        if category:
            items = items.filter(category=category)
        if query:
            items = items.filter(Q(name__icontains=query) | Q(code__icontains=query))
        self._ids = list(items.order_by("category", "code").values_list("pk", flat=True))

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._rows(self._ids[index])
        return self._rows([self._ids[index]])[0]

    def __iter__(self):
        return iter(self._rows(self._ids))

    def _rows(self, ids: list[int]) -> list[dict]:
        if not ids:
            return []
        today = self.today
        soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
        sums = {
            row["item_id"]: row
            for row in StockLot.objects.filter(store=self.store, item_id__in=ids)
            .order_by()
            .values("item_id")
            .annotate(
                total=Sum("quantity"),
                expired=Sum("quantity", filter=Q(expires_on__lt=today)),
                expiring=Sum("quantity", filter=Q(expires_on__gte=today, expires_on__lte=soon)),
            )
        }
        levels = dict(
            ReorderLevel.objects.filter(store=self.store, item_id__in=ids).values_list("item_id", "level")
        )
        items = item_refs(Item.objects.filter(pk__in=ids))
        norms = norms_for(items, self.plan)
        rows = []
        for item in items:
            s = sums.get(item.pk, {})
            total = s.get("total") or Decimal(0)
            expired = s.get("expired") or Decimal(0)
            usable = total - expired
            level = levels.get(item.pk)
            rows.append(
                {
                    "item": item,
                    "quantity": total,
                    "usable": usable,
                    "expired": expired,
                    "expiring": s.get("expiring") or Decimal(0),
                    "reorder_level": level,
                    "below_reorder": level is not None and usable <= level,
                    "norm": norms.get(item.pk),
                    "days_of_cover": days_of_cover(usable, self.population, norms.get(item.pk)),
                }
            )
        return rows


STOCK_VERSION_KEY = "supplies:stock-version"
SUMMARY_TTL = 600
POPULATION_TTL = 300
# Writes of these apps can change who lives where (moves, births, deaths, merges, imports, re-parented dwellings).
POPULATION_SOURCES = ("ledger.", "linkage.", "imports.", "places.")


def stock_version() -> str:
    """What stock summaries depend on, read from the database so that every process agrees (a per-process
    cache never sees another worker's bump): the newest movement, the newest change to an item, a norm or a
    store or a reorder level; plus the cache counter that services bump on commit. One query of small lookups."""
    tables = {
        "m": Movement._meta.db_table,
        "i": Item._meta.db_table,
        "n": ConsumptionNorm._meta.db_table,
        "s": Store._meta.db_table,
        "r": ReorderLevel._meta.db_table,
    }
    with connection.cursor() as cursor:
        # Table names from the models' own meta, no input: one round trip instead of four.
        sql = (  # noqa: S608
            "SELECT (SELECT MAX(id) FROM {m}), (SELECT MAX(updated_at) FROM {i}), "
            "(SELECT MAX(updated_at) FROM {n}), (SELECT COUNT(*) FROM {n}), "
            "(SELECT MAX(updated_at) FROM {s}), (SELECT COUNT(*) FROM {s}), "
            "(SELECT MAX(updated_at) FROM {r}), (SELECT COUNT(*) FROM {r})"
        ).format(**tables)
        cursor.execute(sql)
        row = cursor.fetchone()
    counter = cache.get_or_set(STOCK_VERSION_KEY, 1, None)
    return "|".join(str(v).replace(" ", "_") for v in (counter, *row))


def bump_stock_version() -> None:
    """Called (now and on commit) after every stock movement and norm change."""
    try:
        cache.incr(STOCK_VERSION_KEY)
    except ValueError:
        cache.set(STOCK_VERSION_KEY, 2, None)


def _population_changes_q() -> Q:
    q = Q(pk__in=[])
    for prefix in POPULATION_SOURCES:
        q |= Q(object_type__startswith=prefix)
    return q


def cached_population(key: str, compute):
    """A population figure cached until the people change: every write to people, households, residencies or
    places goes through a service that writes an audit event, so the figure is kept with the newest audit id seen
    when it was computed and recomputed as soon as a later event of those apps exists (a walk of the audit
    primary key from that id: the events of the last few minutes at most). POPULATION_TTL bounds what a
    transaction still open during the computation could hide."""
    now = timezone.now().timestamp()
    hit = cache.get(key)
    if hit is not None:
        value, mark, computed_at = hit
        # Fresh when the event seen last still exists (a restored or rolled-back database fails this) and no
        # later event of the population apps does.
        seen = list(
            # pk >= mark first, so the walk is an index range from the mark, never the whole audit table
            AuditEvent.objects.filter(pk__gte=mark)
            .filter(Q(pk=mark) | _population_changes_q())
            .order_by("pk")
            .values_list("pk", flat=True)[:2]
        )
        if now - computed_at < POPULATION_TTL and seen == [mark]:
            return value
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    value = compute()
    cache.set(key, (value, mark, now), POPULATION_TTL)
    return value


def _grant_signature(actor, right) -> str:
    return ",".join(sorted(f"{g.level}:{g.target_id}" for g in grants_with(actor, right)))


def stock_summary(*, actor, plan: str = "", today: date | None = None) -> dict:
    """Across every visible store, per item: stock and days of cover for the population in scope (the chart),
    plus counts of warnings. The result is cached per jurisdiction and plan, keyed by the stock version (every
    movement, norm or store change) and by the population in scope (itself cached until the people change): it
    is never stale.

    After a stock movement the summary is not recomputed over every lot (100,000 at a street): the previous one
    is brought up to date for the items the new movements touched (their lots only). Any other change — a
    norm, an item, a store, the population, the day — and a base older than SUMMARY_TTL mean a full pass."""
    today = today or timezone.localdate()
    population = scope_population(actor)
    version = stock_version()
    scope = f"{today}:{plan}:{get_language()}:{population}:{_grant_signature(actor, Right.SUPPLIES_VIEW)}"
    key = f"supplies:summary:{version}:{scope}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    latest_key = f"supplies:summary-latest:{scope}"
    latest_at = cache.get(latest_key)  # the key of the newest summary of this scope (stored once, not twice)
    latest = cache.get(latest_at) if latest_at else None
    now = timezone.now().timestamp()
    result = None
    if latest is not None and now - latest["computed_at"] < SUMMARY_TTL:
        result = _summary_catch_up(latest, version=version, today=today, plan=plan, population=population)
    if result is None:
        result = _stock_summary(actor=actor, plan=plan, today=today, population=population)
        result["computed_at"] = now
    result["version"] = version
    cache.set_many({key: result, latest_key: key}, SUMMARY_TTL)
    return result


def _summary_sums(lots: QuerySet[StockLot], today: date) -> dict[int, dict]:
    soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    return {
        r["item_id"]: r
        for r in lots.order_by()
        .values("item_id")
        .annotate(
            usable=Sum("quantity", filter=Q(expires_on__isnull=True) | Q(expires_on__gte=today)),
            expiring=Sum("quantity", filter=Q(expires_on__gte=today, expires_on__lte=soon)),
            expiring_lots=Count("id", filter=Q(quantity__gt=0, expires_on__gte=today, expires_on__lte=soon)),
            expired_lots=Count("id", filter=Q(quantity__gt=0, expires_on__lt=today)),
        )
    }


def _summary_row(item: ItemRef, sums: dict, population: int, norm) -> dict:
    usable = sums["usable"] or Decimal(0)
    return {
        "item": item,
        "usable": usable,
        "expiring": sums["expiring"] or Decimal(0),
        "days_of_cover": days_of_cover(usable, population, norm),
        "expiring_lots": sums["expiring_lots"],
        "expired_lots": sums["expired_lots"],
    }


def _stock_summary(*, actor, plan: str, today: date, population: int) -> dict:
    stores = [StoreRef(*row) for row in stores_visible_to(actor).values_list("pk", "name", "place__name")]
    per_item = _summary_sums(StockLot.objects.filter(store__in=[s.pk for s in stores]), today)
    items = item_refs(Item.objects.filter(pk__in=list(per_item)))
    norms = norms_for(items, plan)
    rows = [_summary_row(item, per_item[item.pk], population, norms.get(item.pk)) for item in items]
    return _summary_finish(rows=rows, stores=stores, population=population)


def _summary_catch_up(
    previous: dict, *, version: str, today: date, plan: str, population: int
) -> dict | None:
    """`previous` brought up to `version` when only movements happened since: the touched items' rows are
    recomputed from their lots; None when a full pass is needed."""
    old, new = previous["version"].split("|"), version.split("|")
    if old[2:] != new[2:] or old[1] == "None" or new[1] == "None":
        return None  # an item, norm or store changed (or no movement at all yet)
    stores = previous["stores"]
    store_ids = [s.pk for s in stores]
    touched = set(
        Movement.objects.filter(pk__gt=int(old[1]), pk__lte=int(new[1]))
        .filter(Q(store_id__in=store_ids) | Q(other_store_id__in=store_ids))
        .values_list("item_id", flat=True)
    )
    if len(touched) > 50:
        return None
    rows = [r for r in previous["rows"] if r["item"].pk not in touched]
    if touched:
        per_item = _summary_sums(StockLot.objects.filter(store__in=store_ids, item_id__in=touched), today)
        items = item_refs(Item.objects.filter(pk__in=list(per_item)))
        norms = norms_for(items, plan)
        rows += [_summary_row(item, per_item[item.pk], population, norms.get(item.pk)) for item in items]
        rows.sort(key=lambda r: (r["item"].category, r["item"].code))
    result = _summary_finish(rows=rows, stores=stores, population=population)
    result["computed_at"] = previous["computed_at"]  # the age of the last full pass bounds any drift
    return result


def _summary_finish(*, rows: list[dict], stores: list[StoreRef], population: int) -> dict:
    with_cover = sorted((r for r in rows if r["days_of_cover"] is not None), key=lambda r: r["days_of_cover"])
    chart_rows = with_cover[:20]
    chart = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 110, "right": 20, "top": 20, "bottom": 30},
        "xAxis": {"type": "value", "name": gettext("天")},
        "yAxis": {"type": "category", "data": [str(r["item"]) for r in chart_rows], "inverse": True},
        "series": [
            {
                "type": "bar",
                "name": gettext("可保障天数"),
                "data": [
                    {
                        "value": r["days_of_cover"],
                        "itemStyle": {"color": "#c0392b" if r["days_of_cover"] < 7 else "#2e86c1"},
                    }
                    for r in chart_rows
                ],
                "markLine": {"data": [{"xAxis": 7, "name": gettext("7天")}], "symbol": "none"},
            }
        ],
    }
    return {
        "rows": rows,
        "population": population,
        "stores": stores,
        "chart": chart,
        "short_items": sum(1 for r in with_cover if r["days_of_cover"] < 7),
        "expiring_lots": sum(r["expiring_lots"] for r in rows),
        "expired_lots": sum(r["expired_lots"] for r in rows),
    }


def rows_by_cover(rows: list[dict]) -> list[dict]:
    """Shortest cover first, items without a norm (or nobody to cover) last: the order of the page and the API."""
    return sorted(rows, key=lambda r: (r["days_of_cover"] is None, r["days_of_cover"] or 0))


def scope_population(actor) -> int:
    """People living in the places the actor covers for supplies (cached until the people change)."""
    key = f"supplies:population:{_grant_signature(actor, Right.SUPPLIES_VIEW)}"
    return cached_population(key, lambda: _scope_population(actor))


def _scope_population(actor) -> int:
    q = Q(pk__in=[])
    for g in grants_with(actor, Right.SUPPLIES_VIEW):
        if g.level in (*LEVELS, "grid"):
            q |= Q(**{f"home__{g.level}_id": g.target_id})
    return Person.objects.filter(q, merged_into__isnull=True, is_deceased=False).count()


def expiry_warnings(*, actor, within_days: int = EXPIRY_WARNING_DAYS, today: date | None = None):
    today = today or timezone.localdate()
    return (
        lots_visible_to(actor)
        .filter(quantity__gt=0, expires_on__isnull=False, expires_on__lte=today + timedelta(days=within_days))
        .order_by("expires_on")
    )


def reorder_alerts(*, actor) -> list[dict]:
    """Store/item pairs whose issuable (unexpired) stock is at or below the store's reorder level: two queries,
    however many levels are set."""
    today = timezone.localdate()
    levels = list(
        ReorderLevel.objects.filter(scope_q(actor, Right.SUPPLIES_VIEW, via="store__place__")).select_related(
            "store", "item"
        )
    )
    if not levels:
        return []
    usable = {
        (store_id, item_id): n
        for store_id, item_id, n in StockLot.objects.filter(
            store_id__in={lv.store_id for lv in levels}, item_id__in={lv.item_id for lv in levels}
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .order_by()
        .values_list("store_id", "item_id")
        .annotate(n=Sum("quantity"))
    }
    alerts = []
    for level in levels:
        have = usable.get((level.store_id, level.item_id)) or Decimal(0)
        if have <= level.level:
            alerts.append({"store": level.store, "item": level.item, "usable": have, "level": level.level})
    return alerts


# Requests and need -----------------------------------------------------------------------------------------------


ZONE_RANK = {"sealed": 3, "controlled": 2, "precaution": 1, "": 0}


def zone_statuses(*, actor, places: list[Place], when=None) -> dict[int, str]:
    """封控区/管控区/防范区 of each requesting place, from the epidemic app's control zones the actor may see
    (`epidemic.selectors.zones_visible_to`), active at `when`: for a compound the strictest zone on it or on one
    of its buildings, for a community the strictest anywhere in it. sealed / controlled / precaution / ''."""
    when = when or timezone.now()
    compounds = {p.pk for p in places if p.level == Level.COMPOUND}
    communities = {p.pk for p in places if p.level == Level.COMMUNITY}
    result = {p.pk: "" for p in places}
    if not compounds and not communities:
        return result
    zones = (
        epidemic.zones_visible_to(actor)
        .filter(starts_at__lte=when)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=when))
        .filter(
            Q(place_id__in=compounds) | Q(place__compound_id__in=compounds) | Q(community_id__in=communities)
        )
        .values_list("zone_type", "place_id", "place__compound_id", "community_id")
    )

    def stricter(key: int, zone: str) -> None:
        if key in result and ZONE_RANK[zone] > ZONE_RANK[result[key]]:
            result[key] = zone

    for zone_type, place_id, compound_id, community_id in zones:
        zone = normalize_zone(zone_type)
        if place_id in compounds:
            stricter(place_id, zone)
        if compound_id in compounds:
            stricter(compound_id, zone)
        if community_id in communities:
            stricter(community_id, zone)
    return result


def normalize_zone(value) -> str:
    text = str(getattr(value, "value", value) or "").lower()
    if not text:
        return ""
    if "封控" in text or "seal" in text or "lock" in text:
        return "sealed"
    if "管控" in text or "control" in text:
        return "controlled"
    if "防范" in text or "precaution" in text or "prevent" in text:
        return "precaution"
    return ""


def request_needs(*, actor, store: Store, item: Item) -> list[tuple[SupplyRequest, alloc.Need]]:
    """Open requests for `item` under the store's place, each with what allocation weighs: population and
    vulnerable people of the requesting place, its zone status, the stock of the item it already holds, and
    the part of the request not yet allocated."""
    under = {f"place__{store.place.level}_id": store.place_id}
    requests = list(
        SupplyRequest.objects.filter(
            item=item, status__in=[SupplyRequest.Status.SUBMITTED, SupplyRequest.Status.PARTIAL], **under
        )
        .exclude(place_id=store.place_id)
        .select_related("place")
        .order_by("created_at", "id")
    )
    if not requests:
        return []
    given = dict(
        Allocation.objects.filter(request__in=requests, round__status=AllocationRound.Status.CONFIRMED)
        .values_list("request_id")
        .annotate(n=Sum("quantity"))
    )
    levels: dict[str, set[int]] = {Level.COMMUNITY: set(), Level.COMPOUND: set()}
    for r in requests:
        levels[r.place.level].add(r.place_id)
    population = population_by_place(levels)
    vulnerable = vulnerable_by_place(levels)
    today = timezone.localdate()
    held = dict(
        StockLot.objects.filter(item=item, store__place_id__in=[r.place_id for r in requests])
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .values_list("store__place_id")
        .annotate(n=Sum("quantity"))
    )
    zones = zone_statuses(actor=actor, places=list({r.place_id: r.place for r in requests}.values()))
    result = []
    for r in requests:
        remaining = r.quantity - (given.get(r.pk) or Decimal(0))
        if remaining <= 0:
            continue
        result.append(
            (
                r,
                alloc.Need(
                    key=r.pk,
                    asked=remaining,
                    population=population.get(r.place_id, 0),
                    vulnerable=vulnerable.get(r.place_id, 0),
                    zone=zones[r.place_id],
                    held=held.get(r.place_id) or Decimal(0),
                ),
            )
        )
    return result


def ledger_totals(*, store: Store, item: Item) -> dict:
    """For reconciliation: the lots' quantity and the movements' sum must agree."""
    return {
        "stock": StockLot.objects.filter(store=store, item=item).aggregate(n=Sum("quantity"))["n"]
        or Decimal(0),
        "ledger": Movement.objects.filter(store=store, item=item).aggregate(n=Sum("quantity"))["n"]
        or Decimal(0),
    }
