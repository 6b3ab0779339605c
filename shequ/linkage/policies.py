"""Who may do what in record linkage: the predicates views and the API show or hide actions by, and the
requirements the services enforce with them (one rule, one place)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from shequ.core.jurisdiction import covers, has_right, is_system, require
from shequ.core.rights import Right

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor


def can_review(actor) -> bool:
    return has_right(actor, Right.LINKAGE_REVIEW)


def can_undo_merge(actor, merge) -> bool:
    return (
        not merge.is_undone
        and merge.drop_id is not None
        and covers(actor, Right.LINKAGE_REVIEW, merge.community)
    )


def can_change_person(actor, person) -> bool:
    """May merge, split or restore this ledger person: reviews linkage where the person is registered or lives,
    and may edit the ledger there."""
    reviews = covers(actor, Right.LINKAGE_REVIEW, person.community) or bool(
        person.home_id and covers(actor, Right.LINKAGE_REVIEW, person.home)
    )
    return reviews and covers(actor, Right.LEDGER_EDIT, person.home or person.community)


def require_review_at(actor: Actor, place) -> None:
    """Review linkage at this place (a community for a duplicate scan, a review item's community)."""
    require(actor, Right.LINKAGE_REVIEW, place)


def require_change_person(actor: Actor, person) -> None:
    if is_system(actor):
        return
    if actor is None:
        raise TypeError("require_change_person(): actor is None; pass the acting user or SYSTEM")
    if not can_change_person(actor, person):
        raise PermissionDenied(gettext("不在您的管辖范围内"))
