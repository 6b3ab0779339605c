"""Reads of the place tree, scoped to the actor."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from shequ.core.jurisdiction import grants_with, scope_q
from shequ.core.rights import Right
from shequ.places.models import Dwelling, Grid, Level, Place


def places_visible_to(actor, right: Right | str = Right.LEDGER_VIEW) -> QuerySet[Place]:
    """Places under the actor's grants, plus the ancestors of those places (so breadcrumbs resolve)."""
    return Place.objects.filter(scope_q(actor, right, target="place"))


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
    roots: list[Place] = []
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
    from shequ.ledger.models import Residency

    children = list(
        Place.objects.filter(parent=place).filter(scope_q(actor, right, target="place")).order_by("sort_key", "name")
    )
    if not children:
        return children
    child_level = children[0].level
    dwelling_counts = dict(
        Dwelling.objects.filter(**{f"{place.level}_id": place.pk})
        .values_list(f"{child_level}_id").annotate(n=Count("id")).values_list(f"{child_level}_id", "n")
    )
    resident_counts = dict(
        Residency.objects.filter(**{f"dwelling__{place.level}_id": place.pk}, until__isnull=True, lives_here=True)
        .values_list(f"dwelling__{child_level}_id").annotate(n=Count("person_id", distinct=True))
        .values_list(f"dwelling__{child_level}_id", "n")
    )
    for child in children:
        child.dwelling_count = dwelling_counts.get(child.pk, 0)
        child.resident_count = resident_counts.get(child.pk, 0)
    return children
