"""The record-linkage model for Chinese person records: Splink settings, training and linking.

Public API (stable; the Django side and ``shequ link-files`` call only these):

- ``link_frames(left, right=None, *, threshold=DEFAULT_THRESHOLD, backend="duckdb",
  decisions=None) -> LinkResult`` — link two tables, or deduplicate one (``right=None``).
- ``LinkResult.pairs`` — one row per scored pair: ``record_id_1, record_id_2, match_probability,
  match_weight`` and, per comparison ``<c>``, ``mw_<c>`` (its match weight = log2 Bayes factor).
- ``LinkResult.clusters(threshold=None)`` — record_id → cluster_id (connected components).
- ``LinkResult.explain(pair_row)`` / ``explain(pair_row)`` — [(比较项, 级别, 权重 in bits)] for the
  review page.
- ``Decisions`` — a reviewer's labelled pairs (match / not a match); pass them as ``decisions=`` and
  they override the model's probability for those pairs and are used to re-estimate m.
- ``AUTO_LINK_THRESHOLD`` / ``REVIEW_THRESHOLD`` — above the first link automatically, below the
  second a record is a new person, between goes to review.

How the model is built (see docs/linkage.md for the long form)
    Comparisons: 身份证号 (exact / 15→18 / one digit off / adjacent swap, the last two only when a
    number fails its check digit — two valid numbers two digits apart are twins or siblings, not a
    typo / two different valid numbers / different, the last trained apart so that a wholly
    different short or unvalidated identifier weighs only what the data say), 姓名 (exact / 形近字 /
    同音 / pinyin within 2 edits / same surname — for Latin names also a surname split by a space —
    / the same Latin given name with another surname), 出生日期 (exact / lunar vs solar / month-day
    swapped / one digit off / two digits swapped / within a year), 性别, and one combined 住址与电话
    comparison (a Latin address also by typos in its written form). Phone and address are household
    keys: where people share homes they are evidence about a *person* only when the names also
    agree, so that comparison is "no information" (Bayes factor 1) unless the names agree by
    character, shape or sound. Twins (same surname, birthday, household) are therefore separated by
    their given names and ID numbers, not pulled together by the household. Whether people share
    homes is read from the data (``households_shared``): in a list of one person per home the guard
    is off and an address counts whatever the names.

    Training: the prior (probability two random records match) from two deterministic rules at an
    assumed recall of 0.8; u by random sampling (when linking two files, with the sampled matches
    taken back out: ``_remove_matches_from_u``); m by EM on two blocking passes (same ID; same
    birth date — a pass blocked on names would leave the household comparison, which reads the
    names, untrained), starting from the priors in the level definitions.

    Threshold: ``DEFAULT_THRESHOLD = 0.5`` — the model's own "more likely a match than not",
    chosen without looking at any truth.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shequ.linkage.engine.normalize import prepare_records

DEFAULT_THRESHOLD = 0.5
AUTO_LINK_THRESHOLD = 0.95
REVIEW_THRESHOLD = 0.2
MIN_OUTPUT_PROBABILITY = 0.01

logger = logging.getLogger(__name__)

# -- comparisons ---------------------------------------------------------------------------------

LATIN = "is_han_name_l = 0 AND is_han_name_r = 0"
LATIN_SWAPPED = "levenshtein(given_py_l, surname_py_r) <= 2 AND levenshtein(surname_py_l, given_py_r) <= 2"
LATIN_CLOSE = "levenshtein(surname_py_l, surname_py_r) <= 2 AND levenshtein(given_py_l, given_py_r) <= 2"
# A Latin surname split by a stray space ("georg e": the parser reads "e" as the surname) still ends
# the full name: one record's surname is the last letters of the other's whole name.
LATIN_SURNAME_ENDS_NAME = (
    "((length(surname_py_l) >= 3 AND substr(name_py_r, length(name_py_r) - length(surname_py_l) + 1) = surname_py_l)"
    " OR (length(surname_py_r) >= 3 AND substr(name_py_l, length(name_py_l) - length(surname_py_r) + 1) = surname_py_r))"
)
LATIN_PART = (
    "(levenshtein(surname_py_l, surname_py_r) <= 3 OR levenshtein(given_py_l, given_py_r) <= 3 "
    "OR levenshtein(given_py_l, surname_py_r) <= 2 OR levenshtein(surname_py_l, given_py_r) <= 2 "
    f"OR {LATIN_SURNAME_ENDS_NAME})"
)
# The household guard: phone and address count as evidence about a *person* only when a person key
# agrees too — the same canonical ID number, or the names. Chinese names agree only by characters,
# shape or sound (siblings' names are often one pinyin edit apart); Latin names when a part is near
# either part of the other (FEBRL-style typos and swapped given/family names).
NAME_AGREES = (
    f"(id18_l = id18_r OR name_shape_l = name_shape_r OR name_py_l = name_py_r OR ({LATIN} AND {LATIN_PART}))"
)


def _within(column: str, bound: str) -> str:
    """``levenshtein(c_l, c_r) <= bound``, with the length difference (a lower bound of the distance)
    tested first: on long strings (addresses) the edit distance is the costly part of scoring a
    pair, and most random pairs fail the cheap test. Same result, fewer distances computed."""
    a, b = f"{column}_l", f"{column}_r"
    return f"abs(length({a}) - length({b})) <= {bound} AND levenshtein({a}, {b}) <= {bound}"


def _level(sql: str, label: str, m: float | None = None, u: float | None = None, **extra) -> dict:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if m is not None:
        level["m_probability"] = m
    if u is not None:
        level["u_probability"] = u
    level.update(extra)
    return level


def comparisons(*, household_guard: bool = True) -> list[dict]:
    """The comparison definitions (dialect-neutral SQL: works on DuckDB and Spark).

    ``household_guard``: phone and address count only when the names agree (see NAME_AGREES). Off
    only for data in which no one shares a home with someone else (``households_shared``): there a
    shared address cannot come from co-residence, and it is evidence about the person again.
    """
    if household_guard:
        household_null = (
            # coalesce: a missing ID or name makes the test NULL, which must read "not agreed"
            f"NOT coalesce({NAME_AGREES}, false) OR ((phone_l IS NULL OR phone_r IS NULL) "
            "AND (addr_compound_l IS NULL OR addr_compound_r IS NULL))"
        )
        household_null_label = "缺失或姓名不同(同户不作为同人证据)"
    else:
        household_null = (
            "(phone_l IS NULL OR phone_r IS NULL) AND (addr_compound_l IS NULL OR addr_compound_r IS NULL)"
        )
        household_null_label = "缺失"
    id_first17 = "levenshtein(substr(id18_l, 1, 17), substr(id18_r, 1, 17))"
    id_bad = "(id_ok_l = 0 OR id_ok_r = 0)"
    return [
        {
            "output_column_name": "id",
            "comparison_description": "身份证号",
            "comparison_levels": [
                _level("id18_l IS NULL OR id18_r IS NULL", "缺失", is_null_level=True),
                _level("id18_l = id18_r AND id_len_l = id_len_r", "完全一致", 0.85),
                _level("id18_l = id18_r", "15位与18位换算后一致", 0.05),
                _level(f"{id_bad} AND {id_first17} <= 1", "差一位数字", 0.03),
                _level(f"{id_bad} AND id_sorted_l = id_sorted_r AND {id_first17} = 2", "相邻两位颠倒", 0.02),
                # Two numbers that both pass the check digit are two issued IDs: a typo almost never
                # yields one (any one digit changed or two adjacent swapped fails the check), so this
                # level is strong evidence of two people; its m is trained apart from "不同" below,
                # which holds the unvalidated identifiers (foreign, short, mistyped) where a wholly
                # different value is a weaker sign.
                _level("id_ok_l = 1 AND id_ok_r = 1", "两个有效号码不同", 0.01),
                _level("ELSE", "不同", 0.04),
            ],
        },
        {
            "output_column_name": "name",
            "comparison_description": "姓名",
            "comparison_levels": [
                _level("name_py_l IS NULL OR name_py_r IS NULL", "缺失", is_null_level=True),
                _level("name_clean_l = name_clean_r", "完全相同", 0.85),
                _level("name_shape_l = name_shape_r", "形近字", 0.03),
                _level("name_py_l = name_py_r", "同音(拼音相同)", 0.06),
                _level(
                    "levenshtein(name_py_l, name_py_r) <= CASE WHEN is_han_name_l = 1 THEN 1 ELSE 2 END",
                    "拼音相近",
                    0.03,
                ),
                _level(f"{LATIN} AND ({LATIN_SWAPPED})", "姓与名颠倒", 0.01),
                _level(f"{LATIN} AND {LATIN_CLOSE}", "姓与名各有拼写差异", 0.01),
                _level(
                    f"surname_py_l = surname_py_r OR ({LATIN} AND {LATIN_SURNAME_ENDS_NAME})",
                    "同姓不同名",
                    0.02,
                ),
                # a Latin given name with another surname: a surname changed at marriage, or mistyped
                _level(f"{LATIN} AND given_py_l = given_py_r", "同名不同姓", 0.02),
                _level(f"{LATIN} AND {LATIN_PART}", "姓或名部分相同", 0.01),
                _level("ELSE", "不同", 0.01),
            ],
        },
        {
            "output_column_name": "dob",
            "comparison_description": "出生日期",
            "comparison_levels": [
                _level("dob_l IS NULL OR dob_r IS NULL", "缺失", is_null_level=True),
                _level("dob_l = dob_r", "相同", 0.9),
                _level("dob_l = dob_lunar_r OR dob_lunar_l = dob_r", "农历与公历", 0.03),
                _level("dob_l = dob_swap_r", "月日颠倒", 0.01),
                _level("levenshtein(dob_l, dob_r) <= 1", "差一位", 0.03),
                _level(
                    "dob_sorted_l = dob_sorted_r AND levenshtein(dob_l, dob_r) <= 2", "两位数字颠倒", 0.01
                ),
                _level("abs(dob_year_l - dob_year_r) <= 1", "一年之内", 0.02),
                _level("ELSE", "不同", 0.01),
            ],
        },
        {
            "output_column_name": "sex",
            "comparison_description": "性别",
            "comparison_levels": [
                _level("sex_l IS NULL OR sex_r IS NULL", "缺失", is_null_level=True),
                _level("sex_l = sex_r", "相同", 0.98),
                _level("ELSE", "不同", 0.02, fix_m_probability=True),
            ],
        },
        {
            "output_column_name": "household",
            "comparison_description": "住址与电话",
            "comparison_levels": [
                _level(household_null, household_null_label, is_null_level=True),
                _level("phone_l = phone_r AND addr_room_l = addr_room_r", "电话与房号均相同", 0.45),
                _level("phone_l = phone_r", "电话相同", 0.2),
                _level("addr_room_l = addr_room_r", "同一房号", 0.15),
                _level("levenshtein(phone_l, phone_r) = 1", "电话差一位", 0.02),
                _level("addr_building_l = addr_building_r", "同一楼栋", 0.03),
                _level("addr_compound_l = addr_compound_r", "同一小区", 0.03),
                # Latin addresses only (addr_letters is NULL for Chinese ones): typos within the text
                _level(_within("addr_letters", "2"), "住址一两处笔误", 0.02),
                _level(
                    _within("addr_letters", "0.2 * greatest(length(addr_letters_l), length(addr_letters_r))"),
                    "住址多处笔误",
                    0.02,
                ),
                _level(
                    _within(
                        "addr_compound", "0.25 * greatest(length(addr_compound_l), length(addr_compound_r))"
                    ),
                    "住址相近",
                    0.02,
                ),
                _level(
                    _within(
                        "addr_compound", "0.5 * greatest(length(addr_compound_l), length(addr_compound_r))"
                    ),
                    "住址部分相同",
                    0.02,
                ),
                _level("ELSE", "电话住址均不同", 0.1),
            ],
        },
    ]


BLOCKING_RULES = [
    "l.id18 = r.id18",
    "l.surname_py = r.surname_py AND l.dob = r.dob AND l.sex = r.sex",
    "l.given_py = r.given_py AND l.dob = r.dob",
    "l.name_shape = r.name_shape AND l.phone = r.phone",
    "l.name_py = r.name_py AND l.addr_compound = r.addr_compound",
    "l.name_py = r.name_py AND l.dob_year = r.dob_year AND l.sex = r.sex",
    "substr(l.id18, 1, 14) = substr(r.id18, 1, 14) AND l.surname_py = r.surname_py",
    "substr(l.id18, 7, 12) = substr(r.id18, 7, 12) AND l.surname_py = r.surname_py",
    # Latin names only (no pinyin collisions there; these would be far too wide on Chinese data)
    "l.surname_py = r.surname_py AND l.is_han_name = 0 AND r.is_han_name = 0",
    "l.given_py = r.given_py AND l.is_han_name = 0 AND r.is_han_name = 0",
    "l.given_py = r.surname_py AND l.surname_py = r.given_py AND l.is_han_name = 0",
    "l.dob = r.dob AND l.is_han_name = 0 AND r.is_han_name = 0",
    "l.addr_compound = r.addr_compound AND l.is_han_name = 0 AND r.is_han_name = 0",
    # one name part written in the other's place (harrison capurso / capurso ruby)
    "l.surname_py = r.given_py AND l.is_han_name = 0 AND r.is_han_name = 0",
    "l.given_py = r.surname_py AND l.is_han_name = 0 AND r.is_han_name = 0",
    # the start of a Latin address (house number and street) with a typo further on
    "substr(l.addr_letters, 1, 12) = substr(r.addr_letters, 1, 12)",
]

TRAINING_RULES = ["l.id18 = r.id18", "l.dob = r.dob"]
PRIOR_RULES = ["l.id18 = r.id18", "l.name_py = r.name_py AND l.dob = r.dob AND l.phone = r.phone"]

COMPARISON_LABELS = {c["output_column_name"]: c["comparison_description"] for c in comparisons()}

MODEL_COLUMNS = [
    "unique_id",
    "name_clean",
    "name_shape",
    "name_py",
    "surname_py",
    "given_py",
    "name_init",
    "is_han_name",
    "id18",
    "id_len",
    "id_ok",
    "id_sorted",
    "dob",
    "dob_lunar",
    "dob_swap",
    "dob_year",
    "dob_sorted",
    "sex",
    "phone",
    "addr_compound",
    "addr_building",
    "addr_room",
    "addr_letters",
]


def settings_dict(
    link_type: str = "dedupe_only", *, prior: float = 1e-6, household_guard: bool = True
) -> dict:
    """The Splink settings (same for every backend)."""
    return {
        "link_type": link_type,
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons(household_guard=household_guard),
        "blocking_rules_to_generate_predictions": list(BLOCKING_RULES),
        "probability_two_random_records_match": prior,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "em_convergence": 0.001,
        "max_iterations": 20,
    }


# -- does anyone share a home? ------------------------------------------------------------------

MIN_RECORDS_TO_DROP_GUARD = 500
SHARED_HOME_RATE = 0.005


def households_shared(prepared: list[pd.DataFrame]) -> bool:
    """Whether the records show people sharing a home: the household guard's condition.

    The guard (phone and address count only when the names agree) is there because distinct people
    live together — spouses, parents and children, twins — and a shared home between two differently
    named records is then most likely a family, not one person. Whether the data holds families can
    be read from the data itself, without any truth: within one input table, count the records whose
    home (the most specific address key written: room, else the Latin address, building, compound)
    or phone is shared with a record of a *different* name. In a population register most records
    are (the synthetic population: all of them); in a list of one person per home (FEBRL: none of
    its 10,000 records) there is no co-residence for the guard to explain, and a shared address
    between differently named records is evidence of the same person with a name written otherwise.

    Guard on (True) unless fewer than ``SHARED_HOME_RATE`` of the records share a home or phone with
    a differently named record; on when there are fewer than ``MIN_RECORDS_TO_DROP_GUARD`` records
    with a name and an address or phone (too few to tell — the conservative default). Each table is
    counted on its own: in a deduplication the one table, in a linkage each file (pairs across the
    files are the ones being judged).
    """
    names = [pd.factorize(p["name_py"])[0] for p in prepared]  # -1 where missing
    flagged = [np.zeros(len(p), dtype=bool) for p in prepared]
    has_key = [np.zeros(len(p), dtype=bool) for p in prepared]
    named = sum(int((n >= 0).sum()) for n in names)
    for which in ("home", "phone"):
        for p, name, flag, has in zip(prepared, names, flagged, has_key, strict=True):
            if which == "home":
                column = (
                    p["addr_room"]
                    .fillna(p["addr_letters"])
                    .fillna(p["addr_building"])
                    .fillna(p["addr_compound"])
                )
            else:
                column = p["phone"]
            key, _ = pd.factorize(column)
            ok = (key >= 0) & (name >= 0)
            has |= ok
            if not ok.any():
                continue
            k, nm = key[ok].astype(np.int64), name[ok].astype(np.int64)
            width = int(nm.max()) + 1
            distinct = np.unique(k * width + nm)  # distinct (key, name)
            names_per_key = np.bincount(distinct // width, minlength=int(k.max()) + 1)
            flag[ok] |= names_per_key[k] > 1
        shared = sum(int(f.sum()) for f in flagged)
        if named >= MIN_RECORDS_TO_DROP_GUARD and shared >= SHARED_HOME_RATE * named:
            return True  # already shared at the widest count possible: the phones cannot change it
    counted = sum(int(h.sum()) for h in has_key)
    if counted < MIN_RECORDS_TO_DROP_GUARD:
        return True
    return shared >= SHARED_HOME_RATE * counted


# -- reviewer decisions --------------------------------------------------------------------------


@dataclass
class Decisions:
    """Labelled pairs from the review queue. ``matches``/``non_matches`` hold (record_id, record_id)."""

    matches: set[tuple[str, str]] = field(default_factory=set)
    non_matches: set[tuple[str, str]] = field(default_factory=set)

    @staticmethod
    def _key(a: object, b: object) -> tuple[str, str]:
        a, b = str(a), str(b)
        return (a, b) if a <= b else (b, a)

    def add(self, a: object, b: object, *, is_match: bool) -> None:
        key = self._key(a, b)
        (self.matches if is_match else self.non_matches).add(key)
        (self.non_matches if is_match else self.matches).discard(key)

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> Decisions:
        """Columns record_id_1, record_id_2, is_match (bool)."""
        out = cls()
        for a, b, m in df[["record_id_1", "record_id_2", "is_match"]].itertuples(index=False):
            out.add(a, b, is_match=bool(m))
        return out


def train_on_decisions(decisions: Decisions) -> Decisions:
    """Reviewer decisions are used by passing them to ``link_frames(..., decisions=...)``.

    Known matches are forced to probability 1 (added even if blocking missed them), known
    non-matches to 0, and the known matches also re-estimate the m probabilities. Returned as is so
    callers can chain; kept as a named entry point for the review workflow.
    """
    return decisions


def apply_decisions(pairs: pd.DataFrame, decisions: Decisions | None) -> pd.DataFrame:
    if decisions is None or (not decisions.matches and not decisions.non_matches):
        return pairs
    a = pairs["record_id_1"].astype(str)
    b = pairs["record_id_2"].astype(str)
    key = pd.Series(list(zip(np.minimum(a, b), np.maximum(a, b), strict=True)), index=pairs.index)
    pairs = pairs.copy()
    pairs["decided"] = ""
    is_match = key.isin(decisions.matches)
    is_non = key.isin(decisions.non_matches)
    pairs.loc[is_match, ["match_probability", "match_weight", "decided"]] = [1.0, math.inf, "match"]
    pairs.loc[is_non, ["match_probability", "match_weight", "decided"]] = [0.0, -math.inf, "non_match"]
    seen = set(key[is_match])
    missing = [k for k in decisions.matches if k not in seen]
    if missing:
        extra = pd.DataFrame(
            {
                "record_id_1": [k[0] for k in missing],
                "record_id_2": [k[1] for k in missing],
                "match_probability": 1.0,
                "match_weight": math.inf,
                "decided": "match",
            }
        )
        pairs = pd.concat([pairs, extra], ignore_index=True)
    return pairs


# -- results -------------------------------------------------------------------------------------


@dataclass
class LinkResult:
    """Scored pairs plus what is needed to explain and cluster them."""

    pairs: pd.DataFrame
    record_ids: pd.Series
    threshold: float
    model: dict
    timings: dict = field(default_factory=dict)
    household_guard: bool = True  # whether phone and address counted only when the names agreed

    def matches(self, threshold: float | None = None) -> pd.DataFrame:
        t = self.threshold if threshold is None else threshold
        return self.pairs[self.pairs["match_probability"] >= t]

    def clusters(self, threshold: float | None = None) -> pd.DataFrame:
        """record_id, cluster_id: connected components of the pairs at or above the threshold
        (known non-matches never join)."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        ids = pd.Index(self.record_ids.astype(str).unique())
        edges = self.matches(threshold)
        i = ids.get_indexer(edges["record_id_1"].astype(str))
        j = ids.get_indexer(edges["record_id_2"].astype(str))
        n = len(ids)
        graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        return pd.DataFrame({"record_id": ids, "cluster_id": labels})

    def explain(self, pair_row: pd.Series | dict) -> list[tuple[str, str, float]]:
        return explain(pair_row, self.model)


