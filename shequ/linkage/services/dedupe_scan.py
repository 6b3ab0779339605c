"""The ledger's duplicate scan: every person of a community compared with every other (through the model's
blocking), the probable duplicates queued for review."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.numbers import public_number
from shequ.ledger.models import Person
from shequ.linkage import policies
from shequ.linkage.frames import contributions, decisions_for, exact_person_pairs, pair_key, people_frame
from shequ.linkage.models import LinkRun, ReviewItem
from shequ.linkage.services._common import REVIEW_THRESHOLD, user_or_none
from shequ.places.models import Level, Place

if TYPE_CHECKING:
    import pandas as pd

    from shequ.core.jurisdiction import Actor

logger = logging.getLogger(__name__)


@transaction.atomic
def dedupe_scan_start(*, actor: Actor, community: Place) -> LinkRun:
    """Queue a duplicate scan of one community's ledger (a background task with progress on the run)."""
    if community.level != Level.COMMUNITY:
        raise DomainError(gettext("请选择一个社区"), field="community")
    policies.require_review_at(actor, community)
    run = LinkRun.objects.create(
        number=public_number("CC", entropy_bytes=5),
        kind=LinkRun.Kind.DEDUPE,
        place=community,
        started_by=user_or_none(actor),
        phase="排队中",
    )
    audit_record(actor=actor, kind="action", action="dedupe_scan_start", obj=run, community=community)
    from shequ.linkage.tasks import run_dedupe_scan

    run_dedupe_scan.enqueue(run.pk)
    return run


def _score_people(people: list[Person], run: LinkRun, community: Place):
    """(result, pairs at or above the review threshold not yet decided, record keys, decisions reused)."""
    from shequ.linkage.engine import model as engine

    frame, keys = people_frame(people)
    decisions, reused = decisions_for([community.pk], keys)
    LinkRun.objects.filter(pk=run.pk).update(phase="模型比对中", progress=20)
    try:
        result = engine.link_frames(frame, None, decisions=decisions)
        pairs = result.pairs
    except (ValueError, ArithmeticError) as exc:
        logger.warning("linkage model could not be estimated for run %s: %s", run.number, type(exc).__name__)
        result, pairs = None, exact_person_pairs(people, decisions)
        LinkRun.objects.filter(pk=run.pk).update(error="记录太少,无法估计比对模型:已按姓名与出生日期精确比对")
    pairs = pairs[pairs["match_probability"] >= REVIEW_THRESHOLD]
    if "decided" in pairs.columns:
        pairs = pairs[pairs["decided"].fillna("") == ""]
    return result, pairs, keys, reused


def _queue_pairs(*, run: LinkRun, community: Place, people, result, pairs: pd.DataFrame, keys) -> int:
    """One review item per probable pair not already waiting for review. Returns how many were queued."""
    by_id = {f"p{p.pk}": p for p in people}
    waiting = set(
        ReviewItem.objects.filter(
            community=community, status__in=[ReviewItem.Status.OPEN, ReviewItem.Status.SKIPPED]
        ).values_list("pair_key", flat=True)
    )
    items = []
    for record in pairs.to_dict("records"):
        a, b = by_id[str(record["record_id_1"])], by_id[str(record["record_id_2"])]
        if a.pk > b.pk:
            a, b = b, a
        key = pair_key(keys[f"p{a.pk}"], keys[f"p{b.pk}"])
        if key in waiting:
            continue
        waiting.add(key)
        items.append(
            ReviewItem(
                number=public_number("HD", entropy_bytes=5),
                kind=ReviewItem.Kind.PERSON_PERSON,
                community=community,
                run=run,
                left_person=a,
                person=b,
                probability=min(1.0, max(0.0, float(record["match_probability"]))),
                contributions=contributions(result, record),
                pair_key=key,
            )
        )
    with transaction.atomic():
        ReviewItem.objects.bulk_create(items, batch_size=1000)
    return len(items)


def ledger_dedupe_scan(*, actor: Actor, community: Place, run: LinkRun | None = None) -> LinkRun:
    """Compare every person of a community's ledger with every other (through the model's blocking) and queue the
    probable duplicates for review. Pairs already decided are not asked again; pairs already queued are not
    queued twice."""
    policies.require_review_at(actor, community)
    started = time.perf_counter()
    if run is None:
        run = LinkRun.objects.create(
            number=public_number("CC", entropy_bytes=5),
            kind=LinkRun.Kind.DEDUPE,
            place=community,
            started_by=user_or_none(actor),
        )
    LinkRun.objects.filter(pk=run.pk).update(status=LinkRun.Status.RUNNING, phase="准备数据", progress=5)
    try:
        people = list(
            Person.objects.filter(community=community, merged_into__isnull=True).select_related("home")
        )
        created = reused = candidates = 0
        if len(people) >= 2:
            result, pairs, keys, reused = _score_people(people, run, community)
            candidates = len(pairs)
            created = _queue_pairs(
                run=run, community=community, people=people, result=result, pairs=pairs, keys=keys
            )
        with transaction.atomic():
            LinkRun.objects.filter(pk=run.pk).update(
                status=LinkRun.Status.DONE,
                progress=100,
                phase="已完成",
                records=len(people),
                candidates=candidates,
                review=created,
                reused=reused,
                seconds=time.perf_counter() - started,
                finished_at=timezone.now(),
            )
            audit_record(
                actor=actor,
                kind="action",
                action="ledger_dedupe_scan",
                obj=run,
                community=community,
                after={"people": len(people), "review": created, "reused": reused},
            )
    except Exception as exc:
        LinkRun.objects.filter(pk=run.pk).update(
            status=LinkRun.Status.FAILED, error="查重过程中出错,请联系管理员", finished_at=timezone.now()
        )
        logger.error("dedupe run %s failed: %s", run.number, type(exc).__name__)
        raise
    run.refresh_from_db()
    return run
