"""Background jobs for cases (django-tasks, DB backend: a queued job survives a restart)."""

from __future__ import annotations

from django_tasks import task

from shequ.cases.services import cases_escalate_overdue


@task()
def escalate_overdue_cases() -> dict[str, int]:
    """The periodic scan: every overdue open case goes one level up. Idempotent, so a retry after a crash is safe."""
    return cases_escalate_overdue()


PERIODIC = [(escalate_overdue_cases, 60)]
