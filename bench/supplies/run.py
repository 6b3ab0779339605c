"""Supplies and living-guarantee benchmarks (issue #6):

1. pairing 10,000 vulnerable residents with 3,000 helpers (OR-Tools min-cost flow)   goal < 10 s
2. aggregating 50,000 group-buy orders into the merchant's order and pick lists        goal < 5 s
   (in memory, and from PostgreSQL rows through the same selector the page uses)
3. the stock pages at 1,000 items x 100 stores in PostgreSQL                            goal p95 < 200 ms

    uv run python bench/supplies/run.py            # all three (creates/reuses DB shequ_bench_supplies)
    uv run python bench/supplies/run.py --only pairing,aggregate
    uv run python bench/supplies/run.py --quick    # 10 requests per page state, one aggregation run

Writes bench/supplies/results.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "shequ_bench_supplies"
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
os.environ.setdefault("SHEQU_TASKS_IMMEDIATE", "1")

results: list[str] = []


def report(line: str) -> None:
    print(line, flush=True)
    results.append(line)


# 1. pairing ------------------------------------------------------------------------------------------------------


def bench_pairing(seed: int = 7) -> None:
    from shequ.livelihood import optimise

    rng = random.Random(seed)
    communities, compounds_per, buildings_per = 10, 15, 12  # 1,800 buildings
    buildings = [
        (c, c * 100 + k, (c * 100 + k) * 100 + b)
        for c in range(communities)
        for k in range(compounds_per)
        for b in range(buildings_per)
    ]
    # Vulnerable residents cluster in old buildings; helpers are spread more evenly and are fewer.
    weights = [rng.paretovariate(1.5) for _ in buildings]
    residents = []
    for i in range(10_000):
        c, k, b = rng.choices(buildings, weights)[0]
        residents.append(optimise.Resident(i, b, k, c))
    helpers = []
    for j in range(3_000):
        c, k, b = rng.choice(buildings)
        located = rng.random() < 0.85  # some helpers (sunk cadres) have only a compound
        helpers.append(
            optimise.Helper(100_000 + j, b if located else None, k, c, capacity=rng.choice([3, 4, 4, 5]))
        )
    t0 = time.perf_counter()
    result = optimise.pair(residents, helpers)
    elapsed = time.perf_counter() - t0
    tiers = {"building": 0, "compound": 0, "community": 0}
    loads: dict[int, int] = {}
    for helper, tier in result.values():
        tiers[tier] += 1
        loads[helper] = loads.get(helper, 0) + 1
    cap = {h.key: h.capacity for h in helpers}
    assert all(loads[h] <= cap[h] for h in loads)
    # The best any assignment could do within buildings: per building min(residents, helper capacity there).
    res_in = {}
    cap_in = {}
    for r in residents:
        res_in[r.building] = res_in.get(r.building, 0) + 1
    for h in helpers:
        if h.building is not None:
            cap_in[h.building] = cap_in.get(h.building, 0) + h.capacity
    bound = sum(min(n, cap_in.get(b, 0)) for b, n in res_in.items())
    n = len(residents)
    report("### Pairing (结对) — OR-Tools SimpleMinCostFlow")
    report("")
    report(
        f"- data: {n:,} vulnerable residents, {len(helpers):,} helpers (capacity 3–5, total "
        f"{sum(cap.values()):,}), {len(buildings):,} buildings in {communities} communities; residents "
        "clustered (Pareto weights), 15% of helpers located only by compound"
    )
    report(f"- time: **{elapsed:.2f} s** (goal < 10 s)")
    report(f"- paired: {len(result):,} / {n:,} ({len(result) / n:.1%})")
    report(
        f"- **paired within their own building: {tiers['building']:,} ({tiers['building'] / n:.1%})** — "
        f"upper bound given where helpers live: {bound:,} ({bound / n:.1%}); same compound: "
        f"{tiers['compound']:,} ({tiers['compound'] / n:.1%}); elsewhere in the community: "
        f"{tiers['community']:,} ({tiers['community'] / n:.1%})"
    )
    report(
        f"- helper load: max {max(loads.values())}, mean {statistics.mean(loads.values()):.2f}, "
        f"helpers used {len(loads):,}"
    )
    report("")


# 2. aggregation --------------------------------------------------------------------------------------------------


def _lines(n_orders: int, rng: random.Random):
    from shequ.livelihood import optimise

    items = [(i, f"商品{i}", "份", Decimal(rng.randint(500, 9000)) / 100) for i in range(40)]
    lines = []
    for o in range(n_orders):
        building = o % 500
        for it in rng.sample(items, rng.randint(1, 5)):
            lines.append(
                optimise.Line(
                    o,
                    building,
                    f"{building}栋{o % 6 + 1}单元{o % 30 + 101}",
                    f"{o % 999999:06d}",
                    it[0],
                    it[1],
                    it[2],
                    rng.randint(1, 3),
                    it[3],
                )
            )
    return lines


def bench_aggregate_memory(seed: int = 11) -> None:
    from shequ.livelihood import optimise

    rng = random.Random(seed)
    lines = _lines(50_000, rng)
    t0 = time.perf_counter()
    merchant, picks = optimise.aggregate(lines)
    elapsed = time.perf_counter() - t0
    report("### Group-buy aggregation (团购汇总与分拣单)")
    report("")
    report(
        f"- in memory: 50,000 orders, {len(lines):,} order lines, 40 items, 500 buildings → "
        f"{len(merchant)} merchant rows, {len(picks)} pick lists in **{elapsed:.2f} s** (goal < 5 s)"
    )


def bench_aggregate_db(seed: int = 11, repeats: int = 3) -> None:
    """50,000 orders stored in PostgreSQL, read and aggregated through selectors.group_buy_sheets."""
    from django.utils import timezone

    from shequ.ledger.models import Household
    from shequ.livelihood import selectors
    from shequ.livelihood.models import GroupBuy, GroupBuyItem, Merchant, Order, OrderLine
    from shequ.places.models import Dwelling

    rng = random.Random(seed)
    gb = GroupBuy.objects.filter(code="BENCH-AGG").first()
    if gb is None:
        world = _world()
        dwellings = list(Dwelling.objects.filter(street=world["street"]).order_by("id")[:50_000])
        households = {h.dwelling_id: h for h in Household.objects.filter(dwelling__in=dwellings)}
        missing = [Household(dwelling=d) for d in dwellings if d.pk not in households]
        Household.objects.bulk_create(missing, batch_size=5000)
        households = {h.dwelling_id: h for h in Household.objects.filter(dwelling__in=dwellings)}
        merchant = Merchant.objects.create(street=world["street"], name="基准超市", kind="supermarket")
        gb = GroupBuy.objects.create(
            code="BENCH-AGG",
            title="基准团购",
            merchant=merchant,
            place=world["street"],
            cutoff_at=timezone.now() + timedelta(days=1),
        )
        items = GroupBuyItem.objects.bulk_create(
            [
                GroupBuyItem(
                    group_buy=gb,
                    name=f"商品{i}",
                    price=Decimal(rng.randint(500, 9000)) / 100,
                    limit_per_household=3,
                    sort=i,
                )
                for i in range(40)
            ]
        )
        orders = [
            Order(
                number=f"B{i:08d}",
                group_buy=gb,
                household=households[d.pk],
                dwelling=d,
                building_id=d.building_id,
                channel="phone",
                pickup_code=f"{rng.randrange(10**6):06d}",
            )
            for i, d in enumerate(dwellings)
        ]
        Order.objects.bulk_create(orders, batch_size=5000)
        lines = [
            OrderLine(order=o, item=it, quantity=rng.randint(1, 3), price=it.price)
            for o in orders
            for it in rng.sample(items, rng.randint(1, 5))
        ]
        OrderLine.objects.bulk_create(lines, batch_size=10000)
    n_orders = Order.objects.filter(group_buy=gb).count()
    n_lines = OrderLine.objects.filter(order__group_buy=gb).count()
    timings, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        sheets = selectors.group_buy_sheets(gb)
        timings.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    report(
        f"- **headline — from PostgreSQL through `selectors.group_buy_sheets`** (what the sheets page and the "
        f"API run; sums in SQL: GROUP BY item, GROUP BY building and item, one row per order with its lines "
        f"folded): {n_orders:,} orders, {n_lines:,} lines, {len(sheets['merchant'])} merchant rows, "
        f"{len(sheets['picks'])} pick lists → worst **{max(timings):.2f} s**, best {min(timings):.2f} s of "
        f"{repeats} (Python CPU {min(cpu):.2f}–{max(cpu):.2f} s; load average {_load()}) (goal < 5 s)"
    )
    report("")


# 3. stock page ---------------------------------------------------------------------------------------------------


_WORLD: dict = {}


def _world() -> dict:
    """A street with 99 communities (one store each) and a street store; 1,000 items; 100,000 lots; people
    living in each community so days of cover are computed."""
    if _WORLD:
        return _WORLD
    from shequ.accounts.models import RoleAssignment, User
    from shequ.core.jurisdiction import SYSTEM
    from shequ.ledger.models import Person
    from shequ.places import services as places
    from shequ.places.models import Dwelling, Level, Place
    from shequ.supplies.models import Item, StockLot, Store

    street = Place.objects.filter(level=Level.STREET, name="基准街道").first()
    if street is None:
        print("building the bench world (once) …", flush=True)
        rng = random.Random(3)
        street = places.place_create(actor=SYSTEM, level=Level.STREET, name="基准街道", audit=False)
        stores = [Store(place=street, code="BENCH-ST", name="街道应急仓库")]
        for c in range(99):
            community = places.place_create(
                actor=SYSTEM, level=Level.COMMUNITY, name=f"基准{c:02d}社区", parent=street, audit=False
            )
            compound = places.place_create(
                actor=SYSTEM, level=Level.COMPOUND, name="一小区", parent=community, audit=False
            )
            units = []
            for b in range(6):
                building = places.place_create(
                    actor=SYSTEM, level=Level.BUILDING, name=f"{b + 1}栋", parent=compound, audit=False
                )
                units.append(
                    places.place_create(
                        actor=SYSTEM, level=Level.UNIT, name="1单元", parent=building, audit=False
                    )
                )
            dwellings = []
            for u in units:
                for room in range(90):
                    d = Dwelling(unit=u, room=f"{room + 101}", floor=room // 4 + 1)
                    d.fill_lineage()
                    dwellings.append(d)
            Dwelling.objects.bulk_create(dwellings)
            dwellings = list(Dwelling.objects.filter(compound=compound))
            Person.objects.bulk_create(
                [
                    Person(
                        name=f"居民{c}-{i}",
                        name_pinyin="jumin",
                        name_initials="jm",
                        sex="F" if i % 2 else "M",
                        community=community,
                        home=dwellings[i % len(dwellings)],
                        home_compound=compound,
                    )
                    for i in range(rng.randint(800, 1500))
                ],
                batch_size=5000,
            )
            stores.append(Store(place=community, code=f"BENCH-{c:02d}", name=f"基准{c:02d}社区仓库"))
        Store.objects.bulk_create(stores)
        cats = ["mask", "gloves", "disinfectant", "thermometer", "suit", "medicine", "food", "other"]
        Item.objects.bulk_create(
            [
                Item(
                    street=street,
                    code=f"I{i:04d}",
                    name=f"物资{i:04d}",
                    category=cats[i % len(cats)],
                    unit="件",
                    is_countable=i % 5 != 0,
                    daily_norm_per_person=Decimal(rng.randint(0, 200)) / 1000,
                )
                for i in range(1000)
            ]
        )
        items = list(Item.objects.filter(street=street))
        today = datetime.now(UTC).date()
        lots = []
        for store in Store.objects.filter(place__street=street):
            for item in items:
                lots.append(
                    StockLot(
                        store=store,
                        item=item,
                        lot_number="L1",
                        expires_on=today + timedelta(days=rng.randint(-20, 700)),
                        quantity=Decimal(rng.randint(0, 5000)),
                    )
                )
        StockLot.objects.bulk_create(lots, batch_size=10000)
        officer = User.objects.create_user(username="bench_officer", password="bench-pass-123")
        RoleAssignment.objects.create(user=officer, role="street_officer", place=street)
        worker = User.objects.create_user(username="bench_worker", password="bench-pass-123")
        RoleAssignment.objects.create(
            user=worker, role="community_worker", place=Place.objects.get(name="基准00社区")
        )
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    _WORLD["street"] = street
    return _WORLD


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def bench_stock_page(runs: int = 40) -> None:
    """The stock pages and their API lists, warm and right after a real stock movement (an issue of one unit
    through supplies.services, so every cache keyed on the stock is invalidated as in use)."""
    from django.test import Client
    from django.urls import reverse

    from shequ.accounts.models import User
    from shequ.supplies import services
    from shequ.supplies.models import Item, StockLot, Store

    world = _world()
    n_lots = StockLot.objects.filter(store__place__street=world["street"]).count()
    n_stores = Store.objects.filter(place__street=world["street"]).count()
    report("### Stock pages (物资总览 / 仓库) in PostgreSQL")
    report("")
    report(
        f"- data: 1,000 items × {n_stores} stores = {n_lots:,} stock lots; ~110,000 people living in 99 "
        "communities (days of cover computed from them); in-process Django test client (no HTTP server), "
        "wall-clock per request; goal p95 < 200 ms"
    )
    store = Store.objects.get(code="BENCH-00")
    worker = User.objects.get(username="bench_worker")
    items = list(Item.objects.filter(street=world["street"]).order_by("code").values_list("pk", flat=True))
    rng = random.Random(5)

    def move() -> None:
        """Issue one unit of some item that has stock in BENCH-00 (a real movement, audited, in a transaction)."""
        for _ in range(50):
            item = Item.objects.get(pk=rng.choice(items))
            if StockLot.objects.filter(
                store=store,
                item=item,
                quantity__gte=1,
                expires_on__gte=datetime.now(UTC).date() + timedelta(days=1),
            ).exists():
                services.stock_issue(actor=worker, store=store, item=item, quantity=1, recipient="基准领用")
                return
        raise RuntimeError("no stock left to issue in BENCH-00")

    pages = [
        ("物资总览 /supplies/", "street officer (100 stores)", "bench_officer", reverse("supplies:stock")),
        ("物资总览 /supplies/", "community worker (1 store)", "bench_worker", reverse("supplies:stock")),
        (
            "仓库 /supplies/stores/<id>/ (1,000 item rows, 50 a page, forms)",
            "community worker",
            "bench_worker",
            reverse("supplies:store_detail", args=[store.pk]),
        ),
        ("API GET /api/v1/supplies/stock/", "street officer", "bench_officer", "/api/v1/supplies/stock/"),
        (
            "API GET /api/v1/supplies/stores/<id>/stock/ (50 a page of 1,000 rows)",
            "community worker",
            "bench_worker",
            f"/api/v1/supplies/stores/{store.pk}/stock/",
        ),
    ]
    report("")
    report("| page | as | state | n | p50 ms | p95 ms | max ms | CPU p50 ms | goal | load avg (1/5/15 min) |")
    report("|---|---|---|---|---|---|---|---|---|---|")
    misses = []
    for label, who, username, url in pages:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for _ in range(3):
            assert client.get(url).status_code == 200
        for state in ("warm", "after a stock movement"):
            times, cpu = [], []
            for _ in range(runs):
                if state != "warm":
                    move()
                t0, c0 = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                assert response.status_code == 200
            p95 = _p(times, 0.95)
            if p95 >= 200:
                misses.append(f"{label} / {who} / {state}")
            report(
                f"| {label} | {who} | {state} | {runs} | {statistics.median(times):.0f} | **{p95:.0f}** | "
                f"{max(times):.0f} | {statistics.median(cpu):.0f} | < 200 | {_load()} |"
            )
    report("")
    # Does PostgreSQL JIT-compile the 100k-lot aggregate (jit_above_cost 100,000 by default)?
    import json

    from django.db.models import Q, Sum

    today = datetime.now(UTC).date()
    plan = json.loads(
        StockLot.objects.filter(store__in=list(Store.objects.filter(place__street=world["street"])))
        .values("item_id")
        .annotate(usable=Sum("quantity", filter=Q(expires_on__isnull=True) | Q(expires_on__gte=today)))
        .explain(format="json", analyze=True)
    )[0]
    report(
        f"- the officer's aggregate over {n_lots:,} lots: planner cost {plan['Plan']['Total Cost']:.0f}, "
        f"executed in {plan['Execution Time']:.0f} ms, JIT {'used' if 'JIT' in plan else 'not used'} "
        "(so `jit=off` is not needed)"
    )
    report("")
    if misses:
        report(f"**Stock page goal (p95 < 200 ms) NOT met** for: {'; '.join(misses)}.")
    else:
        report("**Stock page goal (p95 < 200 ms) met** for every page, warm and right after a movement.")
    report("")


def ensure_db() -> None:
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-tc",
            f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'",
        ],
        check=True,
        capture_output=True,
    )
    exists = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'",
        ],
        capture_output=True,
        text=True,
    )
    if exists.stdout.strip() != "1":
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"CREATE DATABASE {DB_NAME}"], check=True
        )
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="pairing,aggregate,stock")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="10 requests per page state and one aggregation run (about 2 min)",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    import django

    django.setup()
    if only & {"aggregate", "stock"}:
        ensure_db()
    started = datetime.now(UTC)
    t_start = time.perf_counter()
    load_start = _load()
    if "pairing" in only:
        bench_pairing()
    if "aggregate" in only:
        bench_aggregate_memory()
        bench_aggregate_db(repeats=1 if args.quick else 3)
    if "stock" in only:
        bench_stock_page(runs=10 if args.quick else 40)
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    header = [
        "# Supplies and living-guarantee benchmarks",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC on {platform.node()}: {cpu}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, PostgreSQL 15 (database `{DB_NAME}`, local, default settings). "
        f"Command: `uv run python bench/supplies/run.py{' --quick' if args.quick else ''}"
        f"{'' if args.only == 'pairing,aggregate,stock' else ' --only ' + args.only}`. "
        f"Load average at start {load_start}, at end {_load()}; took {time.perf_counter() - t_start:.0f} s.",
        "",
    ]
    (HERE / "results.md").write_text("\n".join(header + results) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
