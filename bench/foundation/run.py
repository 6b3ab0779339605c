"""Foundation benchmark: seed a street of N residents into PostgreSQL (time, peak memory), then measure the
p50/p95/p99 of scoped search, the household page and the street home page, and write results.md.

    uv run python bench/foundation/run.py --residents 1000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/shequ_bench
    uv run python bench/foundation/run.py --residents 30000 --database-url ... # a quick run
    uv run python bench/foundation/run.py --skip-seed ...                      # reuse the seeded database
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GOALS_MS = {"search": 100, "household": 150, "home": 300}

# What the first 1,000,000-resident run showed (EXPLAIN ANALYZE) and what was changed; kept here so a
# re-run writes them again.
NOTES = [
    "- **Street home page, before.** The street officer's scope was `person.community.street_id = S`: every "
    "person (and, for the tag roll-ups, every tag's person) was joined to all 22,175 places and the 1.1 GB "
    "person table was read by a parallel sequential scan (≈0.6–0.9 s per pass on this machine). The page ran "
    "five such passes (age pyramid, people per community, and three tag roll-ups that hash-joined 375k tags "
    "to 1M people, 1.5–3 s each; PostgreSQL's JIT added ≈0.34 s to the largest): by the EXPLAIN ANALYZE "
    "timings of its queries, ≈10 s for the whole view under this load.",
    "- **Changed (shequ/ledger):** (1) a street grant now filters by the street's community ids "
    "(`community_id IN (…)`, one small query) instead of joining to the place tree, which also gives the "
    "planner right row estimates; (2) migration `0002_rollup_indexes`: `person_alive_age_idx` on "
    "(community, birth_date, sex, hukou_is_local, id) WHERE alive and not merged, and `person_tag_join_idx` "
    "on (id, community, home_compound), so the roll-ups are index-only scans (a 1M-row pass fell from "
    "≈1.5 s to ≈0.4–0.65 s under this load; the indexes are plain B-trees and work on SQLite too); "
    "(3) the age pyramid is one GROUP BY over a CASE band instead of 38 COUNT … FILTER columns (2× faster, "
    "same numbers); (4) street-wide roll-ups (pyramid, vulnerable by compound, counts, per-community rows) "
    "are cached for `SHEQU_STREET_ROLLUP_SECONDS` (60 s; 0 under tests), keyed by the grants, so every "
    "street user shares one computation per minute; community and smaller scopes are always computed "
    "fresh; (5) the seed runs `VACUUM (ANALYZE)` on PostgreSQL so index-only scans work from the start.",
    "- **Result:** the per-query gains (EXPLAIN ANALYZE, same load) did not bring the computed street page "
    "anywhere near 300 ms: computed each time it still takes ≈9–11 s here, dominated by `ledger_counts` "
    "(households of the street through dwellings, and the tag join) and the tag roll-ups. The goal is met "
    "only as deployed, with the one-minute shared roll-up cache (p95 244 ms; the request that refills the "
    "cache pays the ≈10 s). Next steps, if the street page must be fresh to the second: keep "
    "`community_id`/`home_compound_id` on `GroupTag` (written by `tag_add` and `_refresh_home`) so tag "
    "roll-ups read one narrow table, count households per community from a roll-up table refreshed by a task "
    "(or refill the cache from a task so no visitor waits), and `jit=off` for the application's PostgreSQL "
    "connections.",
    "- **Household page and search** are scoped to one community (≈8,800 residents here) and are a handful of "
    "indexed queries; the selector part of the household page is p50 133 ms and the rest is the view, "
    "middleware and template (14 queries at 30k, each a primary-key or indexed look-up). The load average "
    "of 14–17 on 2 cores during this run inflated every query (a primary-key look-up measured 10–20 ms); "
    "these two goals (household p95 606 ms vs 150; name/initials search p95 110/124 ms vs 100) are missed on "
    "this run and should be re-measured on an idle machine before drawing conclusions about the code.",
]


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=1_000_000)
    ap.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/shequ_bench")
    ap.add_argument("--skip-seed", action="store_true", help="reuse the database as it is")
    ap.add_argument("--repeat", type=int, default=200, help="queries per measurement")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default=str(HERE / "results.md"))
    return ap.parse_args()


# ------------------------------------------------------------------------------------------------ setup


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_child(argv: list[str], env: dict) -> tuple[float, int, str]:
    """Run a `shequ` command in a child process: wall seconds, peak RSS (KiB) of it and its workers, stderr tail."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "shequ.manage", *argv], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed with {proc.returncode}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before), proc.stdout


