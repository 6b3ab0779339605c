"""Writes of record linkage: linking an import batch to the ledger through the model (auto-link / new person /
review queue), the ledger's duplicate scan, reviewers' decisions (kept and reused), and merging and splitting
people with a snapshot that makes each undoable.

Personal data: ID numbers and phones are decrypted only in memory to build the model's frames; nothing here logs
them, and the audit rows carry masked values and counts only."""

from __future__ import annotations

import logging
import math
import re
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import pandas as pd
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core import pii
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import covers
from shequ.core.rights import Right
from shequ.ledger import services as ledger
from shequ.ledger.models import Duty, GroupTag, Household, HouseholdMember, Need, Person, Residency
from shequ.linkage import batch_dedupe
from shequ.linkage.models import LinkRun, Merge, ReviewDecision, ReviewItem
from shequ.places.models import Level, Place

logger = logging.getLogger(__name__)

# Defaults come from the engine (docs/linkage.md); read lazily so importing this module stays cheap.
AUTO_LINK_THRESHOLD = 0.95
REVIEW_THRESHOLD = 0.2
MAX_CANDIDATES_PER_ROW = 3


def _number(prefix: str) -> str:
    # Ten hex digits: a day's hundred thousand review items stay clear of collisions.
    return f"{prefix}{timezone.localdate():%Y%m%d}-{secrets.token_hex(5).upper()}"


# Record fingerprints ----------------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    return re.sub(r"[\s·・.]+", "", name or "")


def record_key(*, id_hash: str, name: str, birth: str) -> str:
    """A stable, keyed fingerprint of one record: its ID number (already a keyed hash of the canonical 18-digit
    form), cleaned name and birth date. Two records with the same three give the same key wherever they appear."""
    return pii.keyed_hash("linkrec", f"{id_hash or ''}|{_clean_name(name)}|{birth or ''}")


def person_key(person: Person) -> str:
    birth = person.birth_date.isoformat() if person.birth_date else ""
    return record_key(id_hash=person.id_number_hash, name=person.name, birth=birth)


def row_key(row) -> str:
    clean = row.clean or {}
    return record_key(
        id_hash=clean.get("id_hash", ""), name=clean.get("name", ""), birth=clean.get("birth_date", "")
    )


def pair_key(key_a: str, key_b: str) -> str:
    a, b = sorted((key_a, key_b))
    return pii.keyed_hash("linkpair", f"{a}|{b}")


# Frames -----------------------------------------------------------------------------------------------------

FRAME_COLUMNS = ["record_id", "name", "sex", "birth_date", "id_number", "phone", "address"]


def people_frame(people) -> tuple[pd.DataFrame, dict[str, str]]:
    """The model's frame for ledger people (decrypting ID and phone in memory), and record_id → record key."""
    records, keys = [], {}
    for p in people:
        rid = f"p{p.pk}"
        records.append(
            {
                "record_id": rid,
                "name": p.name,
                "sex": p.sex,
                "birth_date": p.birth_date.isoformat() if p.birth_date else "",
                "id_number": pii.decrypt(p.id_number_encrypted) if p.id_number_encrypted else "",
                "phone": pii.decrypt(p.phone_encrypted) if p.phone_encrypted else "",
                "address": p.home.address if p.home_id else "",
            }
        )
        keys[rid] = person_key(p)
    return pd.DataFrame(records, columns=FRAME_COLUMNS), keys


def rows_frame(rows) -> tuple[pd.DataFrame, dict[str, str]]:
    from shequ.core.pii import unseal

    records, keys = [], {}
    for r in rows:
        clean = r.clean or {}
        sealed = unseal(r.sealed) if r.sealed else {}
        rid = f"r{r.pk}"
        records.append(
            {
                "record_id": rid,
                "name": clean.get("name", ""),
                "sex": clean.get("sex", ""),
                "birth_date": clean.get("birth_date", ""),
                "id_number": sealed.get("id", "") or "",
                "phone": sealed.get("phone", "") or "",
                "address": clean.get("address", ""),
            }
        )
        keys[rid] = row_key(r)
    return pd.DataFrame(records, columns=FRAME_COLUMNS), keys


def _decisions_for(communities: list[int], *frames_keys: dict[str, str]):
    """The engine's Decisions for the records at hand: each kept decision whose two record fingerprints both
    occur among the records becomes a labelled pair of their record ids."""
    from shequ.linkage.engine.model import Decisions

    by_key: dict[str, list[str]] = defaultdict(list)
    for keys in frames_keys:
        for rid, key in keys.items():
            by_key[key].append(rid)
    decisions = Decisions()
    kept = ReviewDecision.objects.filter(community_id__in=communities).values_list(
        "key_1", "key_2", "is_match"
    )
    used = 0
    for k1, k2, is_match in kept.iterator(chunk_size=5000):
        if k1 not in by_key or k2 not in by_key:
            continue
        for a in by_key[k1]:
            for b in by_key[k2]:
                if a != b and (len(frames_keys) == 1 or a[0] != b[0]):
                    decisions.add(a, b, is_match=is_match)
                    used += 1
    return decisions, used