def _level_weights(comp: dict) -> list[tuple[str, float]]:
    out = []
    for level in comp["comparison_levels"]:
        if level.get("is_null_level"):
            out.append((level["label_for_charts"], 0.0))
            continue
        m, u = level.get("m_probability"), level.get("u_probability")
        if m is None or u is None or u == 0:
            continue
        out.append((level["label_for_charts"], math.log2(m / u) if m > 0 else -math.inf))
    return out


def explain(pair_row: pd.Series | dict, model: dict | None = None) -> list[tuple[str, str, float]]:
    """Why the model scores a pair as it does: [(比较项, 级别, weight in bits)], strongest first.

    The weight is the comparison's match weight (log2 of its Bayes factor): positive is evidence of
    a match, negative against, 0 when a field is missing on either side. The level is read back
    from the weight (each level of a trained model has its own weight).
    """
    model = model or settings_dict()
    out = []
    for comp in model["comparisons"]:
        name = comp["output_column_name"]
        weight = pair_row.get(f"mw_{name}")
        if weight is None or (isinstance(weight, float) and math.isnan(weight)):
            continue
        weight = float(weight)
        levels = _level_weights(comp)
        label = min(levels, key=lambda lw: abs(lw[1] - weight))[0] if levels else ""
        out.append((COMPARISON_LABELS.get(name, name), label, round(weight, 2)))
    return sorted(out, key=lambda t: -abs(t[2]))


