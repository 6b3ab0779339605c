"""Import throughput: N rows of a people register (CSV, GBK, as Chinese Excel writes it) into PostgreSQL with
shequ's validation (ID check digit and birth date/sex consistency, phones, addresses resolved against the place
tree, PII sealed, row fingerprints), against a bare `COPY` of the same file into a text table, in the same run.

    uv run python bench/imports/run.py              # 1,000,000 rows
    uv run python bench/imports/run.py --quick      # 100,000 rows
    uv run python bench/imports/run.py --render     # results.md again from results.json
    uv run python bench/imports/run.py --database-url postgres://postgres@127.0.0.1:5432/shequ_bench_imports

Writes bench/imports/results.md (and results.json)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

COMPOUNDS = [
    "阳光花园", "锦绣苑", "金桂园", "翠湖小区", "丽景湾", "枫林苑", "和平里", "幸福家园", "康乐小区", "碧水蓝天",
    "紫荆花园", "滨江名都", "书香苑", "百合园", "东方明珠苑", "龙湖苑", "桂花巷小区", "南苑新村", "北辰小区", "星河湾",
]  # fmt: skip
BUILDINGS, UNITS, FLOORS, ROOMS_PER_FLOOR = 10, 3, 18, 2
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华玉兰志强桂兰海燕子涵浩然梓萱欣怡"
HEADERS = [
    "序号",
    "姓名",
    "性别",
    "公民身份号码",
    "出生日期",
    "联系电话",
    "现住址",
    "与户主关系",
    "人员身份",
    "备注",
]
CN = "零一二三四五六七八九"


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 rows")
    ap.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/shequ_bench_imports")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default=str(HERE / "results.md"))
    args = ap.parse_args()
    if args.quick:
        args.rows = 100_000
    return args


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def cn_number(n: int) -> str:
    if n < 10:
        return CN[n]
    if n < 20:
        return "十" + (CN[n % 10] if n % 10 else "")
    return CN[n // 10] + "十" + (CN[n % 10] if n % 10 else "")


def write_file(path: Path, rows: int, seed: int) -> dict:
    """A GBK CSV like a community's register: mixed address styles and date formats, ~3% bad rows."""
    from shequ.core import idnumbers

    rng = random.Random(seed)
    bad = {"id": 0, "address": 0, "phone": 0}
    today = date(2026, 1, 1)
    with open(path, "w", encoding="gbk", newline="") as out:
        out.write(",".join(HEADERS) + "\r\n")
        for i in range(rows):
            born = today - timedelta(days=rng.randint(365, 95 * 365))
            female = rng.random() < 0.5
            number = idnumbers.make("510107", born, rng.randint(0, 999), female=female)
            compound = rng.choice(COMPOUNDS)
            b, u = rng.randint(1, BUILDINGS), rng.randint(1, UNITS)
            room = f"{rng.randint(1, FLOORS)}{rng.randint(1, ROOMS_PER_FLOOR):02d}"
            style = rng.random()
            if style < 0.5:
                address = f"{compound}{b}栋{u}单元{room}"
            elif style < 0.8:
                address = f"{compound}{b}-{u}-{room}"
            elif style < 0.9:
                address = f"武侯区{compound}{cn_number(b)}号楼{cn_number(u)}单元{room}室"
            else:
                address = f"{compound}{b}幢{u}单元{room}号"
            roll = rng.random()
            if roll < 0.01:
                number = number[:17] + ("0" if number[17] != "0" else "1")
                bad["id"] += 1
            elif roll < 0.02:
                address = f"{compound}{b}栋{u}单元{FLOORS + 5}01"
                bad["address"] += 1
            phone = f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}"
            if 0.02 <= roll < 0.03:
                phone = phone[:7]
                bad["phone"] += 1
            birth = rng.choice(
                [
                    born.isoformat(),
                    f"{born.year}.{born.month}.{born.day}",
                    f"{born.year}年{born.month}月{born.day}日",
                    "",
                ]
            )
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            line = [
                str(i + 1),
                name,
                "女" if female else "男",
                number,
                birth,
                phone,
                address,
                rng.choice(["户主", "配偶", "子", "女", "父亲", "母亲"]),
                rng.choice(["户籍", "业主", "租户", "居住"]),
                "",
            ]
            out.write(",".join(line) + "\r\n")
    return bad