# ------------------------------------------------------------------------------------------------ measuring


def percentiles(samples: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {"n": len(ms), "p50": q[49], "p95": q[94], "p99": q[98], "max": ms[-1]}


def timed(fn, inputs: list, warmup: int = 5) -> list[float]:
    for x in inputs[:warmup]:
        fn(x)
    out = []
    for x in inputs:
        t = time.perf_counter()
        fn(x)
        out.append(time.perf_counter() - t)
    return out


def household_url_for(pk: int) -> str | None:
    """The household page's URL, found by name so the bench follows whatever the ledger app calls it."""
    from django.urls import NoReverseMatch, reverse

    for name in ("ledger:household", "ledger:household_detail", "ledger:household-detail"):
        for kwargs in ({"pk": pk}, {"household_id": pk}, {"id": pk}):
            try:
                return reverse(name, kwargs=kwargs)
            except NoReverseMatch:
                continue
    return None


def measure(repeat: int, seed: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from shequ.accounts.models import User
    from shequ.core import pii
    from shequ.core.jurisdiction import clear_cache
    from shequ.ledger import selectors
    from shequ.ledger.models import Household, Person

    setup_test_environment()  # lets the test client run against this database and allows 'testserver'
    rng = random.Random(seed)
    worker = User.objects.get(username="shequ-worker")
    officer = User.objects.get(username="shequ-street")
    community_id = worker.role_assignments.get().place_id
    ids = list(
        Person.objects.filter(community_id=community_id, home__isnull=False).values_list("id", flat=True)
    )
    sample_ids = rng.sample(ids, min(len(ids), repeat * 2))
    people = list(Person.objects.filter(id__in=sample_ids).select_related("home"))
    rng.shuffle(people)
    people = (people * 3)[: repeat * 2]

    def inputs_for(kind: str) -> list[str]:
        out = []
        for p in people:
            if kind == "name":
                value = p.name if rng.random() < 0.7 else p.name[: max(1, len(p.name) - 1)]
            elif kind == "pinyin":
                value = p.name_pinyin
            elif kind == "initials":
                value = p.name_initials
            elif kind == "phone_tail":
                value = p.phone_tail
            elif kind == "address":
                value = p.home.address
            else:
                value = pii.decrypt(p.id_number_encrypted)
            if value:
                out.append(value)
            if len(out) == repeat:
                break
        return out

    results: dict = {"search": {}, "household": {}, "home": {}}
    for kind in ("name", "pinyin", "initials", "phone_tail", "address", "id_number"):
        inputs = inputs_for(kind)
        hits = []

        def search(q, hits=hits):
            hits.append(len(selectors.person_search(actor=worker, query=q)))

        samples = timed(search, inputs)
        results["search"][kind] = {**percentiles(samples), "mean_hits": statistics.mean(hits)}
    all_search = [s for kind in results["search"].values() for s in [kind]]
    del all_search

    # Household page as the community worker, through the real view when the ledger app has one.
    household_ids = list(
        Household.objects.filter(dwelling__community_id=community_id).values_list("id", flat=True)
    )
    hh_sample = [rng.choice(household_ids) for _ in range(repeat)]
    client = Client()
    client.force_login(worker)
    url0 = household_url_for(hh_sample[0])
    if url0:

        def page(pk):
            response = client.get(household_url_for(pk))
            assert response.status_code == 200, response.status_code
            _ = response.content

        results["household"]["view"] = {**percentiles(timed(page, hh_sample)), "url": url0}
    else:
        results["household"]["view"] = None

    def detail(pk):
        hh = selectors.households_visible_to(worker).get(pk=pk)
        selectors.household_detail(actor=worker, household=hh)

    results["household"]["selector"] = percentiles(timed(detail, hh_sample))

    # The street officer's home page: the aggregates, then the whole view; computed every time (cold, the
    # street roll-up cache off), then as deployed (the roll-ups cached for a minute, shared by street users).
    from django.conf import settings
    from django.core.cache import cache

    home_repeat = max(20, repeat // 4)
    clear_cache(officer)
    settings.SHEQU_STREET_ROLLUP_SECONDS = 0

    def aggregates(_):
        selectors.age_pyramid(actor=officer)
        selectors.vulnerable_by_compound(actor=officer)
        selectors.ledger_counts(actor=officer)

    for name, fn in (
        ("age_pyramid", lambda _: selectors.age_pyramid(actor=officer)),
        ("vulnerable_by_compound", lambda _: selectors.vulnerable_by_compound(actor=officer)),
        ("ledger_counts", lambda _: selectors.ledger_counts(actor=officer)),
        ("aggregates", aggregates),
    ):
        results["home"][name] = percentiles(timed(fn, list(range(home_repeat)), warmup=2))
    officer_client = Client()
    officer_client.force_login(officer)

    def home(_):
        response = officer_client.get("/")
        assert response.status_code == 200, response.status_code
        _ = response.content

    results["home"]["view"] = percentiles(timed(home, list(range(home_repeat)), warmup=2))
    settings.SHEQU_STREET_ROLLUP_SECONDS = 60
    cache.clear()
    first = time.perf_counter()
    home(0)
    results["home"]["view_cached_first"] = (time.perf_counter() - first) * 1000
    results["home"]["view_cached"] = percentiles(timed(home, list(range(repeat)), warmup=0))
    settings.SHEQU_STREET_ROLLUP_SECONDS = 0
    worker_home = Client()
    worker_home.force_login(worker)

    def home_worker(_):
        response = worker_home.get("/")
        assert response.status_code == 200
        _ = response.content

    results["home"]["view_community_worker"] = percentiles(
        timed(home_worker, list(range(home_repeat)), warmup=2)
    )
    results["scope"] = {
        "community_people": len(ids),
        "community_households": len(household_ids),
        "street_people": Person.objects.count(),
    }
    results["db_size"] = _db_size(connection)
    return results


def _db_size(connection) -> str:
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        return cursor.fetchone()[0]


def machine(connection) -> dict:
    cpu = ""
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as fh:
        mem_kib = int(fh.readline().split()[1])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "postgresql": pg,
        "load_average": os.getloadavg(),
    }


# ------------------------------------------------------------------------------------------------ report


def verdict(p95: float, goal: float) -> str:
    return "met" if p95 < goal else "**missed**"


def write_report(path: Path, data: dict) -> None:
    m, r = data["machine"], data["results"]
    lines = [
        "## Foundation: seeding, scoped search, household page, street home page",
        "",
        f"Run {data['date']} with `{data['command']}`.",
        "",
        f"Machine: {m['nproc']} CPU ({m['cpu']}), {m['ram_gib']} GiB RAM, Python {m['python']}, "
        f"PostgreSQL {m['postgresql']}. Load average at the start of the measurements: "
        f"{', '.join(f'{x:.1f}' for x in data['load_before'])}; at the end: "
        f"{', '.join(f'{x:.1f}' for x in m['load_average'])} (the machine was shared with other jobs).",
        "",
        "### Seeding",
        "",
    ]
    seed = data.get("seed")
    if seed:
        lines += [
            f"`shequ seed --residents {data['residents']:,} --no-apps` (places and the ledger; other apps' demo "
            f"data excluded): **{seed['seconds']:.0f} s** wall "
            f"({seed['seconds'] / 60:.1f} min), peak RSS **{seed['peak_rss_mib']:.0f} MiB** "
            "(largest process of the seed and its encryption workers); migrations took "
            f"{seed['migrate_seconds']:.0f} s.",
            "",
        ]
    else:
        lines += ["(seeding skipped: the database was reused)", ""]
    lines += ["Rows per table:", "", "| table | rows |", "|---|---:|"]
    lines += [f"| {k} | {v:,} |" for k, v in data["counts"].items()]
    lines += [
        "",
        f"Database size: {r['db_size']}. The measured community worker's community holds "
        f"{r['scope']['community_people']:,} residents in {r['scope']['community_households']:,} households.",
        "",
        "### Latency (milliseconds)",
        "",
        "| measurement | n | p50 | p95 | p99 | max | goal (p95) | |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]

    def row(label: str, s: dict | None, goal: float | None) -> str:
        if not s:
            return f"| {label} | – | – | – | – | – | {goal or ''} | not available |"
        mark = verdict(s["p95"], goal) if goal else ""
        return (
            f"| {label} | {s['n']} | {s['p50']:.1f} | {s['p95']:.1f} | {s['p99']:.1f} | {s['max']:.1f} | "
            f"{'< ' + str(goal) if goal else ''} | {mark} |"
        )

    for kind, s in r["search"].items():
        lines.append(
            row(f"search · {kind} (community worker; mean hits {s['mean_hits']:.1f})", s, GOALS_MS["search"])
        )
    lines.append(
        row("household page · view (community worker)", r["household"]["view"], GOALS_MS["household"])
    )
    lines.append(row("household page · selector only", r["household"]["selector"], None))
    for key in ("age_pyramid", "vulnerable_by_compound", "ledger_counts"):
        lines.append(row(f"street home · {key}", r["home"][key], None))
    lines.append(row("street home · the three aggregates", r["home"]["aggregates"], GOALS_MS["home"]))
    lines.append(
        row(
            "street home · whole view, computed each time (street officer)",
            r["home"]["view"],
            GOALS_MS["home"],
        )
    )
    lines.append(
        row(
            "street home · whole view, roll-ups cached 60 s (street officer)",
            r["home"]["view_cached"],
            GOALS_MS["home"],
        )
    )
    lines.append(row("home · whole view (community worker)", r["home"]["view_community_worker"], None))
    lines += [
        "",
        f"The first street home page after the roll-up cache expires takes {r['home']['view_cached_first']:.0f} ms "
        "(it computes the roll-ups once for every street user for the next 60 s).",
        "",
        "Each search kind runs the scoped `person_search` selector for a community worker with inputs drawn from",
        "real people of that community (full or partial name in 汉字, full pinyin, initials, phone tail, full",
        "address, full ID number). Household pages are fetched through `django.test.Client` (the real view,",
        "middleware and template) for random households of that community; the home page is fetched as the",
        "street officer (whole street) and as the community worker.",
        "",
    ]
    if data.get("notes"):
        lines += ["### Notes", "", *data["notes"], ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    args = parse_args()
    env = {**os.environ, "DATABASE_URL": args.database_url, "DJANGO_SETTINGS_MODULE": "shequ.settings"}
    env.setdefault("SHEQU_VAR_DIR", tempfile.mkdtemp(prefix="shequ-bench-"))
    os.environ.update(env)
    seed_info = None
    if not args.skip_seed:
        recreate_database(args.database_url)
        # the bench database runs on the development keys: skip the start-up check that refuses them (core.checks)
        migrate_seconds, _, _ = run_child(["migrate", "--noinput", "-v0", "--skip-checks"], env)
        seconds, peak_kib, out = run_child(
            [
                "seed",
                "--residents",
                str(args.residents),
                "--seed",
                str(args.seed),
                "--no-apps",
                "--skip-checks",
            ],
            env,
        )
        sys.stdout.write(out)
        seed_info = {"seconds": seconds, "peak_rss_mib": peak_kib / 1024, "migrate_seconds": migrate_seconds}

    import django

    django.setup()
    from django.db import connection

    from shequ.demo.seed import table_counts

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    load_before = os.getloadavg()
    results = measure(args.repeat, args.seed)
    data = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "uv run python bench/foundation/run.py " + " ".join(sys.argv[1:]),
        "residents": args.residents,
        "seed": seed_info,
        "counts": table_counts(),
        "results": results,
        "machine": machine(connection),
        "load_before": load_before,
        "notes": NOTES,
    }
    out = Path(args.out)
    write_report(out, data)
    out.with_suffix(".json").write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str))
    print(out.read_text())


if __name__ == "__main__":
    main()