# -- linking -------------------------------------------------------------------------------------


def _with_model_columns(prepared: pd.DataFrame) -> pd.DataFrame:
    ids = prepared["id18"]
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    sorted_u = np.array(["".join(sorted(str(u)[:17])) for u in uniques] + [None], dtype=object)
    prepared = prepared.copy()
    prepared["id_sorted"] = sorted_u[codes]
    prepared["dob_year"] = prepared["dob_year"].astype("float64")
    return prepared[MODEL_COLUMNS]


def _db_api(backend: str, spark=None):
    if backend == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        con = duckdb.connect()
        con.execute("SET preserve_insertion_order = false")
        return DuckDBAPI(connection=con)
    if backend == "spark":
        from splink import SparkAPI

        if spark is None:
            from pyspark.sql import SparkSession

            spark = SparkSession.builder.getOrCreate()
        if spark.sparkContext.getCheckpointDir() is None:  # Splink breaks lineage with checkpoints
            import tempfile

            spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="shequ-spark-"))
        return SparkAPI(spark_session=spark)
    raise ValueError(f"unknown backend {backend!r}: use 'duckdb' or 'spark'")


def link_frames(
    left: pd.DataFrame,
    right: pd.DataFrame | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    backend: str = "duckdb",
    decisions: Decisions | None = None,
    min_probability: float = MIN_OUTPUT_PROBABILITY,
    u_max_pairs: float = 2e6,
    em_max_pairs: float = 2e5,
    seed: int = 42,
    spark=None,
) -> LinkResult:
    """Link ``left`` to ``right`` (or deduplicate ``left`` when ``right`` is None).

    Both frames carry the standard columns ``record_id, name, sex, birth_date, id_number, phone,
    address`` (+ optional ``source``); ``record_id`` must be unique within a frame. Returns every
    pair scored at or above ``min_probability``; ``threshold`` is what ``matches()``/``clusters()``
    use by default. ``backend`` is "duckdb" (default) or "spark" (same settings on Splink's Spark
    backend; pass ``spark=`` a session or one is created).
    """
    import time

    from splink import Linker

    timings: dict[str, float] = {}
    t0, c0 = time.perf_counter(), _cpu_seconds()
    frames = [left] if right is None else [left, right]
    prepared = [_with_model_columns(prepare_records(f)) for f in frames]
    household_guard = households_shared(prepared)
    timings["prepare"] = time.perf_counter() - t0
    timings["prepare_cpu"] = _cpu_seconds() - c0

    t1, c1 = time.perf_counter(), _cpu_seconds()
    db_api = _db_api(backend, spark)
    link_type = "dedupe_only" if right is None else "link_only"
    names = ["records_a", "records_b"][: len(prepared)]
    ids = pd.concat([p["unique_id"] for p in prepared], ignore_index=True)
    tables = []
    for p, n in zip(prepared, names, strict=True):
        if backend == "duckdb":
            # Copy into a DuckDB table once: a registered pandas frame would be re-read (and its
            # Python strings converted) by every query, and kept alive in memory alongside.
            con = db_api.duckdb_con
            con.register("_shequ_incoming", p)
            con.execute(f"CREATE TABLE {n}_input AS SELECT * FROM _shequ_incoming")  # noqa: S608
            con.unregister("_shequ_incoming")
            tables.append(db_api.register(f"{n}_input", dataset_display_name=n))
        else:
            tables.append(db_api.register(p, dataset_display_name=n))
    total = sum(len(p) for p in prepared)
    if backend == "duckdb":
        del p
        prepared = []
    linker = Linker(
        tables if right is not None else tables[0],
        settings_dict(link_type, household_guard=household_guard),
        log_level=logging.WARNING,
    )
    try:
        linker.training.estimate_probability_two_random_records_match(PRIOR_RULES, recall=0.8)
    except Exception:  # too little data for the deterministic rules
        logger.info("prior estimation failed; using the default prior")
    _clamp_prior(linker)
    u_pairs = min(u_max_pairs, total * total / 4 + 1)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    for rule in TRAINING_RULES:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=em_max_pairs
            )
        except Exception as exc:  # a blocking pass with no pairs leaves the priors in place
            logger.info("EM pass %s skipped: %s", rule, type(exc).__name__)
    if decisions is not None and decisions.matches:
        _train_m_from_matches(linker, db_api, decisions, names if right is not None else ["records_a"])
    _clamp_prior(linker)
    if right is not None:
        _remove_matches_from_u(linker, u_pairs)
    timings["train"] = time.perf_counter() - t1
    timings["train_cpu"] = _cpu_seconds() - c1

    t2, c2 = time.perf_counter(), _cpu_seconds()
    predictions = linker.inference.predict(threshold_match_probability=min_probability, warning_mode="never")
    raw = predictions.as_pandas_dataframe()
    timings["predict"] = time.perf_counter() - t2
    timings["predict_cpu"] = _cpu_seconds() - c2
    pairs = _tidy_pairs(raw)
    pairs = apply_decisions(pairs, decisions)
    model = linker.misc.save_model_to_json()
    return LinkResult(
        pairs=pairs,
        record_ids=ids,
        threshold=threshold,
        model=model,
        timings=timings,
        household_guard=household_guard,
    )


