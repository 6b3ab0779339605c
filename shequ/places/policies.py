"""Who may do what with places: pure functions over the actor's grants."""

from __future__ import annotations

from shequ.core.jurisdiction import covers
from shequ.core.rights import Right


def can_view_place(actor, place) -> bool:
    return covers(actor, Right.LEDGER_VIEW, place)


def can_edit_ledger_at(actor, place_like) -> bool:
    """May register people, residencies and duties at this place or dwelling."""
    return covers(actor, Right.LEDGER_EDIT, place_like)
