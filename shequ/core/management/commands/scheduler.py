"""`shequ scheduler`: enqueue the periodic jobs (escalation scan, outbox drain, monitoring release) on time.

The jobs themselves run in `shequ db_worker`; this process only puts them on the database queue, so a restart of
either loses nothing: a job already queued is still queued, and a scan that was missed runs at the next tick.
Each app declares its periodic jobs as `PERIODIC = [(task, seconds), ...]` in its tasks.py; the scheduler collects
them from every app in SHEQU_APPS (core names no app). Jobs are idempotent, so two schedulers running by mistake do no harm."""

from __future__ import annotations

import time
from importlib import import_module
from importlib.util import find_spec
from typing import Any, Protocol

from django.conf import settings
from django.core.management.base import BaseCommand


class PeriodicJob(Protocol):
    """What PERIODIC lists: a django-tasks task (anything with enqueue())."""

    def enqueue(self, *args: Any, **kwargs: Any) -> Any: ...


def periodic_jobs() -> list[tuple[str, PeriodicJob, int]]:
    jobs: dict[str, tuple[str, PeriodicJob, int]] = {}
    for app in settings.SHEQU_APPS:
        module_name = f"shequ.{app}.tasks"
        if find_spec(module_name) is None:
            continue
        for job, seconds in getattr(import_module(module_name), "PERIODIC", []):
            key = f"{module_name}.{job.name}" if hasattr(job, "name") else repr(job)
            jobs[key] = (key, job, int(seconds))
    return list(jobs.values())


class Command(BaseCommand):
    help = "Enqueue periodic background jobs on time (run beside `shequ db_worker`)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue every periodic job once and exit")
        parser.add_argument("--tick", type=float, default=5.0, help="seconds between checks")

    def handle(self, *args, once: bool = False, tick: float = 5.0, **options):
        jobs = periodic_jobs()
        last_run: dict[str, float] = {}
        self.stdout.write(
            f"scheduler: {len(jobs)} periodic jobs: " + ", ".join(f"{k} every {s}s" for k, _, s in jobs)
        )
        while True:
            now = time.monotonic()
            for key, job, seconds in jobs:
                if once or now - last_run.get(key, -1e18) >= seconds:
                    job.enqueue()
                    last_run[key] = now
            if once:
                return
            time.sleep(tick)