def _cpu_seconds() -> float:
    """CPU time of this process, all threads included (DuckDB's worker threads too)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _clamp_prior(linker) -> None:
    """On a handful of records the estimated prior can reach 1 (or 0), and Splink then takes log2 of 1 - p:
    keep it inside (1e-9, 0.99). Reaches into Splink's settings object; if that moves, leave the prior alone."""
    try:
        cms = linker._settings_obj.core_model_settings
        p = cms.probability_two_random_records_match
        cms.probability_two_random_records_match = min(max(float(p), 1e-9), 0.99)
    except (AttributeError, TypeError, ValueError):
        logger.info("could not clamp the prior")


MIN_PAIRS_TO_REMOVE_MATCHES = 100_000


def _remove_matches_from_u(linker, sampled_pairs: float) -> None:
    """Take the true matches back out of the u probabilities.

    Splink estimates u from random record pairs as if none of them matched. When a large share of
    the records have a partner (linking two files of the same people: FEBRL's 5,000 true pairs
    among 25 million, prior 2e-4) the sample holds hundreds of matches, and for the rare agreeing
    levels they dominate the count: "same name" or "same ID" then looks several times commoner
    among non-matches than it is, and each agreement is under-weighted by 2–4 bits. The sample
    is a mixture, u_seen = (1 - λ)·u + λ·m with λ the prior, so u = (u_seen - λ·m) / (1 - λ), but
    never below one standard error of u_seen (sqrt(u_seen / n) for n sampled pairs): where the
    matches are nearly the whole count, the difference is noise and the sample cannot tell u apart
    from zero.

    Only when linking two files: there λ is large (each record has at most one partner among the
    other file's) and the correction matters. A deduplication keeps Splink's estimate: on a big
    population λ is ~1e-6 and the correction changes nothing, and on a small one (a few thousand
    records) the sharper birth-date weight it gives would merge twins whose one record lacks its
    ID number — twins (same surname, birthday, sex, household) are exactly the pairs that break the
    independence the correction relies on, and the conservative u is what keeps them apart. Below
    MIN_PAIRS_TO_REMOVE_MATCHES sampled pairs (a few hundred records) the prior and the counts are
    both too rough to subtract one from the other, and u is left as estimated. Reaches into
    Splink's settings object; if that moves, the u probabilities are left as estimated too.
    """
    if sampled_pairs < MIN_PAIRS_TO_REMOVE_MATCHES:
        return
    try:
        lam = float(linker._settings_obj.core_model_settings.probability_two_random_records_match)
        n = max(float(sampled_pairs), 1.0)
        for comparison in linker._settings_obj.comparisons:
            for level in comparison.comparison_levels:
                if level.is_null_level:
                    continue
                m, u = level.m_probability, level._u_probability
                if not isinstance(m, float) or not isinstance(u, float) or u <= 0:
                    continue  # untrained or unobserved levels keep their defaults
                level.u_probability = min(u, max((u - lam * m) / (1 - lam), math.sqrt(u / n)))
    except (AttributeError, TypeError, ValueError):
        logger.info("could not take matches out of u")


