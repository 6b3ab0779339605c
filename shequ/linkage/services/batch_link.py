"""Linking an import batch to the ledger through the model: auto-link, new person, or the review queue."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.numbers import public_number
from shequ.imports import selectors as import_selectors
from shequ.imports import services as imports
from shequ.ledger.models import Person
from shequ.linkage import batch_dedupe
from shequ.linkage.frames import (
    contributions,
    decisions_for,
    exact_pairs,
    pair_key,
    people_frame,
    person_key,
    row_key,
    rows_frame,
)
from shequ.linkage.models import LinkRun, ReviewItem
from shequ.linkage.services._common import (
    AUTO_LINK_THRESHOLD,
    MAX_CANDIDATES_PER_ROW,
    REVIEW_THRESHOLD,
    TOO_FEW_RECORDS,
    create_person_for_row,
    user_or_none,
)
from shequ.places.models import Level, Place

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor

logger = logging.getLogger(__name__)


def _batch_people(place: Place):
    qs = Person.objects.filter(merged_into__isnull=True).select_related("home")
    if place.level == Level.COMMUNITY:
        return qs.filter(Q(community=place) | Q(home__community=place))
    if place.level == Level.STREET:
        return qs.filter(Q(community__street=place) | Q(home__street=place))
    return qs.filter(**{f"home__{place.level}": place})


def _batch_communities(place: Place, people) -> list[int]:
    """The communities whose kept decisions apply to a batch: the batch's own (or those of its street) and those
    of the people compared."""
    out = {p.community_id for p in people}
    if place.level == Level.COMMUNITY:
        out.add(place.pk)
    elif place.community_id:
        out.add(place.community_id)
    elif place.level == Level.STREET:
        out |= set(Place.objects.filter(level=Level.COMMUNITY, street=place).values_list("pk", flat=True))
    return sorted(out)


@dataclass
class _Plan:
    """What the comparison found for one batch, before anything is written."""

    rows: list
    people: list
    best: dict[str, list[tuple[float, str, dict]]] = field(default_factory=lambda: defaultdict(list))
    result: Any = None  # the engine's LinkResult against the ledger (None: exact keys decided)
    within: batch_dedupe.RowDedupe | None = None  # the batch's own duplicates among fresh rows
    row_plan: Any = None
    reused: int = 0
    run_update: dict = field(default_factory=dict)


@dataclass
class _Outcome:
    linked: int = 0
    created: int = 0
    review: int = 0

    def add(self, kind: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)


def _queue_row_person(*, run, row, person, probability: float, contributions, record_key: str = "") -> None:
    ReviewItem.objects.create(
        number=public_number("HD", entropy_bytes=5),
        kind=ReviewItem.Kind.ROW_PERSON,
        community_id=person.community_id,
        run=run,
        row=row,
        person=person,
        probability=min(1.0, max(0.0, probability)),
        contributions=contributions,
        pair_key=record_key or pair_key(row_key(row), person_key(person)),
    )


def _queue_people(*, run, a: Person, b: Person, probability: float, contributions) -> None:
    left, right = sorted((a, b), key=lambda p: p.pk)
    ReviewItem.objects.create(
        number=public_number("HD", entropy_bytes=5),
        kind=ReviewItem.Kind.PERSON_PERSON,
        community_id=right.community_id,
        run=run,
        left_person=left,
        person=right,
        probability=min(1.0, max(0.0, probability)),
        contributions=contributions,
        pair_key=pair_key(person_key(left), person_key(right)),
    )


# Step 1: compare the rows with the ledger's people -----------------------------------------------------------


def _compare_with_ledger(plan: _Plan, run: LinkRun) -> None:
    from shequ.linkage.engine import model as engine

    left, left_keys = rows_frame(plan.rows)
    right, right_keys = people_frame(plan.people)
    communities = sorted({p.community_id for p in plan.people})
    decisions, plan.reused = decisions_for(communities, left_keys, right_keys)
    LinkRun.objects.filter(pk=run.pk).update(phase="模型比对中", progress=10)
    try:
        plan.result = engine.link_frames(left, right, decisions=decisions)
        pairs = plan.result.pairs
    except (ValueError, ArithmeticError) as exc:
        # Too few records to estimate the model (e.g. a handful of rows against a handful of people):
        # compare by the exact keys instead, and say so on the run.
        logger.warning("linkage model could not be estimated for run %s: %s", run.number, type(exc).__name__)
        plan.result, pairs = None, exact_pairs(left_keys, right_keys, plan.rows, plan.people, decisions)
        plan.run_update["error"] = TOO_FEW_RECORDS
    pairs = pairs[pairs["match_probability"] >= REVIEW_THRESHOLD]
    for record in pairs.to_dict("records"):
        a, b = str(record["record_id_1"]), str(record["record_id_2"])
        if a.startswith("p"):
            a, b = b, a
        plan.best[a].append((float(record["match_probability"]), b, record))
    plan.run_update["candidates"] = len(pairs)


# Step 2: rows that matched nobody are compared with each other ----------------------------------------------


def _dedupe_fresh_rows(plan: _Plan, run: LinkRun, place: Place) -> None:
    """One person listed twice in the file becomes one person (the first row creates it, the others attach)."""
    fresh = [r for r in plan.rows if not plan.best.get(f"r{r.pk}")]
    if len(fresh) < 2:
        return
    LinkRun.objects.filter(pk=run.pk).update(phase="批内查重中", progress=10)
    within = batch_dedupe.dedupe_rows(
        fresh,
        communities=_batch_communities(place, plan.people),
        auto=AUTO_LINK_THRESHOLD,
        review=REVIEW_THRESHOLD,
    )
    plan.within = within
    plan.reused += within.reused
    plan.run_update["candidates"] = plan.run_update.get("candidates", 0) + len(within.pairs)
    if within.fell_back and "error" not in plan.run_update:
        plan.run_update["error"] = TOO_FEW_RECORDS
    plan.row_plan = batch_dedupe.plan(
        fresh, within.pairs, auto=AUTO_LINK_THRESHOLD, forbidden=within.forbidden
    )


# Step 3: each row, on its own transaction --------------------------------------------------------------------


def _link_fresh_row(*, actor: Actor, run, row, row_plan, cluster_person: dict, result) -> str:
    """One row that matched no ledger person, by the batch's own dedupe plan: attached to the person its cluster
    already made; else queued for review against people made from other rows of the batch (review band); else the
    first row of its cluster, which makes the person. Returns which count it adds to."""
    rid = f"r{row.pk}"
    root = row_plan.cluster.get(rid, rid)
    person = cluster_person.get(root)
    if person is not None:
        joined = [rec for other, rec in row_plan.joined.get(rid, []) if row_plan.cluster.get(other) == root]
        probability = max((float(rec["match_probability"]) for rec in joined), default=AUTO_LINK_THRESHOLD)
        decided = any(rec.get("decided") == "match" for rec in joined)
        imports.import_row_attach(
            actor=actor,
            row=row,
            person=person,
            method="decision" if decided else "model",
            probability=min(1.0, probability),
        )
        return "linked"
    best: dict[int, tuple[float, Person, dict]] = {}
    for probability, other, rec in row_plan.review.get(rid, []):
        candidate = cluster_person.get(row_plan.cluster.get(other, other))
        if candidate is not None and (candidate.pk not in best or best[candidate.pk][0] < probability):
            best[candidate.pk] = (probability, candidate, rec)
    ranked = sorted(best.values(), key=lambda c: -c[0])[:MAX_CANDIDATES_PER_ROW]
    if ranked and row_plan.size.get(root, 1) == 1:
        for probability, candidate, rec in ranked:
            _queue_row_person(
                run=run,
                row=row,
                person=candidate,
                probability=probability,
                contributions=contributions(result, rec),
            )
        imports.import_row_mark_review(row=row, probability=ranked[0][0])
        return "review"
    person = create_person_for_row(actor=actor, row=row)
    cluster_person[root] = person
    # A row heading a cluster of its own is a person already; its likeness to another new person is the
    # duplicate scan's kind of question (two people), asked here so it is not lost.
    for probability, candidate, rec in ranked:
        if candidate.pk != person.pk:
            _queue_people(
                run=run,
                a=candidate,
                b=person,
                probability=probability,
                contributions=contributions(result, rec),
            )
    return "created"


def _link_matched_row(*, actor: Actor, run, row, candidates, by_id: dict, result) -> str:
    """One row with candidates among the ledger's people: attached at or above the threshold (unless two people
    both are: twins, a duplicate in the ledger — a person decides), else queued for review."""
    ambiguous = (
        len(candidates) > 1
        and candidates[1][0] >= AUTO_LINK_THRESHOLD
        and candidates[0][2].get("decided") != "match"
    )
    if candidates[0][0] >= AUTO_LINK_THRESHOLD and not ambiguous:
        prob, pid, record = candidates[0]
        method = "decision" if record.get("decided") == "match" else "model"
        imports.import_row_attach(actor=actor, row=row, person=by_id[pid], method=method, probability=prob)
        return "linked"
    for prob, pid, record in candidates[:MAX_CANDIDATES_PER_ROW]:
        _queue_row_person(
            run=run, row=row, person=by_id[pid], probability=prob, contributions=contributions(result, record)
        )
    imports.import_row_mark_review(row=row, probability=candidates[0][0])
    return "review"


def _write_rows(*, actor: Actor, run: LinkRun, batch, plan: _Plan) -> _Outcome:
    outcome = _Outcome()
    cluster_person: dict[str, Person] = {}
    by_id = {f"p{p.pk}": p for p in plan.people}
    total = len(plan.rows) or 1
    for i, row in enumerate(plan.rows):
        candidates = sorted(plan.best.get(f"r{row.pk}", []), key=lambda c: -c[0])
        try:
            with transaction.atomic():
                if candidates:
                    kind = _link_matched_row(
                        actor=actor, run=run, row=row, candidates=candidates, by_id=by_id, result=plan.result
                    )
                elif plan.row_plan is not None:
                    kind = _link_fresh_row(
                        actor=actor,
                        run=run,
                        row=row,
                        row_plan=plan.row_plan,
                        cluster_person=cluster_person,
                        result=plan.within.result if plan.within else None,
                    )
                else:
                    create_person_for_row(actor=actor, row=row)
                    kind = "created"
                outcome.add(kind)
        except DomainError as exc:
            imports.import_row_mark_review(
                row=row, probability=None, reasons=[[exc.field or "", m] for m in exc.messages]
            )
            outcome.review += 1
        if i % 200 == 0 or i == total - 1:
            share = 10 + int(89 * (i + 1) / total)
            LinkRun.objects.filter(pk=run.pk).update(progress=share, phase="写入结果")
            # The batch's own progress bar: linking is the last 60→99 % of an import run.
            imports.batch_progress_set(
                batch=batch, progress=min(99, 60 + int(39 * (i + 1) / total)), phase="比对关联中"
            )
    return outcome


# The service -------------------------------------------------------------------------------------------------


def link_import_batch(*, actor: Actor, batch) -> LinkRun:
    """Link a validated batch's accepted, not yet linked rows to the ledger people of the batch's place.

    At or above the auto-link threshold the row is attached to the person; below the review threshold it becomes
    a new person; between, each candidate in that band becomes a ReviewItem with the model's explanation. Kept
    decisions are passed to the engine: a pair decided "match" is linked, one decided "not a match" never comes
    back. Each row commits on its own, so a row the ledger refuses waits for review with its reason."""
    started = time.perf_counter()
    place = batch.place
    run = LinkRun.objects.create(
        number=public_number("BD", entropy_bytes=5),
        kind=LinkRun.Kind.BATCH,
        place=place,
        batch=batch,
        status=LinkRun.Status.RUNNING,
        phase="准备数据",
        started_by=user_or_none(actor),
    )
    plan = _Plan(rows=list(import_selectors.rows_to_link(batch)), people=list(_batch_people(place)))
    plan.run_update["records"] = len(plan.rows) + len(plan.people)
    try:
        if plan.rows and plan.people:
            _compare_with_ledger(plan, run)
        _dedupe_fresh_rows(plan, run, place)
        plan.run_update["reused"] = plan.reused
        outcome = _write_rows(actor=actor, run=run, batch=batch, plan=plan)
        _finish(actor=actor, run=run, batch=batch, outcome=outcome, plan=plan, started=started)
    except Exception as exc:
        LinkRun.objects.filter(pk=run.pk).update(
            status=LinkRun.Status.FAILED, error="比对过程中出错,请联系管理员", finished_at=timezone.now()
        )
        logger.error("linkage run %s failed: %s", run.number, type(exc).__name__)
        raise
    run.refresh_from_db()
    return run


def _finish(*, actor: Actor, run: LinkRun, batch, outcome: _Outcome, plan: _Plan, started: float) -> None:
    place = batch.place
    audit_record(
        actor=actor,
        kind="action",
        action="link_import_batch",
        obj=run,
        object_label=f"{run.number} {batch.number}",
        community=place.community,
        street=place.street,
        after={
            "linked": outcome.linked,
            "new": outcome.created,
            "review": outcome.review,
            "reused": plan.reused,
        },
    )
    LinkRun.objects.filter(pk=run.pk).update(
        status=LinkRun.Status.DONE,
        progress=100,
        phase="已完成",
        linked=outcome.linked,
        created=outcome.created,
        review=outcome.review,
        seconds=time.perf_counter() - started,
        finished_at=timezone.now(),
        **plan.run_update,
    )
