"""Background jobs for epidemic operations (django-tasks); `PERIODIC` is collected by `shequ scheduler`."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from shequ.emergency.selectors import active_incidents
from shequ.epidemic.services import monitoring_release_due


@task()
def release_due_monitorings() -> int:
    """Daily: end home quarantine / monitoring whose planned last day (a plan parameter) has passed."""
    today = timezone.localdate()
    return sum(monitoring_release_due(incident=incident, today=today) for incident in active_incidents())


PERIODIC = [(release_due_monitorings, 3600)]
