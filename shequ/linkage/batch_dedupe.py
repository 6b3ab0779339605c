"""Deduplicating the rows of one import batch among themselves (the rows that matched no ledger person), so a
file that lists the same person twice creates one person: the model's dedupe on those rows, exact keys when the
model cannot be used, and the plan of which row creates the person, which rows attach to it and which wait for
review.

Pure computation: no database writes here (link_import_batch applies the plan through the services). Personal
data: ID numbers and phones are decrypted only in memory to build the model's frame; nothing here logs them."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from shequ.core.pii import unseal
from shequ.linkage.frames import clean_name, decisions_for, rows_frame

logger = logging.getLogger(__name__)

# Below this many rows the model's dedupe has too few pairs to estimate anything: exact keys decide.
MIN_ROWS_FOR_MODEL = 20
PAIR_COLUMNS = ["record_id_1", "record_id_2", "match_probability", "exact", "decided"]


def _clean(name: str) -> str:
    return clean_name(name)


def exact_row_pairs(rows, decisions, names: dict[str, tuple] | None = None) -> pd.DataFrame:
    """The stand-in for the model among rows of one batch: same ID number → 1; same name (or, with `names` from
    the engine's normalisation, the same pinyin: 张卫东/章卫东) and birth date with the same phone, a phone one
    digit off, or the same address (and no conflicting ID) → 1 (the same record written twice); same name and
    birth date otherwise → 0.5 (review). Kept decisions override, as in the engine."""
    groups: dict[tuple, list] = defaultdict(list)
    by_id: dict[str, list] = defaultdict(list)
    names = names or {}
    for r in rows:
        clean = r.clean or {}
        if clean.get("id_hash"):
            by_id[clean["id_hash"]].append(r)
        if clean.get("birth_date") and clean.get("name"):
            sound = (names.get(f"r{r.pk}") or (None, None, None))[2] or _clean(clean["name"])
            groups[(sound, clean["birth_date"])].append(r)
    records: dict[tuple[str, str], dict] = {}

    def put(a, b, probability: float, exact: str) -> None:
        key = tuple(sorted((f"r{a.pk}", f"r{b.pk}")))
        if key not in records or records[key]["match_probability"] < probability:
            records[key] = {
                "record_id_1": key[0],
                "record_id_2": key[1],
                "match_probability": probability,
                "exact": exact,
                "decided": "",
            }

    phones = {r.pk: p for r, p in zip(rows, _phones(rows), strict=True) if p}
    for same in by_id.values():
        for i, a in enumerate(same):
            for b in same[i + 1 :]:
                put(a, b, 1.0, "id")
    for same in groups.values():
        for i, a in enumerate(same):
            for b in same[i + 1 :]:
                ca, cb = a.clean or {}, b.clean or {}
                if ca.get("id_hash") and cb.get("id_hash") and ca["id_hash"] != cb["id_hash"]:
                    continue
                same_phone = (ca.get("phone_hash") and ca.get("phone_hash") == cb.get("phone_hash")) or (
                    phones.get(a.pk) and _one_digit_off(phones.get(a.pk), phones.get(b.pk))
                )
                same_address = ca.get("address") and ca.get("address") == cb.get("address")
                put(
                    a,
                    b,
                    1.0 if (same_phone or same_address) else 0.5,
                    "same" if same_phone or same_address else "name",
                )
    for a, b in decisions.non_matches:
        records.pop(tuple(sorted((a, b))), None)
    for a, b in decisions.matches:
        key = tuple(sorted((a, b)))
        records[key] = {
            "record_id_1": key[0],
            "record_id_2": key[1],
            "match_probability": 1.0,
            "exact": records.get(key, {}).get("exact", ""),
            "decided": "match",
        }
    return pd.DataFrame(list(records.values()), columns=PAIR_COLUMNS)


def _phones(rows) -> list[str]:
    return [(unseal(r.sealed).get("phone", "") or "") if r.sealed else "" for r in rows]


def _one_digit_off(a: str | None, b: str | None) -> bool:
    return bool(a and b and len(a) == len(b) == 11 and sum(x != y for x, y in zip(a, b, strict=True)) == 1)


def _names_agree(frame: pd.DataFrame) -> dict[str, tuple]:
    """record_id → (clean name, 形近字 key, pinyin) from the engine's own normalisation."""
    from shequ.linkage.engine.normalize import prepare_records

    prepared = prepare_records(frame)
    return {
        rid: (clean, shape, py)
        for rid, clean, shape, py in zip(
            prepared["unique_id"],
            prepared["name_clean"],
            prepared["name_shape"],
            prepared["name_py"],
            strict=True,
        )
    }


@dataclass
class RowDedupe:
    """Scored pairs among the batch's fresh rows (record ids "r<pk>"), and how they were scored."""

    pairs: pd.DataFrame
    result: object | None = None  # the engine's LinkResult, for explanations; None when exact keys decided
    fell_back: bool = False  # the model was tried and could not be estimated
    reused: int = 0
    forbidden: set = field(default_factory=set)  # pairs decided "not a match": never one person


def dedupe_rows(rows, *, communities: list[int], auto: float, review: float) -> RowDedupe:
    """Score the pairs among `rows` (an import batch's rows that matched no ledger person).

    The model's dedupe (`link_frames(frame, None)`) when there are at least MIN_ROWS_FOR_MODEL rows and it can be
    estimated, else exact keys. Then two safety rules the ledger itself would enforce or a person must judge:
    two different valid ID numbers are two people (the pair is dropped, whatever the score); and two rows become
    one person automatically only when their names agree by character, shape or sound — a pair the model scores
    above `auto` without that (twins: same surname, birthday and home, other given names) is capped into the
    review band."""
    from shequ.linkage.engine import model as engine

    if len(rows) < 2:
        return RowDedupe(pairs=pd.DataFrame(columns=PAIR_COLUMNS))
    frame, keys = rows_frame(rows)
    decisions, reused = decisions_for(communities, keys)
    result, fell_back = None, False
    pairs = None
    if len(rows) >= MIN_ROWS_FOR_MODEL:
        try:
            result = engine.link_frames(frame, None, decisions=decisions)
            pairs = result.pairs
        except (ValueError, ArithmeticError) as exc:
            logger.warning("batch dedupe model could not be estimated: %s", type(exc).__name__)
            result, fell_back = None, True
    names = _names_agree(frame)
    exact = exact_row_pairs(rows, decisions, names)
    if pairs is None:
        pairs = exact
    elif not exact.empty:
        # The exact keys are a floor under the model: on a small file of mostly distinct people the model has
        # too few agreeing pairs to learn from and may score nothing at all.
        pairs = pd.concat([pairs, exact], ignore_index=True)
        pairs["decided"] = pairs["decided"].fillna("")
        pairs = pairs.sort_values(["match_probability"], ascending=False).drop_duplicates(
            ["record_id_1", "record_id_2"]
        )
    forbidden = {tuple(sorted(pair)) for pair in decisions.non_matches}
    pairs = pairs[pairs["match_probability"] >= review].copy()
    if "decided" not in pairs.columns:
        pairs["decided"] = ""
    pairs["decided"] = pairs["decided"].fillna("")
    if pairs.empty:
        return RowDedupe(pairs=pairs, result=result, fell_back=fell_back, reused=reused, forbidden=forbidden)
    id_hash = {f"r{r.pk}": (r.clean or {}).get("id_hash", "") for r in rows}
    keep, capped = [], []
    for a, b, decided in zip(
        pairs["record_id_1"].astype(str), pairs["record_id_2"].astype(str), pairs["decided"], strict=True
    ):
        ida, idb = id_hash.get(a, ""), id_hash.get(b, "")
        keep.append(not (ida and idb and ida != idb))
        na, nb = names.get(a, (None,) * 3), names.get(b, (None,) * 3)
        agree = any(x is not None and x == y for x, y in zip(na, nb, strict=True))
        capped.append(not agree and decided != "match")
    pairs["names_agree"] = [not c for c in capped]
    pairs = pairs[keep]
    over = (~pairs["names_agree"]) & (pairs["match_probability"] >= auto)
    # Just under the auto-link threshold: still the strongest of the review band, never merged unasked.
    pairs.loc[over, "match_probability"] = auto - 1e-6
    return RowDedupe(
        pairs=pairs.reset_index(drop=True),
        result=result,
        fell_back=fell_back,
        reused=reused,
        forbidden=forbidden,
    )


@dataclass
class RowPlan:
    """What to do with each fresh row: `cluster[rid]` is the cluster's root; rows of one cluster become one
    person (the first row, by pk, creates it); `review[rid]` lists (probability, other rid, pair record) in the
    review band with rows of other clusters; `auto_pair` the pairs that joined clusters."""

    cluster: dict[str, str] = field(default_factory=dict)
    review: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    auto_pair: dict[tuple[str, str], dict] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)  # rows per cluster root
    joined: dict[str, list] = field(
        default_factory=lambda: defaultdict(list)
    )  # rid → its auto pairs' records


