"""Who may do what with imports and the calibrated ledger: pure predicates over the actor's grants, asked by the
views and the API (the services check the same rights over the object's place with core.jurisdiction).

A page needs a right somewhere (`can_*(actor)`); an object needs it over its place. Where a rule is both a list
and a check, the queryset form (`*_q`) and the predicate sit side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext

from shequ.core.jurisdiction import covers, has_right, is_system, require, scope_q
from shequ.core.rights import Right

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor


def can_import(actor) -> bool:
    """The import pages: upload, map, run, results, sources."""
    return has_right(actor, Right.IMPORTS_RUN)


def batches_q(actor) -> Q:
    """Import batches into a place the actor imports for."""
    return scope_q(actor, Right.IMPORTS_RUN, via="place__")


def can_view_batch(actor, batch) -> bool:
    """The predicate of `batches_q`."""
    return covers(actor, Right.IMPORTS_RUN, batch.place)


def can_view_provenance(actor) -> bool:
    """谁说了什么 about a person (the person is then reached through the ledger's scoped selector)."""
    return has_right(actor, Right.LEDGER_VIEW)


def can_settle_conflicts(actor) -> bool:
    """The conflicts list and settling one."""
    return has_right(actor, Right.LEDGER_EDIT)


def can_view_owner_report(actor) -> bool:
    """人房不一致."""
    return has_right(actor, Right.LEDGER_EDIT)


def can_view_stale_households(actor) -> bool:
    """久未核实的户."""
    return has_right(actor, Right.LEDGER_VIEW)


def can_request_extract(actor) -> bool:
    """数据共享: a department liaison's extracts."""
    return has_right(actor, Right.EXTRACT_RECEIVE)


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
