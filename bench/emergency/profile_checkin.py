"""Where a check-in's time goes: the real endpoint against the same-row bare endpoint, in one process, through
Django's WSGI handler (no HTTP server, no load tool), on the emergency benchmark's database.

    uv run python bench/emergency/profile_checkin.py              # CPU per request, worker and PostgreSQL backend
    uv run python bench/emergency/profile_checkin.py --diff       # cProfile: what the real path spends beyond bare
    uv run python bench/emergency/profile_checkin.py --profile    # cProfile of the real path, by own time

Needs the database of `bench/emergency/run.py` (shequ_bench_emergency, with its active incident and API token).
CPU per request is the minimum over five alternating blocks (a busy machine only ever adds time). The check-ins
it makes are dated today or yesterday and removed at the end. Prints one line `PROFILE_RESULT {json}` last."""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL, ROW = "/api/v1/epidemic/checkins/", "/api/v1/bench/bare-checkin-row/"


def setup() -> None:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shequ_bench_emergency")
    os.environ["SHEQU_DEBUG"] = "0"
    os.environ["SHEQU_LOG_LEVEL"] = "WARNING"
    os.environ["SHEQU_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"  # installs bench.benchapp (the bare endpoints)
    sys.path.insert(0, str(ROOT))
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


class Bench:
    def __init__(self, n: int) -> None:
        from django.core.handlers.wsgi import WSGIHandler
        from django.db import connection
        from rest_framework.authtoken.models import Token

        from shequ.emergency.models import Incident

        self.connection = connection
        self.app = WSGIHandler()
        self.incident = Incident.objects.filter(status="active", is_drill=False).order_by("-id").first()
        if self.incident is None:
            raise SystemExit("no active incident: run bench/emergency/run.py first")
        self.token = Token.objects.order_by("created").first()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT p.id FROM ledger_person p WHERE p.home_id IS NOT NULL AND p.id NOT IN "
                '(SELECT person_id FROM epidemic_checkin WHERE "on" >= CURRENT_DATE - 1) ORDER BY p.id LIMIT %s',
                [3 * n + 100],
            )
            self.people = [r[0] for r in cursor.fetchall()]
        self.statuses: dict[str, int] = {}

    def environ(self, path: str, person: int) -> dict:
        body = json.dumps(
            {
                "client_uuid": str(uuid.uuid4()),
                "incident": self.incident.pk,
                "person": person,
                "temperature": "36.5",
            }
        ).encode()
        return {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Token {self.token.key}",
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }

    def call(self, path: str, person: int) -> None:
        def start_response(status, headers, exc_info=None):
            self.statuses[status] = self.statuses.get(status, 0) + 1

        out = self.app(self.environ(path, person), start_response)
        b"".join(out)
        out.close()

    def backend_cpu(self) -> float:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def run(self, path: str, people: list[int]) -> tuple[float, float]:
        """(worker CPU ms, PostgreSQL backend CPU ms) per request."""
        backend = self.backend_cpu()
        cpu = time.process_time()
        for person in people:
            self.call(path, person)
        cpu = time.process_time() - cpu
        return cpu / len(people) * 1e3, (self.backend_cpu() - backend) / len(people) * 1e3

    def clear(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                'DELETE FROM epidemic_checkin WHERE incident_id = %s AND "on" = CURRENT_DATE - 1',
                [self.incident.pk],
            )

    def cleanup(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                'DELETE FROM epidemic_checkin WHERE incident_id = %s AND "on" >= CURRENT_DATE - 1 '
                "AND person_id = ANY(%s)",
                [self.incident.pk, self.people],
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=1500, help="requests per endpoint")
    parser.add_argument("--diff", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    setup()
    bench = Bench(args.n)
    people, n = bench.people, args.n
    try:
        bench.run(ROW, people[:50])  # warm-up: connection, prepared statements, URL resolver
        bench.clear()
        bench.run(REAL, people[-50:])
        if args.diff or args.profile:
            stats = {}
            for path in (ROW, REAL) if args.diff else (REAL,):
                if path == REAL:
                    bench.clear()
                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
                bench.run(path, people[n : 2 * n] if path == REAL else people[2 * n : 3 * n])
                profiler.disable()
                stats[path] = pstats.Stats(profiler)
            if args.profile:
                stats[REAL].sort_stats("tottime").print_stats(40)
            else:
                bare, real = stats[ROW].stats, stats[REAL].stats  # type: ignore[attr-defined]
                rows = []
                for key, value in real.items():
                    other = bare.get(key, (0, 0, 0, 0, {}))
                    rows.append((value[2] - other[2], value[3] - other[3], value[1] - other[1], key))
                rows.sort(key=lambda r: -r[0])
                print("own s (real − bare)  cumulative s  calls  function")
                for own, cumulative, calls, key in rows[:45]:
                    name = key[0].split("site-packages/")[-1].replace(str(ROOT) + "/", "")
                    print(f"{own:8.3f} {cumulative:12.3f} {calls:7d}  {name}:{key[1]}({key[2]})")
            return 0
        block = n // 5
        worker = {ROW: [], REAL: []}
        backend = {ROW: [], REAL: []}
        for i in range(5):
            for path, sample in ((ROW, people[2 * n :]), (REAL, people)):
                if path == REAL:
                    bench.clear()
                w, b = bench.run(path, sample[i * block : (i + 1) * block])
                worker[path].append(w)
                backend[path].append(b)
        result = {
            "requests": block * 5,
            "bare_worker_ms": min(worker[ROW]),
            "real_worker_ms": min(worker[REAL]),
            "bare_backend_ms": min(backend[ROW]),
            "real_backend_ms": min(backend[REAL]),
            "statuses": bench.statuses,
        }
        result["ratio"] = (result["bare_worker_ms"] + result["bare_backend_ms"]) / (
            result["real_worker_ms"] + result["real_backend_ms"]
        )
        print(
            f"CPU per request — worker: bare {result['bare_worker_ms']:.3f} ms, real {result['real_worker_ms']:.3f} ms; "
            f"PostgreSQL backend: bare {result['bare_backend_ms']:.3f} ms, real {result['real_backend_ms']:.3f} ms; "
            f"bare/real {result['ratio']:.2f}"
        )
        print("PROFILE_RESULT " + json.dumps(result))
    finally:
        bench.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
