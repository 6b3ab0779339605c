"""Who may do what with emergency supplies: the rules over the actor's grants and an object's place, each once.
`can_*` answers a page's question (show the forms?); `require_*` is the services' check (PermissionDenied, or
nothing for the system actor)."""

from __future__ import annotations

from django.utils.translation import gettext

from shequ.core.jurisdiction import Actor, covers, has_right, require
from shequ.core.rights import Right
from shequ.places.models import Place
from shequ.supplies.models import Store


def can_view_supplies(actor: Actor) -> bool:
    """Holds the supplies right somewhere: the pages and the overview API answer."""
    return has_right(actor, Right.SUPPLIES_VIEW)


def can_allocate(actor: Actor) -> bool:
    """A street role: allocates stock and keeps the catalogue and its norms (the allocation form is shown)."""
    return has_right(actor, Right.SUPPLIES_ALLOCATE)


def can_manage_store(actor: Actor, store: Store) -> bool:
    """Receive, issue, transfer, count, set reorder levels and write off in this store."""
    return covers(actor, Right.SUPPLIES_MANAGE, store.place)


def require_manage_store(actor: Actor, store: Store) -> None:
    require(actor, Right.SUPPLIES_MANAGE, store.place)


def require_manage_stores_at(actor: Actor, place: Place) -> None:
    """Open a store at a street or community."""
    require(actor, Right.SUPPLIES_MANAGE, place)


def require_edit_catalogue(actor: Actor, street: Place, *, message: str) -> None:
    """The catalogue and the consumption norms belong to the street."""
    require(actor, Right.SUPPLIES_ALLOCATE, street, message=message)


def require_allocate_from(actor: Actor, store: Store) -> None:
    require(actor, Right.SUPPLIES_ALLOCATE, store.place, message=gettext("您没有分配物资的权限"))


def require_request_for(actor: Actor, place: Place) -> None:
    """Ask for supplies for a community or compound (and withdraw the request, sign for what arrived)."""
    require(actor, Right.SUPPLIES_VIEW, place)
