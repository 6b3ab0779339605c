"""Who may do what in the household ledger: pure functions over the actor's grants (mirroring the services)."""

from __future__ import annotations

from shequ.core.jurisdiction import covers, has_right
from shequ.core.rights import Right


def can_edit_person(actor, person) -> bool:
    return covers(actor, Right.LEDGER_EDIT, person.home or person.community)


def can_reveal_person(actor, person) -> bool:
    return covers(actor, Right.PII_REVEAL, person.home or person.community) or covers(
        actor, Right.PII_REVEAL, person.community
    )


def can_edit_household(actor, household) -> bool:
    return covers(actor, Right.LEDGER_EDIT, household.dwelling)


def can_create_person(actor) -> bool:
    return has_right(actor, Right.LEDGER_EDIT)


def can_view_ledger(actor) -> bool:
    return has_right(actor, Right.LEDGER_VIEW)
