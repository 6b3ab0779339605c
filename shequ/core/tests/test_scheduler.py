from django.core.management import call_command
from django_tasks_db.models import DBTaskResult


def test_scheduler_once_enqueues_every_periodic_job(db):
    call_command("scheduler", "--once")
    names = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert "shequ.cases.tasks.escalate_overdue_cases" in names
    assert "shequ.notifications.tasks.drain_deliveries" in names
    assert "shequ.epidemic.tasks.release_due_monitorings" in names