def build_places() -> tuple:
    """A street, one community, 20 compounds × 10 buildings × 3 units × 36 dwellings (21,600), once."""
    from shequ.core.jurisdiction import SYSTEM
    from shequ.places import services as places
    from shequ.places.models import Dwelling, Level, Place

    street = Place.objects.filter(level=Level.STREET, name="玉林街道").first()
    if street is None:
        street = places.place_create(
            actor=SYSTEM, level=Level.STREET, name="玉林街道", division_code="510107001000"
        )
        community = places.place_create(
            actor=SYSTEM, level=Level.COMMUNITY, name="玉林社区", parent=street, division_code="510107001001"
        )
        for name in COMPOUNDS:
            compound = places.place_create(actor=SYSTEM, level=Level.COMPOUND, name=name, parent=community)
            for b in range(1, BUILDINGS + 1):
                building = places.place_create(
                    actor=SYSTEM, level=Level.BUILDING, name=f"{b}栋", parent=compound, floors=FLOORS
                )
                for u in range(1, UNITS + 1):
                    unit = places.place_create(
                        actor=SYSTEM, level=Level.UNIT, name=f"{u}单元", parent=building
                    )
                    dwellings = []
                    for floor in range(1, FLOORS + 1):
                        for r in range(1, ROOMS_PER_FLOOR + 1):
                            d = Dwelling(unit=unit, room=f"{floor}{r:02d}", floor=floor)
                            d.unit = unit
                            d.fill_lineage()
                            dwellings.append(d)
                    Dwelling.objects.bulk_create(dwellings)
    community = Place.objects.get(level=Level.COMMUNITY, name="玉林社区")
    return street, community


def backend_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine: read from /proc)."""
    from django.db import connection

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BackendCpu:
    """CPU seconds used by this process's PostgreSQL backends while a block runs, across reconnects: the fast path
    closes the connection before it forks its workers, and its COPY opens a new one. A backend is read just before
    it closes; the next one is counted from its start."""

    def __enter__(self) -> BackendCpu:
        from django.db import connection

        self.seconds = 0.0
        self._since = backend_cpu()
        close = connection.close

        def read_then_close() -> None:
            if connection.connection is not None:
                self.seconds += backend_cpu() - self._since
                self._since = 0.0
            close()

        connection.close = read_then_close
        return self

    def __exit__(self, *exc: object) -> None:
        from django.db import connection

        del connection.close
        self.seconds += backend_cpu() - self._since


def bare_copy(path: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and the PostgreSQL backend) of a bare COPY of the file."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_raw")
        cursor.execute(
            "CREATE TABLE bench_copy_raw (" + ", ".join(f"c{i} text" for i in range(len(HEADERS))) + ")"
        )
    pg = connection.connection
    cpu = time.process_time() + backend_cpu()
    started = time.perf_counter()
    with (
        pg.cursor() as cursor,
        cursor.copy("COPY bench_copy_raw FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'GBK')") as copy,
        open(path, "rb") as handle,
    ):
        while data := handle.read(1 << 20):
            copy.write(data)
    pg.commit() if not pg.autocommit else None
    return time.perf_counter() - started, time.process_time() + backend_cpu() - cpu


def floor_copy(rows: int) -> tuple[float, float, float]:
    """The least an import must write per row, without reading or validating anything: (wall seconds, client CPU,
    backend CPU) of a COPY of `rows` ready-made compact rows — batch, row number, status, a 16-byte fingerprint,
    a 90-byte sealed original and ~200 bytes of clean values as text — into a table with no jsonb and only
    sequential indexes (primary key, batch + row number; no fingerprint index). The rows are built before the
    clock starts."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor_rows")
        cursor.execute(
            "CREATE TABLE bench_floor_rows (id bigserial PRIMARY KEY, batch_id integer NOT NULL, row_no integer "
            "NOT NULL, status smallint NOT NULL, fingerprint bytea NOT NULL, sealed bytea NOT NULL, clean text "
            "NOT NULL)"
        )
        cursor.execute("CREATE INDEX ON bench_floor_rows (batch_id, row_no)")
    sealed = os.urandom(90)
    clean = (
        '{"name":"张*伟","sex":"M","birth_date":"1970-05-04","dwelling":12345,"phone":"138****1234",'
        '"relation":"户主","id_hash":"' + "a" * 43 + '"}'
    )
    prepared = [(1, i, 1, os.urandom(16), sealed, clean) for i in range(rows)]
    pg = connection.connection
    client, backend = time.process_time(), backend_cpu()
    started = time.perf_counter()
    with (
        pg.cursor() as cursor,
        cursor.copy(
            "COPY bench_floor_rows (batch_id, row_no, status, fingerprint, sealed, clean) FROM STDIN"
        ) as copy,
    ):
        for row in prepared:
            copy.write_row(row)
    pg.commit() if not pg.autocommit else None
    wall = time.perf_counter() - started
    result = wall, time.process_time() - client, backend_cpu() - backend
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor_rows")
    return result


