"""linkage's references to a ledger person, registered in LinkageConfig.ready(). All of them record a fact about
that very person record (a question asked about it, a merge that kept or dropped it), so none moves."""

from __future__ import annotations

from shequ.ledger import person_relations as pr
from shequ.linkage.models import Merge, ReviewItem


def register() -> None:
    pr.register_fixed(ReviewItem, "person", reason="a review question about this record (a merge closes it)")
    pr.register_fixed(
        ReviewItem, "left_person", reason="a review question about this record (a merge closes it)"
    )
    pr.register_fixed(Merge, "keep", reason="the merge's record of who was kept")
    pr.register_fixed(Merge, "drop", reason="the merge's record of who was merged away")
