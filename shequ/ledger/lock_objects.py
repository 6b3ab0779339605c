"""Row locks on ledger records, always taken in one order (by primary key) so two transactions that lock the
same people (a merge and the undo of another merge of the same pair) never wait on each other in a cycle."""

from __future__ import annotations

from collections.abc import Iterable

from shequ.ledger.models import Person


def people_for_update(pks: Iterable[int]) -> dict[int, Person]:
    """Lock these people (SELECT … FOR UPDATE, ordered by pk) and return them by pk. Call inside a transaction."""
    ids = sorted({int(pk) for pk in pks})
    return {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
