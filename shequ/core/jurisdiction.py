"""Jurisdiction: which places an actor's roles cover, as a Q filter on any model that carries the place
columns (street, community, compound, building, unit, grid), directly or through a lookup path.

Place and Dwelling carry one column per level (a place's own level column points at itself), so
"everything under this place" is one indexed equality, and a roll-up to any level is one GROUP BY.
See docs/adr/0002-place-tree.md."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from shequ.core.rights import ROLE_RIGHTS, Right

LEVELS = ("street", "community", "compound", "building", "unit")
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Grant:
    """One role assignment reduced to what scoping needs."""

    role: str
    level: str  # street/community/compound/building/unit, "grid", or "dwelling" (a resident's home)
    target_id: int
    community_id: int | None
    street_id: int | None


def grants(actor) -> list[Grant]:
    """The actor's active grants, cached on the user object for the request."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return []
    cached = getattr(actor, "_shequ_grants", None)
    if cached is not None:
        return cached
    from shequ.accounts.selectors import grants_for_user  # local: core does not import domain apps at load

    result = grants_for_user(actor)
    actor._shequ_grants = result
    return result


def clear_cache(actor) -> None:
    if hasattr(actor, "_shequ_grants"):
        del actor._shequ_grants


def grants_with(actor, right: Right | str) -> list[Grant]:
    return [g for g in grants(actor) if right in ROLE_RIGHTS.get(g.role, ())]


def has_right(actor, right: Right | str) -> bool:
    """Holds the right somewhere (for showing a menu entry); object checks use covers()."""
    return bool(grants_with(actor, right))


def scope_q(actor, right: Right | str, *, via: str = "", target: str = "place") -> Q:
    """A filter for rows the actor may act on with `right`.

    via    -- lookup prefix from the queried model to a Place or Dwelling, e.g. "dwelling__" or "place__".
    target -- "dwelling" when `via` leads to a Dwelling (then a resident's own home is included),
              "place" when it leads to a Place.
    """
    q = NOTHING
    for grant in grants_with(actor, right):
        if grant.level in LEVELS or grant.level == "grid":
            q |= Q(**{f"{via}{grant.level}_id": grant.target_id})
        elif grant.level == "dwelling" and target == "dwelling":
            q |= Q(**{f"{via}id" if via else "id": grant.target_id})
    return q


def community_ids(actor, right: Right | str) -> set[int]:
    """Communities the actor fully covers with `right` (street and community grants)."""
    return {g.community_id for g in grants_with(actor, right) if g.level == "community" and g.community_id}


def street_ids(actor, right: Right | str) -> set[int]:
    return {g.target_id for g in grants_with(actor, right) if g.level == "street"}


def covers(actor, right: Right | str, place_like) -> bool:
    """Object-level check: does any grant with `right` cover this Place or Dwelling instance?"""
    if place_like is None:
        return False
    for grant in grants_with(actor, right):
        if grant.level == "dwelling":
            if place_like.__class__.__name__ == "Dwelling" and place_like.pk == grant.target_id:
                return True
            continue
        if getattr(place_like, f"{grant.level}_id", None) == grant.target_id:
            return True
    return False


def covers_any(actor, right: Right | str, places: Iterable) -> bool:
    return any(covers(actor, right, p) for p in places)