EXACT_ID = [{"label": "身份证号", "level": "完全一致", "weight": None}]
EXACT_NAME_BIRTH = [
    {"label": "姓名", "level": "完全相同", "weight": None},
    {"label": "出生日期", "level": "相同", "weight": None},
]


def exact_pairs(left_keys, right_keys, rows, people, decisions) -> pd.DataFrame:
    """The model's stand-in when it cannot be estimated: same ID number → probability 1 (auto-link); same name
    and birth date without a conflicting ID → 0.5 (review); kept decisions override, as in the engine."""
    by_id: dict[str, list[str]] = defaultdict(list)
    by_name_birth: dict[tuple, list[Person]] = defaultdict(list)
    for p in people:
        if p.id_number_hash:
            by_id[p.id_number_hash].append(f"p{p.pk}")
        if p.birth_date:
            by_name_birth[(_clean_name(p.name), p.birth_date.isoformat())].append(p)
    records = []
    for r in rows:
        clean, rid = r.clean or {}, f"r{r.pk}"
        id_hash = clean.get("id_hash", "")
        for pid in by_id.get(id_hash, []) if id_hash else []:
            records.append({"record_id_1": rid, "record_id_2": pid, "match_probability": 1.0, "exact": "id"})
        if id_hash and id_hash in by_id:
            continue
        for p in by_name_birth.get((_clean_name(clean.get("name", "")), clean.get("birth_date", "")), []):
            if id_hash and p.id_number_hash and p.id_number_hash != id_hash:
                continue
            records.append(
                {"record_id_1": rid, "record_id_2": f"p{p.pk}", "match_probability": 0.5, "exact": "name"}
            )
    out = pd.DataFrame(records, columns=["record_id_1", "record_id_2", "match_probability", "exact"])
    for a, b in decisions.non_matches:
        out = out[
            ~(
                ((out.record_id_1 == a) & (out.record_id_2 == b))
                | ((out.record_id_1 == b) & (out.record_id_2 == a))
            )
        ]
    for a, b in decisions.matches:
        rid, pid = (a, b) if a.startswith("r") else (b, a)
        hit = (out.record_id_1 == rid) & (out.record_id_2 == pid)
        if hit.any():
            out.loc[hit, "match_probability"] = 1.0
        else:
            out = pd.concat(
                [out, pd.DataFrame([{"record_id_1": rid, "record_id_2": pid, "match_probability": 1.0}])]
            )
        out.loc[(out.record_id_1 == rid) & (out.record_id_2 == pid), "decided"] = "match"
    return out.reset_index(drop=True)


def _exact_person_pairs(people, decisions) -> pd.DataFrame:
    """Same name and birth date, no conflicting ID numbers: a probable duplicate (0.5) for review."""
    groups: dict[tuple, list[Person]] = defaultdict(list)
    for p in people:
        if p.birth_date:
            groups[(_clean_name(p.name), p.birth_date.isoformat())].append(p)
    records = []
    for group in groups.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if a.id_number_hash and b.id_number_hash:
                    continue
                key = tuple(sorted((f"p{a.pk}", f"p{b.pk}")))
                if key in decisions.matches or key in decisions.non_matches:
                    continue
                records.append(
                    {"record_id_1": f"p{a.pk}", "record_id_2": f"p{b.pk}", "match_probability": 0.5}
                )
    return pd.DataFrame(records, columns=["record_id_1", "record_id_2", "match_probability"])


def _contributions(result, pair_row) -> list[dict]:
    if result is None:
        return EXACT_ID if pair_row.get("exact") == "id" else EXACT_NAME_BIRTH
    return [
        {"label": label, "level": level, "weight": float(weight) if math.isfinite(weight) else None}
        for label, level, weight in result.explain(pair_row)
    ]


# Linking an import batch ------------------------------------------------------------------------------------


def _batch_people(place: Place):
    qs = Person.objects.filter(merged_into__isnull=True).select_related("home")
    if place.level == Level.COMMUNITY:
        return qs.filter(Q(community=place) | Q(home__community=place))
    if place.level == Level.STREET:
        return qs.filter(Q(community__street=place) | Q(home__street=place))
    return qs.filter(**{f"home__{place.level}": place})


def _batch_progress(batch, value: int) -> None:
    from shequ.imports.models import ImportBatch

    # The batch's own progress bar: linking is the last 60→99 % of an import run.
    ImportBatch.objects.filter(pk=batch.pk).update(progress=min(99, value), phase="比对关联中")


def _mark_row_review(row, probability: float | None, reasons: list | None = None) -> None:
    from shequ.imports.models import ImportRow

    fields = {"link_status": ImportRow.Link.REVIEW, "match_probability": probability}
    if reasons is not None:
        fields["reasons"] = reasons
    ImportRow.objects.filter(pk=row.pk).update(**fields)


