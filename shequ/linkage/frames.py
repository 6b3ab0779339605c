"""What the model compares, read from the ledger and from import rows: record fingerprints (keys), the model's
frames, the kept decisions that apply to a set of records, and the exact-key stand-in used when the model cannot be
estimated. Reads only: the services (batch linking, the duplicate scan, review) and batch_dedupe build on these.

Personal data: ID numbers and phones are decrypted only in memory to build the frames; nothing here logs them."""

from __future__ import annotations

import math
import re
from collections import defaultdict

import pandas as pd

from shequ.core import pii
from shequ.core.pii import unseal
from shequ.ledger.models import Person
from shequ.linkage.models import ReviewDecision, ReviewItem

# Record fingerprints ----------------------------------------------------------------------------------------


def clean_name(name: str) -> str:
    return re.sub(r"[\s·・.]+", "", name or "")


def record_key(*, id_hash: str, name: str, birth: str) -> str:
    """A stable, keyed fingerprint of one record: its ID number (already a keyed hash of the canonical 18-digit
    form), cleaned name and birth date. Two records with the same three give the same key wherever they appear."""
    return pii.keyed_hash("linkrec", f"{id_hash or ''}|{clean_name(name)}|{birth or ''}")


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


def item_keys(item: ReviewItem) -> tuple[str, str]:
    """The record keys of a review item's two sides (an import row or a person, and a person)."""
    if item.row is not None:
        left = row_key(item.row)
    else:
        assert (
            item.left_person is not None
        )  # person↔person items have both sides (reviewitem_sides_match_kind)
        left = person_key(item.left_person)
    return left, person_key(item.person)


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


# Kept decisions ---------------------------------------------------------------------------------------------


def decisions_for(communities: list[int], *frames_keys: dict[str, str]):
    """The engine's Decisions for the records at hand: each kept decision whose two record fingerprints both
    occur among the records becomes a labelled pair of their record ids. Returns (decisions, how many used)."""
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


# The exact-key stand-in -------------------------------------------------------------------------------------

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
            by_name_birth[(clean_name(p.name), p.birth_date.isoformat())].append(p)
    records = []
    for r in rows:
        clean, rid = r.clean or {}, f"r{r.pk}"
        id_hash = clean.get("id_hash", "")
        for pid in by_id.get(id_hash, []) if id_hash else []:
            records.append({"record_id_1": rid, "record_id_2": pid, "match_probability": 1.0, "exact": "id"})
        if id_hash and id_hash in by_id:
            continue
        for p in by_name_birth.get((clean_name(clean.get("name", "")), clean.get("birth_date", "")), []):
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


def exact_person_pairs(people, decisions) -> pd.DataFrame:
    """Same name and birth date, no conflicting ID numbers: a probable duplicate (0.5) for review."""
    groups: dict[tuple, list[Person]] = defaultdict(list)
    for p in people:
        if p.birth_date:
            groups[(clean_name(p.name), p.birth_date.isoformat())].append(p)
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


def contributions(result, pair_row) -> list[dict]:
    if result is None:
        return EXACT_ID if pair_row.get("exact") == "id" else EXACT_NAME_BIRTH
    return [
        {"label": label, "level": level, "weight": float(weight) if math.isfinite(weight) else None}
        for label, level, weight in result.explain(pair_row)
    ]