def _cpu() -> float:
    """User + system CPU seconds of this process and its reaped children (the validation workers)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def machine() -> dict:
    def sh(cmd: str) -> str:
        try:
            return subprocess.check_output(cmd, shell=True, text=True).strip()
        except Exception:
            return "?"

    return {
        "cpus": os.cpu_count(),
        "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"),
        "ram_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "postgres": sh("psql -h 127.0.0.1 -U postgres -tAc 'show server_version'"),
        "load": os.getloadavg(),
    }


def main() -> None:
    args = parse_args()
    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    import django

    django.setup()
    from django.core.files import File
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from shequ.imports import fastpath, services
    from shequ.imports.models import DataSource, ImportBatch, ImportRow

    street, community = build_places()
    path = Path(f"/tmp/shequ_bench_imports_{args.rows}_{args.seed}.csv")
    if not path.exists():
        t = time.perf_counter()
        write_file(path, args.rows, args.seed)
        print(f"wrote {path} in {time.perf_counter() - t:.1f}s", flush=True)
    size_mb = path.stat().st_size / 2**20

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE imports_importrow, imports_fieldobservation CASCADE")
    ImportBatch.objects.all().delete()
    services.sources_ensure_defaults(street=street)
    source = DataSource.objects.get(owner=street, kind=DataSource.Kind.POLICE)

    copy_seconds, copy_cpu = bare_copy(path)
    print(
        f"COPY: {args.rows / copy_seconds:,.0f} rows/s ({copy_seconds:.1f}s, {copy_cpu:.1f} CPU-s)",
        flush=True,
    )

    floor_seconds, floor_client, floor_backend = floor_copy(args.rows)
    print(
        f"floor (compact rows, COPY only): {floor_seconds:.1f}s, client {floor_client:.1f} CPU-s, "
        f"backend {floor_backend:.1f} CPU-s",
        flush=True,
    )

    with open(path, "rb") as handle:
        batch = ImportBatch(
            number=f"BENCH-{int(time.time())}",
            source=source,
            place=community,
            original_name=path.name,
            file_sha256="bench",
            headers=HEADERS,
            status="mapped",
        )
        batch.file.save(path.name, File(handle), save=False)
    from shequ.imports.parsing import suggest_mapping

    batch.mapping = suggest_mapping(HEADERS)
    batch.save()
    stats: dict[str, float] = {}
    cpu_before = _cpu()
    with BackendCpu() as server:
        started = time.perf_counter()
        counts, _notes, _skipped = fastpath.copy_validate(
            batch, workers=args.workers, earlier=set(), stats=stats
        )
        ImportBatch.objects.filter(pk=batch.pk).update(status="validated", **counts)
        import_seconds = time.perf_counter() - started
    cpu_seconds = _cpu() - cpu_before
    server_cpu = server.seconds
    stored = ImportRow.objects.filter(batch=batch).count()
    print(f"shequ: {args.rows / import_seconds:,.0f} rows/s ({import_seconds:.1f}s) {counts}", flush=True)
    assert stored == counts["total"] == args.rows, (stored, counts)
    batch.file.delete(save=False)

    ratio = (args.rows / import_seconds) / (args.rows / copy_seconds)
    stats = {k: round(v, 2) for k, v in stats.items()}
    result = {
        "rows": args.rows,
        "file_mb": round(size_mb, 1),
        "workers": args.workers,
        "copy_seconds": round(copy_seconds, 2),
        "copy_rows_per_s": round(args.rows / copy_seconds),
        "shequ_seconds": round(import_seconds, 2),
        "shequ_rows_per_s": round(args.rows / import_seconds),
        "ratio": round(ratio, 3),
        "cpu_seconds": round(cpu_seconds, 1),
        "server_cpu_seconds": round(server_cpu, 1),
        "copy_cpu_seconds": round(copy_cpu, 2),
        "floor_seconds": round(floor_seconds, 2),
        "floor_client_cpu_seconds": round(floor_client, 2),
        "floor_backend_cpu_seconds": round(floor_backend, 2),
        "ratio_by_cpu": round(copy_cpu / (cpu_seconds + server_cpu), 3),
        "stages": {k: round(v, 2) for k, v in stats.items()},
        "rows_per_cpu_second": round(args.rows / cpu_seconds),
        "counts": counts,
        "machine": machine(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    (HERE / "results.json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    text = render(result)
    Path(args.out).write_text(text)
    print(text)


def render(r: dict) -> str:
    """results.md from a results.json record (`--render` redoes it without re-running)."""
    m, st, rows = r["machine"], r["stages"], r["rows"]
    total_cpu = r["cpu_seconds"] + r["server_cpu_seconds"]
    other = r["cpu_seconds"] - st["read"] - st["validate"] - st["assemble"]

    def per_row(seconds: float) -> str:
        return f"{seconds / rows * 1e6:.1f}"

    floor_line = floor_text = ""
    if "floor_seconds" in r:
        floor_line = (
            f"| for reference, no reading or validation: `COPY` of {rows:,} ready-made compact rows (the least an "
            f"import stores per row: ~300 bytes, no jsonb, primary key and batch/row index only) | "
            f"{r['floor_seconds']:.1f} | {round(rows / r['floor_seconds']):,} |"
        )
        half = 2 * r["copy_seconds"]
        floor_text = (
            f"Half of the bare `COPY`'s speed means {half:.1f} s for the whole import. Writing the result alone — "
            f"one compact row per input row, measured above in the same run with nothing read or validated — took "
            f"{r['floor_seconds']:.1f} s ({r['floor_backend_cpu_seconds']:.1f} CPU-seconds in the PostgreSQL backend, "
            f"{r['floor_client_cpu_seconds']:.1f} in the client): "
            + (
                "already more than the whole budget. "
                if r["floor_seconds"] > half
                else f"{r['floor_seconds'] / half:.0%} of the whole budget. "
            )
            + "The issue asks that every row be kept with its reasons and that importing the same file again "
            "create nothing new, and each field's value is kept per source; with per-row storage of that kind the "
            "goal lies below the cost of storing the result, whatever the validation costs. Compiled sealing "
            "would not change this: AES-256-GCM plus three HMAC-SHA256 in C against OpenSSL (key schedule and HMAC "
            "midstates reused) measured 1.0 µs a row here on 2026-12-07, against ~3 µs from Python — two of the "
            "~100 µs a row the import costs today."
        )

    return f"""## imports — throughput ({r["date"]})