def _create_person_for_row(*, actor, row) -> Person:
    """A new person from the row; if the ledger already holds the ID number (found outside the compared scope, or
    created from an earlier row of the same batch), the row is that person."""
    from shequ.imports import services as imports

    try:
        with transaction.atomic():
            return imports.import_row_create_person(actor=actor, row=row)
    except DomainError as exc:
        existing = (exc.extra or {}).get("existing_person")
        if exc.code == "duplicate_id_number" and existing is not None:
            imports.import_row_attach(
                actor=actor, row=row, person=existing, method="id_exact", probability=1.0
            )
            return existing
        raise


@dataclass
class _Outcome:
    linked: int = 0
    created: int = 0
    review: int = 0

    def add(self, kind: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)


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


def _queue_row_person(*, run, row, person, probability: float, contributions, record_key: str = "") -> None:
    ReviewItem.objects.create(
        number=_number("HD"),
        kind=ReviewItem.Kind.ROW_PERSON,
        community_id=person.community_id,
        run=run,
        row=row,
        person=person,
        probability=min(1.0, max(0.0, probability)),
        contributions=contributions,
        pair_key=record_key or pair_key(row_key(row), person_key(person)),
    )


def _link_fresh_row(*, actor, run, row, row_plan, cluster_person: dict, result) -> str:
    """One row that matched no ledger person, by the batch's own dedupe plan: attached to the person its cluster
    already made; else queued for review against people made from other rows of the batch (review band); else the
    first row of its cluster, which makes the person. Returns which count it adds to."""
    from shequ.imports import services as imports

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
                contributions=_contributions(result, rec),
            )
        _mark_row_review(row, ranked[0][0])
        return "review"
    person = _create_person_for_row(actor=actor, row=row)
    cluster_person[root] = person
    # A row heading a cluster of its own is a person already; its likeness to another new person is the
    # duplicate scan's kind of question (two people), asked here so it is not lost.
    for probability, candidate, rec in ranked:
        if candidate.pk == person.pk:
            continue
        left, right = sorted((candidate, person), key=lambda p: p.pk)
        ReviewItem.objects.create(
            number=_number("HD"),
            kind=ReviewItem.Kind.PERSON_PERSON,
            community_id=right.community_id,
            run=run,
            left_person=left,
            person=right,
            probability=min(1.0, max(0.0, probability)),
            contributions=_contributions(result, rec),
            pair_key=pair_key(person_key(left), person_key(right)),
        )
    return "created"


