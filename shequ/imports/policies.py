"""Who may do what in imports, and which source may feed which place: the rules the services enforce and the
views and API show or hide actions by."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from shequ.core.jurisdiction import covers, is_system, require
from shequ.core.rights import Right

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor


def source_usable_at(source, place) -> bool:
    """A source kept by this place, its street or its community may feed an import there."""
    return source.owner_id in (place.pk, place.street_id, place.community_id)


def can_settle_conflict(actor, person) -> bool:
    return covers(actor, Right.LEDGER_EDIT, person.home or person.community) or covers(
        actor, Right.LEDGER_EDIT, person.community
    )


def require_settle_conflict(actor: Actor, person) -> None:
    if is_system(actor):
        return
    if actor is None:
        raise TypeError("require_settle_conflict(): actor is None; pass the acting user or SYSTEM")
    if not can_settle_conflict(actor, person):
        raise PermissionDenied(gettext("不在您的管辖范围内"))


def require_extract(actor: Actor, place) -> None:
    require(actor, Right.EXTRACT_RECEIVE, place)


def extract_is_masked(actor, place) -> bool:
    """Values are masked unless the actor may reveal personal data there (department liaisons may not)."""
    return not covers(actor, Right.PII_REVEAL, place)