def _train_m_from_matches(linker, db_api, decisions: Decisions, names: list[str]) -> None:
    rows = [
        {"source_dataset_l": names[0], "unique_id_l": a, "source_dataset_r": names[-1], "unique_id_r": b}
        for a, b in decisions.matches
    ]
    try:
        labels = db_api.register(pd.DataFrame(rows))
        linker.training.estimate_m_from_pairwise_labels(labels)
    except Exception as exc:  # labels that name unknown records: the override still applies
        logger.info("m from labels skipped: %s", type(exc).__name__)


def _tidy_pairs(raw: pd.DataFrame) -> pd.DataFrame:
    cols = {"unique_id_l": "record_id_1", "unique_id_r": "record_id_2"}
    keep = ["unique_id_l", "unique_id_r", "match_probability", "match_weight"]
    comps = [c["output_column_name"] for c in comparisons()]
    for c in comps:
        if f"gamma_{c}" in raw.columns:
            keep.append(f"gamma_{c}")
        if f"mw_{c}" in raw.columns:
            keep.append(f"mw_{c}")
    out = raw[keep].rename(columns=cols)
    for c in comps:
        if f"gamma_{c}" in out.columns:
            out[f"gamma_{c}"] = out[f"gamma_{c}"].astype("int8")
        if f"mw_{c}" in out.columns:
            out[f"mw_{c}"] = out[f"mw_{c}"].astype("float32")
    return out.reset_index(drop=True)
