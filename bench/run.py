"""Run every benchmark under bench/*/run.py on the local PostgreSQL and gather their results into
docs/benchmarks.md, with the machine they ran on. `--quick` passes each benchmark its own small-data flag.

Each benchmark is a script that writes `bench/<name>/results.md` (a markdown section with its data size);
a failing benchmark is reported as failed in the document rather than stopping the others."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
QUICK_FLAGS = {
    "foundation": ["--residents", "30000"],
    "linkage": ["--quick"],
    "imports": ["--quick"],
    "emergency": ["--quick"],
}
ORDER = ["foundation", "imports", "linkage", "cases", "emergency", "supplies"]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            next(
                x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")
            ).split()[1]
        )
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        mem = "unknown RAM"
    try:
        pg = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "show server_version"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pg = "unknown"
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem} RAM, Python {platform.python_version()}, "
        f"PostgreSQL {pg}, {platform.system()} {platform.release()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small data sizes (minutes, not the full goals)")
    parser.add_argument("--only", nargs="*", help="benchmark names to run (default: all)")
    parser.add_argument(
        "--collect",
        action="store_true",
        help="run nothing; gather the existing bench/*/results.md into docs/benchmarks.md",
    )
    args = parser.parse_args()
    names = [n for n in ORDER if (BENCH / n / "run.py").exists()]
    names += sorted(p.parent.name for p in BENCH.glob("*/run.py") if p.parent.name not in names)
    if args.only:
        names = [n for n in names if n in args.only]
    sections = []
    for name in names:
        results = BENCH / name / "results.md"
        if args.collect:
            sections.append(results.read_text().strip() if results.exists() else f"## {name}\n\nNot run yet.")
            continue
        cmd = [
            sys.executable,
            str(BENCH / name / "run.py"),
            *(QUICK_FLAGS.get(name, []) if args.quick else []),
        ]
        print(f"== bench/{name}: {' '.join(cmd[1:])}", flush=True)
        started = time.perf_counter()
        result = subprocess.run(cmd, cwd=ROOT)
        took = time.perf_counter() - started
        if result.returncode == 0 and results.exists():
            sections.append(results.read_text().strip())
        else:
            sections.append(
                f"## {name}\n\nFailed (exit {result.returncode}) after {took:.0f} s; see the run's output."
            )
    if not args.only:
        how = (
            "gathered from each benchmark's last run"
            if args.collect
            else ("quick sizes" if args.quick else "full sizes")
        )
        header = (
            f"# Benchmarks\n\nWritten by `make bench` ({how}) on "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n\nMachine: {machine()}.\n\n"
            "Each section gives its data size; goals come from the issues. Timings are wall-clock. "
            + (
                "Each section was measured in its own run, with the date and the load average it gives: read "
                "sections whose load average is well above 2 (other jobs sharing the 2 cores) as upper bounds; "
                "`make bench` on a quiet machine renews them all.\n"
                if args.collect
                else "Nothing else should run on the machine during `make bench`.\n"
            )
        )
        (ROOT / "docs" / "benchmarks.md").write_text(header + "\n" + "\n\n".join(sections) + "\n")
        print("wrote docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