{rows:,} rows, a {r["file_mb"]:.0f} MB GBK CSV (10 columns: name, sex, ID number, birth date in mixed formats, phone,
address in four styles, relation, role), ~3% bad rows (check digit, unknown room, short phone), into PostgreSQL
{m["postgres"]} on the same machine. Machine: {m["cpus"]} cores ({m["cpu"]}), {m["ram_gib"]} GiB, Python {m["python"]},
load average at the end {", ".join(f"{x:.2f}" for x in m["load"])}.

| path | seconds | rows/s |
|---|---:|---:|
| bare `COPY` of the file into a 10-column text table | {r["copy_seconds"]:.1f} | {r["copy_rows_per_s"]:,} |
| shequ import: read + validate (ID, dates, phones, addresses against 21,600 dwellings) + seal PII + fingerprint + `COPY` into imports_importrow, {r["workers"]} worker processes | {r["shequ_seconds"]:.1f} | {r["shequ_rows_per_s"]:,} |
{floor_line}

shequ / COPY = **{r["ratio"]:.3f}×** by wall clock (goal ≥ 0.5×; wall clock follows the load average above).

By CPU time, which a shared machine disturbs less: the bare `COPY` cost {r["copy_cpu_seconds"]:.1f} CPU-seconds (client +
PostgreSQL backend); the import {r["cpu_seconds"]:.1f} CPU-seconds in this process and its workers plus
{r["server_cpu_seconds"]:.1f} in the PostgreSQL backend, {total_cpu:.1f} in all: shequ / COPY = **{r["ratio_by_cpu"]:.3f}×** by CPU
({rows / total_cpu:,.0f} rows per CPU-second; on {m["cpus"]} idle cores at best ~{m["cpus"] * rows / total_cpu:,.0f} rows/s).

| stage | CPU seconds | µs per row |
|---|---:|---:|
| bare `COPY`, for comparison (client + backend) | {r["copy_cpu_seconds"]:.1f} | {per_row(r["copy_cpu_seconds"])} |
| read the file: decode, CSV, header/blank/totals-row rules (`parsing.open_table`, reader thread) | {st["read"]:.1f} | {per_row(st["read"])} |
| validate + mask + seal + hash + build the JSON documents (`columnar.validate_chunk`, {r["workers"]} workers) | {st["validate"]:.1f} | {per_row(st["validate"])} |
| assemble COPY lines, duplicates (main thread) | {st["assemble"]:.1f} | {per_row(st["assemble"])} |
| the rest of the client: chunks pickled to and from the workers, psycopg, start-up | {other:.1f} | {per_row(other)} |
| PostgreSQL backend: parse three jsonb documents, write ~1 KB a row, six indexes | {r["server_cpu_seconds"]:.1f} | {per_row(r["server_cpu_seconds"])} |

