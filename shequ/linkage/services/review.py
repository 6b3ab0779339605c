"""Reviewers' decisions on the queue: kept (so a pair never comes back) and acted on (an import row attached or
made a new person, two ledger people merged)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.imports import services as imports
from shequ.ledger.models import Person
from shequ.linkage import policies
from shequ.linkage.frames import item_keys, pair_key
from shequ.linkage.models import ReviewDecision, ReviewItem
from shequ.linkage.services._common import create_person_for_row, user_or_none
from shequ.linkage.services.merge import person_merge

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor

DECISIONS = ("match", "not_match", "skip")
WAITING = (ReviewItem.Status.OPEN, ReviewItem.Status.SKIPPED)


def _keep_decision(*, actor: Actor, item: ReviewItem, is_match: bool) -> ReviewDecision:
    k1, k2 = sorted(item_keys(item))
    decision, _ = ReviewDecision.objects.update_or_create(
        community_id=item.community_id,
        pair_key=pair_key(k1, k2),
        defaults={
            "key_1": k1,
            "key_2": k2,
            "is_match": is_match,
            "item": item,
            "decided_by": user_or_none(actor),
        },
    )
    return decision


def _decide_match(*, actor: Actor, item: ReviewItem, keep: Person | None) -> None:
    _keep_decision(actor=actor, item=item, is_match=True)
    item.status = ReviewItem.Status.MATCH
    if item.kind == ReviewItem.Kind.ROW_PERSON:
        assert item.row is not None  # a row↔person item always has its row (reviewitem_sides_match_kind)
        imports.import_row_attach(
            actor=actor, row=item.row, person=item.person, method="review", probability=item.probability
        )
        ReviewItem.objects.filter(row=item.row, status__in=WAITING).exclude(pk=item.pk).update(
            status=ReviewItem.Status.CLOSED, decided_at=timezone.now()
        )
        return
    left = item.left_person
    assert left is not None  # a person↔person item always has both sides (reviewitem_sides_match_kind)
    pair = sorted([left, item.person], key=lambda p: (p.created_at, p.pk))
    if keep is not None and keep.pk not in (item.left_person_id, item.person_id):
        raise DomainError(gettext("保留的人员须是这一对中的一位"), field="keep")
    keep_person = keep or pair[0]
    drop_person = pair[1] if keep_person.pk == pair[0].pk else pair[0]
    item.save(update_fields=["status"])  # so the merge's own closing of open items skips this one
    item.merge = person_merge(  # type: ignore[attr-defined]
        actor=actor, keep=keep_person, drop=drop_person, review_item=item
    )


def _decide_not_match(*, actor: Actor, item: ReviewItem) -> None:
    _keep_decision(actor=actor, item=item, is_match=False)
    item.status = ReviewItem.Status.NOT_MATCH
    if item.kind == ReviewItem.Kind.ROW_PERSON:
        others = ReviewItem.objects.filter(row=item.row, status__in=WAITING).exclude(pk=item.pk)
        if not others.exists():
            create_person_for_row(actor=actor, row=item.row)


@transaction.atomic
def review_decide(*, actor: Actor, item: ReviewItem, decision: str, keep: Person | None = None) -> ReviewItem:
    """Settle one review item. "match": an import row is attached to the person, two ledger people are merged
    (the older record kept unless `keep` says otherwise); "not_match": kept so the pair never comes back (an import
    row whose every candidate is refused becomes a new person); "skip": left for later. Returns the item; for a
    merge, `item.merge` is the Merge."""
    if decision not in DECISIONS:
        raise DomainError(gettext("请选择:是同一人、不是同一人或跳过"), field="decision")
    policies.require_review_at(actor, item.community)
    item = (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("row__batch__place", "person")
        .get(pk=item.pk)
    )
    if item.status not in WAITING:
        raise DomainError(gettext("这一对已经处理过了"), field="decision", code="decided")
    item.merge = None  # type: ignore[attr-defined]
    before = item.status
    if decision == "skip":
        item.status = ReviewItem.Status.SKIPPED
    elif decision == "match":
        _decide_match(actor=actor, item=item, keep=keep)
    else:
        _decide_not_match(actor=actor, item=item)
    item.decided_by = user_or_none(actor)
    item.decided_at = timezone.now()
    item.save(update_fields=["status", "decided_by", "decided_at"])
    if item.row is not None and decision != "skip":
        imports.batch_refresh_counts(batch=item.row.batch)
    audit_record(
        actor=actor,
        kind="update",
        action="review_decide",
        obj=item,
        community=item.community,
        before={"status": before},
        after={"status": item.status, "probability": round(item.probability, 4)},
    )
    return item
