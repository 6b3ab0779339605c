"""Jurisdiction: which places an actor's roles cover, as a Q filter on any model that carries the place
columns (street, community, compound, building, unit, grid), directly or through a lookup path.

Place and Dwelling carry one column per level (a place's own level column points at itself), so
"everything under this place" is one indexed equality, and a roll-up to any level is one GROUP BY.
See docs/adr/0002-place-tree.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext

from shequ.core.rights import ROLE_RIGHTS, Right, Role

if TYPE_CHECKING:
    from shequ.accounts.models import User

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


class SystemActor:
    """The system itself acting: seeding, migrations of data, background jobs on behalf of an audited record.

    Services take `actor: Actor`; passing `SYSTEM` is an explicit decision that no person's jurisdiction
    applies. `None` is never an actor: `require(None, ...)` raises TypeError, so a forgotten `actor=` fails
    loudly instead of turning every check off."""

    is_authenticated: Final = False
    is_system: Final = True
    pk = None
    id = None
    display_label = "系统"

    _instance: SystemActor | None = None

    def __new__(cls) -> SystemActor:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SYSTEM"

    def __str__(self) -> str:
        return "系统"

    def __bool__(self) -> bool:
        return True

    def __reduce__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = SystemActor()

# Who acts in a service: a signed-in user, or the system itself.
Actor: TypeAlias = "User | SystemActor"


def is_system(actor: object) -> bool:
    return actor is SYSTEM


# The grant source is a port: core declares it, accounts registers its implementation in AppConfig.ready()
# (core imports no domain app). A callable from a user to that user's active grants.
GrantSource: TypeAlias = Callable[[Any], "list[Grant]"]
_grant_source: GrantSource | None = None


def register_grant_source(source: GrantSource) -> None:
    global _grant_source
    _grant_source = source


def grants(actor) -> list[Grant]:
    """The actor's active grants, cached on the user object for the request."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return []
    cached = getattr(actor, "_shequ_grants", None)
    if cached is not None:
        return cached
    if _grant_source is None:  # pragma: no cover - accounts registers it in ready()
        raise RuntimeError("no grant source registered (accounts app not installed?)")
    result = _grant_source(actor)
    actor._shequ_grants = result
    return result


def clear_cache(actor) -> None:
    if hasattr(actor, "_shequ_grants"):
        del actor._shequ_grants


def grants_with(actor, right: Right | str) -> list[Grant]:
    return [g for g in grants(actor) if right in ROLE_RIGHTS.get(Role(g.role), ())]


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


def require(actor: Actor, right: Right | str, place_like, *, message: str | None = None) -> None:
    """The one permission check every service makes: the actor holds `right` over `place_like` (a Place or a
    Dwelling, or anything carrying the level columns), or is the explicit SYSTEM actor.

    Raises PermissionDenied (a 403 page, a 403 API answer) when not; TypeError when no actor was passed at
    all, so a forgotten `actor=` can never be read as "allowed"."""
    if actor is SYSTEM:
        return
    if actor is None:
        raise TypeError("require(): actor is None; pass the acting user or core.jurisdiction.SYSTEM")
    if not covers(actor, right, place_like):
        raise PermissionDenied(message or gettext("不在您的管辖范围内"))


def require_right(actor: Actor, right: Right | str, *, message: str | None = None) -> None:
    """The actor holds `right` somewhere (for actions not tied to one place, e.g. a street-wide catalogue)."""
    if actor is SYSTEM:
        return
    if actor is None:
        raise TypeError("require_right(): actor is None; pass the acting user or core.jurisdiction.SYSTEM")
    if not has_right(actor, right):
        raise PermissionDenied(message or gettext("您没有此项权限"))