def link_import_batch(*, actor, batch) -> LinkRun:
    """Link a validated batch's accepted, not yet linked rows to the ledger people of the batch's place.

    At or above the auto-link threshold the row is attached to the person; below the review threshold it becomes
    a new person; between, each candidate in that band becomes a ReviewItem with the model's explanation. Kept
    decisions are passed to the engine: a pair decided "match" is linked, one decided "not a match" never comes
    back. Each row commits on its own, so a row the ledger refuses waits for review with its reason."""
    from shequ.imports import services as imports
    from shequ.imports.models import ImportRow
    from shequ.linkage.engine import model as engine

    started = time.perf_counter()
    place = batch.place
    run = LinkRun.objects.create(
        number=_number("BD"),
        kind=LinkRun.Kind.BATCH,
        place=place,
        batch=batch,
        status=LinkRun.Status.RUNNING,
        phase="准备数据",
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    rows = list(
        ImportRow.objects.filter(
            batch=batch, status=ImportRow.Status.ACCEPTED, link_status=ImportRow.Link.PENDING
        )
        .select_related("batch__source", "batch__place")
        .order_by("pk")
    )
    people = list(_batch_people(place))
    run_update = {"records": len(rows) + len(people)}
    outcome = _Outcome()
    try:
        best: dict[str, list[tuple[float, str, object]]] = defaultdict(list)
        result = None
        reused = 0
        if rows and people:
            left, left_keys = rows_frame(rows)
            right, right_keys = people_frame(people)
            communities = sorted({p.community_id for p in people})
            decisions, reused = _decisions_for(communities, left_keys, right_keys)
            LinkRun.objects.filter(pk=run.pk).update(phase="模型比对中", progress=10)
            try:
                result = engine.link_frames(left, right, decisions=decisions)
                pairs = result.pairs
            except (ValueError, ArithmeticError) as exc:
                # Too few records to estimate the model (e.g. a handful of rows against a handful of people):
                # compare by the exact keys instead, and say so on the run.
                logger.warning(
                    "linkage model could not be estimated for run %s: %s", run.number, type(exc).__name__
                )
                result, pairs = None, exact_pairs(left_keys, right_keys, rows, people, decisions)
                run_update["error"] = "记录太少,无法估计比对模型:已按证件号码、姓名与出生日期精确比对"
            del left, right
            pairs = pairs[pairs["match_probability"] >= REVIEW_THRESHOLD]
            for record in pairs.to_dict("records"):
                a, b = str(record["record_id_1"]), str(record["record_id_2"])
                if a.startswith("p"):
                    a, b = b, a
                best[a].append((float(record["match_probability"]), b, record))
            run_update["candidates"] = len(pairs)
        # Rows that matched no ledger person are compared with each other: one person listed twice in the file
        # becomes one person (the first row creates it, the others attach to it).
        fresh = [r for r in rows if not best.get(f"r{r.pk}")]
        within = None
        if len(fresh) >= 2:
            LinkRun.objects.filter(pk=run.pk).update(phase="批内查重中", progress=10)
            within = batch_dedupe.dedupe_rows(
                fresh,
                communities=_batch_communities(place, people),
                auto=AUTO_LINK_THRESHOLD,
                review=REVIEW_THRESHOLD,
            )
            reused += within.reused
            run_update["candidates"] = run_update.get("candidates", 0) + len(within.pairs)
            if within.fell_back and "error" not in run_update:
                run_update["error"] = "记录太少,无法估计比对模型:已按证件号码、姓名与出生日期精确比对"
        row_plan = (
            batch_dedupe.plan(fresh, within.pairs, auto=AUTO_LINK_THRESHOLD, forbidden=within.forbidden)
            if within is not None
            else None
        )
        cluster_person: dict[str, Person] = {}
        run_update["reused"] = reused
        by_id = {f"p{p.pk}": p for p in people}
        total = len(rows) or 1
        for i, row in enumerate(rows):
            candidates = sorted(best.get(f"r{row.pk}", []), key=lambda c: -c[0])
            try:
                with transaction.atomic():
                    if not candidates and row_plan is not None:
                        outcome.add(
                            _link_fresh_row(
                                actor=actor,
                                run=run,
                                row=row,
                                row_plan=row_plan,
                                cluster_person=cluster_person,
                                result=within.result,
                            )
                        )
                    else:
                        # Two people both above the upper threshold (twins, a duplicate in the ledger): a person decides.
                        ambiguous = (
                            len(candidates) > 1
                            and candidates[1][0] >= AUTO_LINK_THRESHOLD
                            and candidates[0][2].get("decided") != "match"
                        )
                        if candidates and candidates[0][0] >= AUTO_LINK_THRESHOLD and not ambiguous:
                            prob, pid, record = candidates[0]
                            method = "decision" if record.get("decided") == "match" else "model"
                            imports.import_row_attach(
                                actor=actor, row=row, person=by_id[pid], method=method, probability=prob
                            )
                            outcome.linked += 1
                        elif candidates:
                            for prob, pid, record in candidates[:MAX_CANDIDATES_PER_ROW]:
                                _queue_row_person(
                                    run=run,
                                    row=row,
                                    person=by_id[pid],
                                    probability=prob,
                                    contributions=_contributions(result, record),
                                )
                            _mark_row_review(row, candidates[0][0])
                            outcome.review += 1
                        else:
                            _create_person_for_row(actor=actor, row=row)
                            outcome.created += 1
            except DomainError as exc:
                _mark_row_review(row, None, [[exc.field or "", m] for m in exc.messages])
                outcome.review += 1
            if i % 200 == 0 or i == total - 1:
                share = 10 + int(89 * (i + 1) / total)
                LinkRun.objects.filter(pk=run.pk).update(progress=share, phase="写入结果")
                _batch_progress(batch, 60 + int(39 * (i + 1) / total))
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
                "reused": reused,
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
            **run_update,
        )
    except Exception as exc:
        LinkRun.objects.filter(pk=run.pk).update(
            status=LinkRun.Status.FAILED, error="比对过程中出错,请联系管理员", finished_at=timezone.now()
        )
        logger.error("linkage run %s failed: %s", run.number, type(exc).__name__)
        raise
    run.refresh_from_db()
    return run


# The ledger's duplicate scan ---------------------------------------------------------------------------------


@transaction.atomic
def dedupe_scan_start(*, actor, community: Place) -> LinkRun:
    """Queue a duplicate scan of one community's ledger (a background task with progress on the run)."""
    if community.level != Level.COMMUNITY:
        raise DomainError(gettext("请选择一个社区"), field="community")
    if not covers(actor, Right.LINKAGE_REVIEW, community):
        raise PermissionDenied("不在您的管辖范围内")
    run = LinkRun.objects.create(
        number=_number("CC"),
        kind=LinkRun.Kind.DEDUPE,
        place=community,
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
        phase="排队中",
    )
    audit_record(actor=actor, kind="action", action="dedupe_scan_start", obj=run, community=community)
    from shequ.linkage.tasks import run_dedupe_scan

    run_dedupe_scan.enqueue(run.pk)
    return run


