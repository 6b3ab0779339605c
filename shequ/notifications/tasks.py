"""Background jobs that send the outbox (django-tasks; the DB backend survives a restart)."""

from __future__ import annotations

from django_tasks import task

from shequ.notifications import services


@task()
def deliver_notifications(delivery_ids: list[int]) -> int:
    """Send the deliveries one notify() call created (enqueued after its commit)."""
    return sum(1 for pk in delivery_ids if services.delivery_send(delivery_id=pk))


@task()
def drain_deliveries() -> int:
    """Safety net: everything pending or abandoned by a dead runner."""
    return services.deliveries_drain()


PERIODIC = [(drain_deliveries, 120)]
