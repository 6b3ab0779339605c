"""Background jobs of the living guarantee (django-tasks, DB backend: a queued job survives a restart)."""

from __future__ import annotations

from django_tasks import task

from shequ.core.jurisdiction import SYSTEM
from shequ.livelihood.services import contact_gaps_alert


@task()
def alert_contact_gaps() -> dict[str, int]:
    """Hourly: paired vulnerable residents left without contact beyond the limit, reported once per gap to the
    helper and the community workers."""
    return contact_gaps_alert(actor=SYSTEM)


# `shequ scheduler` enqueues these (the 24-hour limit during an incident leaves an hour's slack to spare).
PERIODIC = [(alert_contact_gaps, 3600)]
