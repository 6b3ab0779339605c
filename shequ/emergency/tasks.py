"""Background jobs for emergency operation (django-tasks)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from shequ.emergency.models import Incident


@task()
def release_due_monitorings() -> int:
    """Daily: end home quarantine / monitoring whose planned last day (a plan parameter) has passed."""
    from shequ.epidemic.services import monitoring_release_due

    today = timezone.localdate()
    return sum(
        monitoring_release_due(incident=incident, today=today)
        for incident in Incident.objects.filter(status=Incident.Status.ACTIVE)
    )
