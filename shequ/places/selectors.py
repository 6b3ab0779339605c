"""Reads of the place tree, scoped to the actor."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from shequ.core import registry
from shequ.core.jurisdiction import grants_with, scope_q
from shequ.core.numerals import chinese_number
from shequ.core.rights import Right
from shequ.places.models import Dwelling, Grid, Level, Place


def places_visible_to(
    actor, right: Right | str = Right.LEDGER_VIEW, *, levels: list[str] | None = None
) -> QuerySet[Place]:
    """Places under the actor's grants, plus the ancestors of those places (so breadcrumbs resolve); only those of
    `levels` ("community", "compound", …) when given."""
    places = Place.objects.filter(scope_q(actor, right, target="place"))
    return places.filter(level__in=levels) if levels is not None else places


def communities_visible_to(actor, right: Right | str = Right.LEDGER_VIEW) -> QuerySet[Place]:
    return places_visible_to(actor, right, levels=[Level.COMMUNITY])


def duty_places_visible_to(actor, right: Right | str = Right.LEDGER_EDIT) -> QuerySet[Place]:
    """Places a duty may be held at: anything below the street."""
    return places_visible_to(actor, right).exclude(level=Level.STREET)


def dwellings_visible_to(actor, right: Right | str = Right.LEDGER_VIEW) -> QuerySet[Dwelling]:
    return Dwelling.objects.filter(scope_q(actor, right, target="dwelling")).select_related(
        "unit", "building", "compound", "community"
    )


def grids_visible_to(actor, right: Right | str = Right.LEDGER_VIEW) -> QuerySet[Grid]:
    q = Q(pk__in=[])
    for g in grants_with(actor, right):
        if g.level == "street":
            q |= Q(street_id=g.target_id)
        elif g.level == "community":
            q |= Q(community_id=g.target_id)
        elif g.level == "grid":
            q |= Q(pk=g.target_id)
    return Grid.objects.filter(q).select_related("community")


def root_places_for(actor, right: Right | str = Right.LEDGER_VIEW) -> list[Place]:
    """The top places an actor's browsing starts from (their street, community, or their grid's buildings)."""
    roots: list[int] = []
    grid_ids = []
    for g in grants_with(actor, right):
        if g.level in ("street", "community", "compound", "building", "unit"):
            roots.append(g.target_id)
        elif g.level == "grid":
            grid_ids.append(g.target_id)
    places = list(Place.objects.filter(pk__in=roots).order_by("path"))
    if grid_ids:
        places += list(Place.objects.filter(level=Level.BUILDING, grid_id__in=grid_ids).order_by("path"))
    return places


def place_ancestors(place: Place) -> list[Place]:
    ids = [int(x) for x in place.path.strip("/").split("/") if x][:-1]
    by_id = Place.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def place_children_with_counts(*, actor, place: Place, right: Right | str = Right.LEDGER_VIEW) -> list[Place]:
    """Children of a place with the number of dwellings and current residents under each (one GROUP BY each)."""
    children = list(
        Place.objects.filter(parent=place)
        .filter(scope_q(actor, right, target="place"))
        .order_by("sort_key", "name")
    )
    if not children:
        return children
    child_level = children[0].level
    dwelling_counts = dict(
        Dwelling.objects.filter(**{f"{place.level}_id": place.pk})
        .order_by()
        .values_list(f"{child_level}_id")
        .annotate(n=Count("id"))
        .values_list(f"{child_level}_id", "n")
    )
    resident_counts = resident_counts_by_place(level=place.level, ids=[place.pk], by=child_level)
    for child in children:
        child.dwelling_count = dwelling_counts.get(child.pk, 0)
        child.resident_count = resident_counts.get(child.pk, 0)
    return children


def _cn_number(text: str) -> str:
    """十二 → 12, 二十三 → 23, 三 → 3 (buildings and units are numbered so)."""
    return str(chinese_number(text))


def normalize_address(text: str) -> str:
    """Bring a typed address to the stored form 阳光花园3栋2单元501 (for search by address prefix)."""
    import re

    value = re.sub(r"\s+", "", text or "").translate(
        str.maketrans("０１２３４５６７８９－＃", "0123456789-#")
    )
    value = re.sub(
        r"[零〇一二两三四五六七八九十]+(?=(号楼|栋|幢|单元|#))", lambda m: _cn_number(m.group(0)), value
    )
    value = re.sub(r"(\d+)(号楼|幢|#楼|#|号)(?=\d|$|单元)", r"\1栋", value)
    value = re.sub(r"(\d+)-(\d+)-(\d+)", r"\1栋\2单元\3", value)
    value = re.sub(r"(\d+)栋(\d+)门", r"\1栋\2单元", value)
    return value.removesuffix("室")


def places_with_counts(places: list[Place]) -> list[Place]:
    """Dwelling and current-resident counts for a short list of places (the roots a user starts browsing from):
    one grouped query per level present."""
    by_level: dict[str, list[Place]] = {}
    for p in places:
        by_level.setdefault(p.level, []).append(p)
    for level, group in by_level.items():
        ids = [p.pk for p in group]
        dwellings = dict(
            Dwelling.objects.filter(**{f"{level}_id__in": ids})
            .order_by()
            .values_list(f"{level}_id")
            .annotate(n=Count("id"))
            .values_list(f"{level}_id", "n")
        )
        residents = resident_counts_by_place(level=level, ids=ids)
        for p in group:
            p.dwelling_count = dwellings.get(p.pk, 0)
            p.resident_count = residents.get(p.pk, 0)
    return places


def three_without_compounds(actor, right: Right | str = Right.LEDGER_VIEW) -> QuerySet[Place]:
    """三无小区 in scope: no property management, no security, not enclosed (risk points)."""
    return places_visible_to(actor, right).filter(
        level=Level.COMPOUND, has_property_management=False, has_security=False, is_enclosed=False
    )


def grids_of_community(*, actor, community: Place, right: Right | str = Right.LEDGER_VIEW) -> list[Grid]:
    """The grids of one community with their building and dwelling counts (two grouped queries)."""
    grids = list(grids_visible_to(actor, right).filter(community=community).order_by("name"))
    if not grids:
        return grids
    ids = [g.pk for g in grids]
    buildings = dict(
        Place.objects.filter(level=Level.BUILDING, grid_id__in=ids)
        .order_by()
        .values_list("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )
    dwellings = dict(
        Dwelling.objects.filter(grid_id__in=ids)
        .order_by()
        .values_list("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )
    for g in grids:
        g.building_count = buildings.get(g.pk, 0)
        g.dwelling_count = dwellings.get(g.pk, 0)
    return grids


def resident_counts_by_place(*, level: str, ids: list[int], by: str | None = None) -> dict[int, int]:
    """Current residents under the places `ids` (of one `level`) per place of level `by`. People live in the ledger,
    a layer above places: the ledger provides the count (LedgerConfig.resident_counters); without it, none."""
    counters = registry.functions("resident_counters")
    return counters[0](level=level, ids=ids, by=by) if counters else {}


def dwelling_panels(actor, dwelling: Dwelling) -> dict:
    """What the apps above places show on a dwelling's page (AppConfig.dwelling_panels), as one context."""
    context: dict = {}
    for panel in registry.functions("dwelling_panels"):
        context.update(panel(actor, dwelling))
    return context


def place_counts(place: Place) -> tuple[int, int]:
    """The number of a place's children and of the dwellings under it (for one place's detail)."""
    children = Place.objects.filter(parent=place).count()
    dwellings = Dwelling.objects.filter(**{f"{place.level}_id": place.pk}).count()
    return children, dwellings