Wall seconds waiting for workers / inside `COPY`: {st["wait"]:.1f} / {st["copy"]:.1f}.
Accepted {r["counts"]["accepted"]:,}, rejected {r["counts"]["rejected"]:,} (every rejected row stored with its reasons). Linking
rows to people is a separate stage (shequ.linkage) and is not in this number.

### Why half of `COPY` is out of reach, and where the time goes

{floor_text}

A bare `COPY` of this file costs about a microsecond of CPU per row: PostgreSQL splits 83 bytes into ten text
fields and appends them to a heap with no index, on one core. Half its speed (1.4 s for 1M rows on a quiet
machine → 2.8 s) leaves, even with both cores busy all the time, ~5.6 µs of CPU per row for everything shequ and
PostgreSQL must do, and the guarantees alone come close to that before any validation: one AES-GCM seal (~1 µs a call in
`cryptography`, measured against ~9 µs for Fernet) and three HMAC-SHA256 look-up/fingerprint hashes (~0.7 µs each
with precomputed key states, ~1.7 µs with `hmac.digest`), and every row — good or bad — is stored, with its
masked cells, clean values, reasons and sealed original: ~1 KB a row instead of 83 bytes, three jsonb documents
to parse and six indexes to maintain. So the goal is not reachable on two cores; this is how far it went.

What changed (2026-12): rows are validated a chunk at a time, column by column (`shequ/imports/columnar.py`):
each field parsed once per distinct cell with the very parsers of the per-row path (sexes, relations, roles,
ethnic groups, dates and addresses repeat on every row), the ID check digit as one numpy dot product over the
chunk, ID shape and phones by RE2, masking and JSON escaping by Arrow string kernels, the clean/raw/sealed
documents concatenated column-wise; Python still runs per row only for the seal and the three hashes. A row
with anything wrong or unusual takes `pipeline.process_row` itself (~3 % here), which is what keeps rejected
rows' reasons identical (`shequ/imports/tests/test_columnar.py` compares both paths on 5,000 generated rows).
Fernet → AES-256-GCM for import rows (docs/adr/0004-personal-data.md). Indexes on imports_importrow went from
nine to six (a hash index for fingerprints, no duplicate `batch`/LIKE indexes, `person` indexed only once
linked), which halved the backend's CPU per row in a side-by-side `COPY` of the same rows.
Before: 154 CPU-seconds in the client for 1M rows (backend not measured); after: the table above.

Where the rest would have to come from, biggest first:
1. The workers (~{per_row(st["validate"])} µs/row): per distinct address, `PlaceIndex.resolve` (the bench has ~86,000 distinct
   address spellings, each resolved once per worker), then Arrow kernels (~60 ns per row per kernel, ~100
   kernels), the seal and hashes (~3 µs), turning Arrow columns back into Python strings for COPY.
2. PostgreSQL (~{per_row(r["server_cpu_seconds"])} µs/row): storing `raw`/`clean`/`reasons` as text instead of jsonb saved about a
   third of the backend's CPU in the same side-by-side test, but every reader (`clean__name` look-ups in
   linkage, the views, the error report) would have to change; not done. A smaller sealed value (binary
   `bytea`, the ID and phone not repeated inside `raw`) would cut the bytes written.
3. The reader (~{per_row(st["read"])} µs/row) runs in one thread of the main process, ahead of the workers: reading the
   file inside the workers (byte ranges of the CSV) would take it off the critical path, at the cost of
   re-implementing the reader's header/totals/blank-row rules for ranges.
4. The rest of the client (~{per_row(other)} µs/row): mostly the chunks' cells pickled to the workers and their COPY
   data back (two copies of every byte through a pipe); shared memory or workers that read the file themselves
   would remove it.
Even with all four, per-row Python (seal + hashes + building a COPY line ≈ 5 µs) keeps an import near 0.1× on
two cores; 0.5× would need the sealing and hashing moved into compiled code (a Rust/C extension) or into the
database itself, and storing much less per row.
"""


def main_render() -> None:
    result = json.loads((HERE / "results.json").read_text())
    (HERE / "results.md").write_text(render(result))


if __name__ == "__main__":
    if "--render" in sys.argv:
        main_render()
    else:
        main()
