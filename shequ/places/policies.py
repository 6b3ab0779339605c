"""Who may do what with places: pure functions over the actor's grants."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from shequ.core.jurisdiction import Actor, covers, has_right, require
from shequ.core.rights import Right


def can_view_places(actor: Actor) -> bool:
    """Holds the ledger view right somewhere: the place pages exist for this user."""
    return has_right(actor, Right.LEDGER_VIEW)


def can_view_place(actor: Actor, place) -> bool:
    return covers(actor, Right.LEDGER_VIEW, place)


def can_edit_ledger_at(actor: Actor, place_like) -> bool:
    """May register people, residencies and duties at this place or dwelling (SYSTEM may; a missing actor is a
    TypeError, as in core.jurisdiction.require)."""
    try:
        require(actor, Right.LEDGER_EDIT, place_like)
    except PermissionDenied:
        return False
    return True
