"""Periodic scan (schedule every few minutes): escalate overdue cases one level, set-based."""

import time

from django.core.management.base import BaseCommand

from shequ.cases.services import cases_escalate_overdue
from shequ.cases.tasks import escalate_overdue_cases


class Command(BaseCommand):
    help = "超时诉求自动升级(按层级批量更新)"

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="queue the job for db_worker instead of running it"
        )

    def handle(self, *args, **options):
        if options["enqueue"]:
            escalate_overdue_cases.enqueue()
            self.stdout.write("enqueued")
            return
        started = time.perf_counter()
        moved = cases_escalate_overdue()
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"→{level}: {n}" for level, n in moved.items())
        self.stdout.write(f"escalated {sum(moved.values())} ({summary}) in {elapsed:.2f}s")
