"""`shequ seed`: build the demo street (幸福街道) and print the demo accounts."""

from __future__ import annotations

import resource
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from shequ.demo import seed as demo
from shequ.ledger.demo import tqdm_progress


class Command(BaseCommand):
    help = (
        "Build the demo street 幸福街道 (communities, compounds, buildings, dwellings, grids, people, households, "
        "residencies, tags, needs, duties) and one demo account per role (password shequ2026). "
        "If the street exists, only print the accounts, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--residents", type=int, default=30_000, help="residents to generate (30000)")
        parser.add_argument(
            "--seed", type=int, default=2026, help="random seed; the same seed, the same street"
        )
        parser.add_argument(
            "--communities", type=int, default=None, help="number of communities (default: one per ~11,000)"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="empty the WHOLE database first (every table: meant for demo databases only)",
        )
        parser.add_argument(
            "--workers", type=int, default=None, help="processes for encryption (default: 2 from 100,000 up)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--no-apps",
            action="store_true",
            help="only places and the ledger: skip the other apps' demo data",
        )

    def handle(self, *args, **options):
        if options["reset"]:
            self.stderr.write("清空数据库 (--reset) …")
            call_command("flush", interactive=False, verbosity=0)
        progress = demo.null_progress if options["no_progress"] else tqdm_progress
        try:
            result = demo.seed(
                residents=options["residents"],
                seed_value=options["seed"],
                communities=options["communities"],
                progress=progress,
                workers=options["workers"],
                apps=not options["no_apps"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if result.created:
            counts = demo.table_counts()
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stderr.write(
                f"已生成演示街道 {result.street.name}: "
                + ", ".join(f"{label.split('.')[-1]} {n:,}" for label, n in counts.items())
                + f" · {result.seconds:.1f} s (ledger {result.ledger_seconds:.1f} s"
                + "".join(f", {app} {s:.1f} s" for app, s in result.app_seconds.items())
                + f") · peak RSS {peak_mb:.0f} MB"
            )
            for app, error in result.app_errors.items():
                self.stderr.write(
                    self.style.ERROR(f"警告: {app} 的演示数据没有生成 (seed_demo failed):\n{error}")
                )
        else:
            self.stderr.write(f"演示街道 {result.street.name} 已存在 (use --reset to rebuild).")
        text = demo.format_accounts(result.accounts)
        path = demo.write_accounts_file(text)
        sys.stdout.write(text)
        self.stderr.write(f"(also written to {path})")