def ledger_dedupe_scan(*, actor, community: Place, run: LinkRun | None = None) -> LinkRun:
    """Compare every person of a community's ledger with every other (through the model's blocking) and queue the
    probable duplicates for review. Pairs already decided are not asked again; pairs already queued are not
    queued twice."""
    from shequ.linkage.engine import model as engine

    if actor is not None and not covers(actor, Right.LINKAGE_REVIEW, community):
        raise PermissionDenied("不在您的管辖范围内")
    started = time.perf_counter()
    if run is None:
        run = LinkRun.objects.create(
            number=_number("CC"),
            kind=LinkRun.Kind.DEDUPE,
            place=community,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    LinkRun.objects.filter(pk=run.pk).update(status=LinkRun.Status.RUNNING, phase="准备数据", progress=5)
    try:
        people = list(
            Person.objects.filter(community=community, merged_into__isnull=True).select_related("home")
        )
        created = reused = candidates = 0
        if len(people) >= 2:
            frame, keys = people_frame(people)
            decisions, reused = _decisions_for([community.pk], keys)
            LinkRun.objects.filter(pk=run.pk).update(phase="模型比对中", progress=20)
            try:
                result = engine.link_frames(frame, None, decisions=decisions)
                pairs = result.pairs
            except (ValueError, ArithmeticError) as exc:
                logger.warning(
                    "linkage model could not be estimated for run %s: %s", run.number, type(exc).__name__
                )
                result, pairs = None, _exact_person_pairs(people, decisions)
                LinkRun.objects.filter(pk=run.pk).update(
                    error="记录太少,无法估计比对模型:已按姓名与出生日期精确比对"
                )
            del frame
            pairs = pairs[pairs["match_probability"] >= REVIEW_THRESHOLD]
            if "decided" in pairs.columns:
                pairs = pairs[pairs["decided"].fillna("") == ""]
            candidates = len(pairs)
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
                        number=_number("HD"),
                        kind=ReviewItem.Kind.PERSON_PERSON,
                        community=community,
                        run=run,
                        left_person=a,
                        person=b,
                        probability=min(1.0, max(0.0, float(record["match_probability"]))),
                        contributions=_contributions(result, record),
                        pair_key=key,
                    )
                )
            with transaction.atomic():
                ReviewItem.objects.bulk_create(items, batch_size=1000)
            created = len(items)
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


# Review decisions -------------------------------------------------------------------------------------------


def _item_keys(item: ReviewItem) -> tuple[str, str]:
    left = row_key(item.row) if item.row_id else person_key(item.left_person)
    return left, person_key(item.person)


