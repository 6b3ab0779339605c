"""Who may do what in record linkage: pure functions over the actor's grants (mirroring the services)."""

from __future__ import annotations

from shequ.core.jurisdiction import covers, has_right
from shequ.core.rights import Right


def can_review(actor) -> bool:
    return has_right(actor, Right.LINKAGE_REVIEW)


def can_decide_item(actor, item) -> bool:
    return covers(actor, Right.LINKAGE_REVIEW, item.community)


def can_undo_merge(actor, merge) -> bool:
    return (
        not merge.is_undone
        and merge.drop_id is not None
        and covers(actor, Right.LINKAGE_REVIEW, merge.community)
    )


def can_merge_people(actor, keep, drop) -> bool:
    return all(
        covers(actor, Right.LINKAGE_REVIEW, p.community)
        and covers(actor, Right.LEDGER_EDIT, p.home or p.community)
        for p in (keep, drop)
    )