def plan(rows, pairs: pd.DataFrame, *, auto: float, forbidden: set | None = None) -> RowPlan:
    """Cluster the rows at or above `auto` (strongest pairs first); two clusters never join when any pair across
    them was decided "not a match" or carries two different valid ID numbers (so a chain A–B–C cannot make twins
    one person). Pairs left between different clusters in the review band are returned per row."""
    ids = [f"r{r.pk}" for r in sorted(rows, key=lambda r: r.pk)]
    parent = {rid: rid for rid in ids}
    members = {rid: {rid} for rid in ids}
    id_hash = {f"r{r.pk}": (r.clean or {}).get("id_hash", "") for r in rows}
    forbidden = set(forbidden or ())
    records = pairs.to_dict("records") if not pairs.empty else []
    for rec in records:
        if rec.get("decided") == "non_match" or float(rec["match_probability"]) <= 0.0:
            forbidden.add(tuple(sorted((str(rec["record_id_1"]), str(rec["record_id_2"])))))

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def may_join(ra: str, rb: str) -> bool:
        for x in members[ra]:
            for y in members[rb]:
                if tuple(sorted((x, y))) in forbidden:
                    return False
                if id_hash.get(x) and id_hash.get(y) and id_hash[x] != id_hash[y]:
                    return False
        return True

    out = RowPlan()
    strong = sorted(
        (r for r in records if float(r["match_probability"]) >= auto),
        key=lambda r: -float(r["match_probability"]),
    )
    for rec in strong:
        a, b = str(rec["record_id_1"]), str(rec["record_id_2"])
        if a not in parent or b not in parent:
            continue
        ra, rb = root(a), root(b)
        if ra == rb or not may_join(ra, rb):
            continue
        # The earlier row stays the root, so the cluster's person is made from its first row.
        ra, rb = (ra, rb) if int(ra[1:]) < int(rb[1:]) else (rb, ra)
        parent[rb] = ra
        members[ra] |= members.pop(rb)
        out.auto_pair[tuple(sorted((a, b)))] = rec
    for rid in ids:
        out.cluster[rid] = root(rid)
        out.size[out.cluster[rid]] = out.size.get(out.cluster[rid], 0) + 1
    # looked up per row by link_import_batch: kept per row so a large batch is not scanned once per row
    for (a, b), rec in out.auto_pair.items():
        out.joined[a].append((b, rec))
        out.joined[b].append((a, rec))
    for rec in records:
        p = float(rec["match_probability"])
        a, b = str(rec["record_id_1"]), str(rec["record_id_2"])
        if p >= auto or a not in parent or b not in parent or out.cluster[a] == out.cluster[b]:
            continue
        out.review[a].append((p, b, rec))
        out.review[b].append((p, a, rec))
    return out