def _keep_decision(*, actor, item: ReviewItem, is_match: bool) -> ReviewDecision:
    k1, k2 = sorted(_item_keys(item))
    decision, _ = ReviewDecision.objects.update_or_create(
        community_id=item.community_id,
        pair_key=pair_key(k1, k2),
        defaults={
            "key_1": k1,
            "key_2": k2,
            "is_match": is_match,
            "item": item,
            "decided_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    return decision


def _require_item(actor, item: ReviewItem) -> None:
    if not covers(actor, Right.LINKAGE_REVIEW, item.community):
        raise PermissionDenied("不在您的管辖范围内")


DECISIONS = ("match", "not_match", "skip")


@transaction.atomic
def review_decide(*, actor, item: ReviewItem, decision: str, keep: Person | None = None) -> ReviewItem:
    """Settle one review item. "match": an import row is attached to the person, two ledger people are merged
    (the older record kept unless `keep` says otherwise); "not_match": kept so the pair never comes back (an import
    row whose every candidate is refused becomes a new person); "skip": left for later. Returns the item; for a
    merge, `item.merge` is the Merge."""
    from shequ.imports import services as imports

    if decision not in DECISIONS:
        raise DomainError(gettext("请选择:是同一人、不是同一人或跳过"), field="decision")
    _require_item(actor, item)
    item = (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("row__batch__place", "person")
        .get(pk=item.pk)
    )
    if item.status not in (ReviewItem.Status.OPEN, ReviewItem.Status.SKIPPED):
        raise DomainError(gettext("这一对已经处理过了"), field="decision", code="decided")
    now = timezone.now()
    item.merge = None
    before = item.status
    if decision == "skip":
        item.status = ReviewItem.Status.SKIPPED
    elif decision == "match":
        _keep_decision(actor=actor, item=item, is_match=True)
        item.status = ReviewItem.Status.MATCH
        if item.kind == ReviewItem.Kind.ROW_PERSON:
            imports.import_row_attach(
                actor=actor, row=item.row, person=item.person, method="review", probability=item.probability
            )
            ReviewItem.objects.filter(row=item.row, status__in=["open", "skipped"]).exclude(
                pk=item.pk
            ).update(status=ReviewItem.Status.CLOSED, decided_at=now)
        else:
            pair = sorted([item.left_person, item.person], key=lambda p: (p.created_at, p.pk))
            if keep is not None and keep.pk not in (item.left_person_id, item.person_id):
                raise DomainError(gettext("保留的人员须是这一对中的一位"), field="keep")
            keep_person = keep or pair[0]
            drop_person = pair[1] if keep_person.pk == pair[0].pk else pair[0]
            item.save(update_fields=["status"])  # so the merge's own closing of open items skips this one
            item.merge = person_merge(actor=actor, keep=keep_person, drop=drop_person, review_item=item)
    else:
        _keep_decision(actor=actor, item=item, is_match=False)
        item.status = ReviewItem.Status.NOT_MATCH
        if item.kind == ReviewItem.Kind.ROW_PERSON:
            others = ReviewItem.objects.filter(row=item.row, status__in=["open", "skipped"]).exclude(
                pk=item.pk
            )
            if not others.exists():
                _create_person_for_row(actor=actor, row=item.row)
    item.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    item.decided_at = now
    item.save(update_fields=["status", "decided_by", "decided_at"])
    if item.row_id and decision != "skip":
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


# Merge and split --------------------------------------------------------------------------------------------


def _relations():
    """(label, model, person field) for everything that belongs to a person and moves with them."""
    out = [
        ("residencies", Residency, "person"),
        ("memberships", HouseholdMember, "person"),
        ("tags", GroupTag, "person"),
        ("duties", Duty, "person"),
        ("needs", Need, "person"),
        ("household_heads", Household, "head"),
    ]
    try:
        from shequ.imports.models import FieldDecision, FieldObservation, ImportRow
    except (
        ImportError
    ):  # pragma: no cover - imports is part of the project; kept optional for the engine's tests
        return out
    return out + [
        ("observations", FieldObservation, "person"),
        ("field_decisions", FieldDecision, "person"),
        ("import_rows", ImportRow, "person"),
    ]


RELATION_LABELS = {
    "residencies": "居住关系",
    "memberships": "户成员",
    "tags": "人群标签",
    "duties": "职责",
    "needs": "服务需求",
    "household_heads": "户主",
    "observations": "来源记录",
    "field_decisions": "字段核定",
    "import_rows": "导入记录",
}
SPLITTABLE = ("residencies", "memberships", "tags", "duties", "needs", "observations", "import_rows")

# Raw person columns a merge may fill on `keep` from `drop` (blank on keep), restored exactly on undo.
ID_COLUMNS = ("id_type", "id_number_encrypted", "id_number_hash", "id_number_masked")
PHONE_COLUMNS = ("phone_encrypted", "phone_hash", "phone_masked", "phone_tail", "phone_is_landline")
STATE_COLUMNS = ("birth_date", "home_id", "home_compound_id", "merged_into_id", *ID_COLUMNS, *PHONE_COLUMNS)


def _state(person: Person) -> dict:
    data = {c: getattr(person, c) for c in STATE_COLUMNS}
    if data["birth_date"]:
        data["birth_date"] = data["birth_date"].isoformat()
    return data


def _restore_state(person_pk: int, state: dict) -> None:
    values = dict(state)
    if values.get("birth_date"):
        values["birth_date"] = date.fromisoformat(values["birth_date"])
    Person.objects.filter(pk=person_pk).update(**values)


def _require_person(actor, person: Person, field: str) -> None:
    if actor is None:
        return
    if not (
        covers(actor, Right.LINKAGE_REVIEW, person.community)
        or (person.home_id and covers(actor, Right.LINKAGE_REVIEW, person.home))
    ):
        raise PermissionDenied("不在您的管辖范围内")
    if not covers(actor, Right.LEDGER_EDIT, person.home or person.community):
        raise PermissionDenied("不在您的管辖范围内")
    del field


def _end_conflicts(keep: Person, drop: Person, today: date) -> dict[str, list]:
    """Records of `drop` that would duplicate an active one of `keep` are ended first (so every constraint holds
    after the move); their previous end values are kept for the undo."""
    ended: dict[str, list] = {"residencies": [], "memberships": [], "tags": []}
    keep_res = set(
        Residency.objects.filter(person=keep, until__isnull=True).values_list("dwelling_id", "role")
    )
    for r in Residency.objects.filter(person=drop, until__isnull=True):
        if (r.dwelling_id, r.role) in keep_res:
            ended["residencies"].append([r.pk, None])
            Residency.objects.filter(pk=r.pk).update(until=max(today, r.since or today))
    keep_households = set(
        HouseholdMember.objects.filter(person=keep, left_on__isnull=True).values_list(
            "household_id", flat=True
        )
    )
    for m in HouseholdMember.objects.filter(person=drop, left_on__isnull=True):
        if m.household_id in keep_households:
            ended["memberships"].append([m.pk, None])
            HouseholdMember.objects.filter(pk=m.pk).update(left_on=today)
    keep_tags = set(GroupTag.objects.filter(person=keep, until__isnull=True).values_list("kind", flat=True))
    for t in GroupTag.objects.filter(person=drop, until__isnull=True):
        if t.kind in keep_tags:
            ended["tags"].append([t.pk, None])
            GroupTag.objects.filter(pk=t.pk).update(until=today)
    return ended


_END_FIELD = {
    "residencies": (Residency, "until"),
    "memberships": (HouseholdMember, "left_on"),
    "tags": (GroupTag, "until"),
}


def _summary(moved: dict) -> dict:
    return {RELATION_LABELS[k]: len(v) for k, v in moved.items() if k in RELATION_LABELS and v}


@transaction.atomic
def person_merge(*, actor, keep: Person, drop: Person, review_item: ReviewItem | None = None) -> Merge:
    """Make two ledger people one: `drop`'s residencies, household memberships, tags, duties, needs, source
    observations and import rows move to `keep`; `keep`'s blank ID number, phone and birth date are filled from
    `drop`; `drop` is marked merged into `keep` (and disappears from lists). The Merge row keeps a full snapshot
    of what moved and what changed, so merge_undo restores it exactly."""
    if keep.pk == drop.pk:
        raise DomainError(gettext("不能把一个人与自己合并"), field="drop")
    _require_person(actor, keep, "keep")
    _require_person(actor, drop, "drop")
    locked = {
        p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[keep.pk, drop.pk]).order_by("pk")
    }
    keep, drop = locked[keep.pk], locked[drop.pk]
    if keep.merged_into_id or drop.merged_into_id:
        raise DomainError(
            gettext("其中一人已被合并到其他人员,请刷新后再试"), field="drop", code="already_merged"
        )
    today = timezone.localdate()
    before = {"keep": _state(keep), "drop": _state(drop)}
    ended = _end_conflicts(keep, drop, today)
    moved: dict = {}
    for label, model, field in _relations():
        ids = list(model.objects.filter(**{field: drop}).values_list("pk", flat=True))
        if ids:
            model.objects.filter(pk__in=ids).update(**{field: keep})
        moved[label] = ids
    # Fill keep's blanks from drop (the ID moves only when it agrees with keep's sex and birth date).
    fill: dict = {}
    drop_clear: dict = {}
    if (
        not keep.id_number_hash
        and drop.id_number_hash
        and keep.sex == drop.sex
        and (keep.birth_date in (None, drop.birth_date))
    ):
        fill.update({c: getattr(drop, c) for c in ID_COLUMNS})
        fill["birth_date"] = drop.birth_date
        drop_clear.update({"id_number_encrypted": "", "id_number_hash": "", "id_number_masked": ""})
    if not keep.phone_hash and drop.phone_hash:
        fill.update({c: getattr(drop, c) for c in PHONE_COLUMNS})
    if not keep.birth_date and drop.birth_date and "birth_date" not in fill and not keep.id_number_hash:
        fill["birth_date"] = drop.birth_date
    Person.objects.filter(pk=drop.pk).update(merged_into=keep, home=None, home_compound=None, **drop_clear)
    if fill:
        Person.objects.filter(pk=keep.pk).update(**fill)
    keep.refresh_from_db()
    ledger.person_refresh_home(keep)
    closed = list(
        ReviewItem.objects.filter(status__in=["open", "skipped"])
        .filter(Q(person=drop) | Q(left_person=drop))
        .values_list("pk", "status")
    )
    ReviewItem.objects.filter(pk__in=[pk for pk, _ in closed]).update(
        status=ReviewItem.Status.CLOSED, decided_at=timezone.now()
    )
    moved["ended"] = ended
    moved["filled"] = sorted(fill)
    moved["closed_items"] = [list(c) for c in closed]
    moved["before"] = before
    merge = Merge(
        number=_number("HB"),
        kind=Merge.Kind.MERGE,
        community=keep.community,
        keep=keep,
        drop=drop,
        drop_name=drop.name,
        moved=moved,
        summary=_summary(moved),
        review_item=review_item,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    merge.full_clean()
    merge.save()
    audit_record(
        actor=actor,
        kind="update",
        action="person_merge",
        obj=keep,
        object_label=f"{keep.name} ← {drop.name}",
        community=keep.community,
        before={"keep": keep.name, "drop": drop.name, "drop_id_number": drop.id_number_masked},
        after={"merge": merge.number, "moved": merge.summary, "filled": moved["filled"]},
    )
    return merge


def _move_back(moved: dict, to_pk: int) -> None:
    for label, model, field in _relations():
        ids = moved.get(label) or []
        if ids:
            model.objects.filter(pk__in=ids).update(**{f"{field}_id": to_pk})


@transaction.atomic
def merge_undo(*, actor, merge: Merge) -> Merge:
    """Undo a merge (or a split): everything that moved goes back, ended duplicates are reopened, both people's
    ID/phone/birth/home columns are restored to what they were, and the dropped person reappears."""
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.is_undone:
        raise DomainError(gettext("已经撤销过了"), field="merge", code="undone")
    if merge.drop_id is None:
        raise DomainError(gettext("该记录已无法撤销(人员已删除)"), field="merge", code="gone")
    keep = Person.objects.select_for_update().get(pk=merge.keep_id)
    drop = Person.objects.select_for_update().get(pk=merge.drop_id)
    _require_person(actor, keep, "keep")
    if merge.kind == Merge.Kind.SPLIT:
        return _split_undo(actor=actor, merge=merge, person=keep, new_person=drop)
    moved = merge.moved
    _move_back(moved, drop.pk)
    for label, entries in (moved.get("ended") or {}).items():
        model, field = _END_FIELD[label]
        for pk, value in entries:
            model.objects.filter(pk=pk).update(**{field: value})
    before = moved.get("before") or {}
    _restore_state(keep.pk, {**before["keep"], "merged_into_id": keep.merged_into_id})
    _restore_state(drop.pk, before["drop"])
    for pk, status in moved.get("closed_items") or []:
        ReviewItem.objects.filter(pk=pk, status=ReviewItem.Status.CLOSED).update(
            status=status, decided_at=None
        )
    if merge.review_item_id:
        ReviewItem.objects.filter(pk=merge.review_item_id).update(
            status=ReviewItem.Status.OPEN, decided_at=None, decided_by=None
        )
        item = merge.review_item
        ReviewDecision.objects.filter(
            community_id=item.community_id, pair_key=pair_key(*_item_keys(item))
        ).delete()
    merge.undone_at = timezone.now()
    merge.undone_by = actor if getattr(actor, "is_authenticated", False) else None
    merge.save(update_fields=["undone_at", "undone_by"])
    audit_record(
        actor=actor,
        kind="update",
        action="merge_undo",
        obj=keep,
        object_label=f"{keep.name} → {drop.name}",
        community=keep.community,
        after={"merge": merge.number, "restored": merge.summary},
    )
    return merge


@transaction.atomic
def person_split(
    *,
    actor,
    person: Person,
    moves: dict[str, list[int]],
    name: str,
    sex: str = "",
    birth_date: date | None = None,
    id_number: str = "",
    phone: str = "",
) -> Merge:
    """Split one ledger record that holds two people: a new person (given fields) in the same community takes the
    chosen residencies, memberships, tags, duties, needs, source observations and import rows. Undone by
    merge_undo."""
    _require_person(actor, person, "person")
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.merged_into_id:
        raise DomainError(gettext("该人员已被合并,不能拆分"), field="person", code="already_merged")
    relations = {label: (model, field) for label, model, field in _relations()}
    chosen: dict[str, list[int]] = {}
    for label, ids in (moves or {}).items():
        if label not in SPLITTABLE or label not in relations:
            raise DomainError(f"不能拆分的内容:{label}", field="moves")
        ids = sorted({int(i) for i in ids})
        model, field = relations[label]
        found = set(model.objects.filter(pk__in=ids, **{field: person}).values_list("pk", flat=True))
        if len(found) != len(ids):
            raise DomainError(f"所选{RELATION_LABELS[label]}不属于该人员", field="moves")
        if ids:
            chosen[label] = ids
    if not chosen:
        raise DomainError(gettext("请至少选择一项归入新人员的记录"), field="moves", code="required")
    before = _state(person)
    try:
        new_person = ledger.person_create(
            actor=actor,
            community=person.community,
            name=name,
            sex=sex,
            birth_date=birth_date,
            id_number=id_number,
            phone=phone,
        )
    except IntegrityError as exc:  # pragma: no cover - person_create reports duplicates itself
        raise DomainError(gettext("无法新建人员"), field="name") from exc
    for label, ids in chosen.items():
        model, field = relations[label]
        model.objects.filter(pk__in=ids).update(**{field: new_person})
    heads = []
    if "memberships" in chosen:
        heads = list(
            Household.objects.filter(head=person, members__pk__in=chosen["memberships"]).values_list(
                "pk", flat=True
            )
        )
        Household.objects.filter(pk__in=heads).update(head=new_person)
    ledger.person_refresh_home(person)
    ledger.person_refresh_home(new_person)
    moved = {**chosen, "household_heads": heads, "before": {"keep": before}}
    merge = Merge(
        number=_number("CF"),
        kind=Merge.Kind.SPLIT,
        community=person.community,
        keep=person,
        drop=new_person,
        drop_name=new_person.name,
        moved=moved,
        summary=_summary(moved),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    merge.full_clean()
    merge.save()
    audit_record(
        actor=actor,
        kind="update",
        action="person_split",
        obj=person,
        object_label=f"{person.name} → {new_person.name}",
        community=person.community,
        after={"split": merge.number, "new_person": new_person.name, "moved": merge.summary},
    )
    return merge


def _split_undo(*, actor, merge: Merge, person: Person, new_person: Person) -> Merge:
    _move_back(merge.moved, person.pk)
    _restore_state(person.pk, {**merge.moved["before"]["keep"], "merged_into_id": person.merged_into_id})
    outcome = "deleted"
    try:
        with transaction.atomic():
            Person.objects.filter(pk=new_person.pk).delete()
    except (ProtectedError, IntegrityError):
        # Records were added to the new person since the split: it stays, merged back into the original.
        Person.objects.filter(pk=new_person.pk).update(merged_into=person, home=None, home_compound=None)
        outcome = "merged_back"
    merge.undone_at = timezone.now()
    merge.undone_by = actor if getattr(actor, "is_authenticated", False) else None
    merge.save(update_fields=["undone_at", "undone_by"])
    audit_record(
        actor=actor,
        kind="update",
        action="split_undo",
        obj=person,
        object_label=f"{person.name} ← {merge.drop_name}",
        community=person.community,
        after={"split": merge.number, "restored": merge.summary, "new_person": outcome},
    )
    return merge
