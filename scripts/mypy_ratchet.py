"""mypy over the whole tree against a recorded baseline that may only go down (docs/mypy-baseline.json).

    python scripts/mypy_ratchet.py            # fails if any file has more errors than recorded, or a new file has any
    python scripts/mypy_ratchet.py --update   # records the current counts (after fixing errors: lock the gain in)

Prints the total either way. docs/mypy.md explains the ratchet and shows the counts."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "docs" / "mypy-baseline.json"
ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+(?::\d+)?: error: ")


def run_mypy() -> Counter[str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "shequ",
            "tests",
            "scripts",
            "--no-error-summary",
            "--hide-error-context",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"mypy failed to run (exit {result.returncode})")
    counts: Counter[str] = Counter()
    for line in result.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            counts[match["path"]] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--update", action="store_true", help="rewrite docs/mypy-baseline.json with the counts"
    )
    args = parser.parse_args()
    counts = run_mypy()
    total = sum(counts.values())
    if args.update:
        BASELINE.write_text(json.dumps(dict(sorted(counts.items())), indent=2, ensure_ascii=False) + "\n")
        print(
            f"mypy: {total} errors in {len(counts)} files; baseline written to {BASELINE.relative_to(ROOT)}"
        )
        return 0
    baseline: dict[str, int] = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    worse = [
        (path, n, baseline.get(path, 0)) for path, n in sorted(counts.items()) if n > baseline.get(path, 0)
    ]
    recorded = sum(baseline.values())
    print(f"mypy: {total} errors in {len(counts)} files (baseline {recorded})")
    for path, n, was in worse:
        print(f"  {path}: {n} errors (baseline {was})")
    if worse:
        print("mypy errors went up: fix them (the baseline may only go down).")
        return 1
    if total < recorded:
        print(
            "fewer errors than the baseline: run `python scripts/mypy_ratchet.py --update` to lock the gain in."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
