"""Deadlines and auto-escalation at each level, with a frozen clock; the scan is set-based."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.cases import services
from shequ.cases.models import Case, CaseEvent, HandlingLevel
from shequ.notifications.models import Notification

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _submit(world, items, title="楼道漏水", side="a"):
    s = getattr(world, side)
    return services.case_submit(
        actor=s.worker, category=items["water"], title=title, channel="counter", place=s.building
    )


def test_deadline_is_the_level_limit(world, items, clock):
    case = _submit(world, items)
    assert case.deadline_at == T0 + timedelta(hours=items["water"].hours_compound)


def test_escalates_one_level_at_a_time_through_every_level(world, items, clock):
    case = _submit(world, items)
    clock.move_to(T0 + timedelta(hours=23, minutes=59))
    assert sum(services.cases_escalate_overdue().values()) == 0
    case.refresh_from_db()
    assert case.level == HandlingLevel.COMPOUND and not case.is_overdue

    # compound → community after 24 h
    clock.move_to(T0 + timedelta(hours=24, minutes=1))
    case.refresh_from_db()
    assert case.is_overdue
    moved = services.cases_escalate_overdue()
    assert moved[HandlingLevel.COMMUNITY] == 1
    case.refresh_from_db()
    t1 = T0 + timedelta(hours=24, minutes=1)
    assert case.level == HandlingLevel.COMMUNITY
    assert case.deadline_at == t1 + timedelta(hours=items["water"].hours_community)
    assert case.assigned_to is None and case.escalation_count == 1 and not case.is_overdue
    event = case.events.get(kind=CaseEvent.Kind.AUTO_ESCALATED)
    assert (event.from_level, event.to_level) == ("compound", "community")
    assert Notification.objects.filter(kind="case.escalated", recipient=world.a.worker).exists()
    assert not Notification.objects.filter(kind="case.escalated", recipient=world.b.worker).exists()

    # a second scan at the same moment changes nothing (restart-safe)
    assert sum(services.cases_escalate_overdue().values()) == 0

    # community → street after 48 h more
    t2 = t1 + timedelta(hours=48, seconds=1)
    clock.move_to(t2)
    services.cases_escalate_overdue()
    case.refresh_from_db()
    assert case.level == HandlingLevel.STREET
    assert Notification.objects.filter(kind="case.escalated", recipient=world.street_officer).exists()

    # street → department (the category's department) after 72 h more
    t3 = t2 + timedelta(hours=72, seconds=1)
    clock.move_to(t3)
    services.cases_escalate_overdue()
    case.refresh_from_db()
    assert case.level == HandlingLevel.DEPARTMENT
    assert case.department == items["water"].department == "住建"
    assert case.deadline_at == t3 + timedelta(hours=items["water"].hours_department)

    # the department is the top: it stays there, shown overdue
    clock.move_to(t3 + timedelta(hours=200))
    assert sum(services.cases_escalate_overdue().values()) == 0
    case.refresh_from_db()
    assert case.level == HandlingLevel.DEPARTMENT and case.is_overdue
    assert case.escalation_count == 3


def test_resolved_and_closed_cases_do_not_escalate(world, items, clock):
    case = _submit(world, items)
    services.case_resolve(actor=world.a.worker, case=case, resolution="修好了")
    clock.move_to(T0 + timedelta(days=30))
    assert sum(services.cases_escalate_overdue().values()) == 0
    case.refresh_from_db()
    assert case.level == HandlingLevel.COMPOUND


def test_scan_is_set_based(world, items, clock):
    """The number of queries does not grow with the number of overdue cases."""
    for i in range(3):
        _submit(world, items, title=f"第一批{i}")
    clock.move_to(T0 + timedelta(hours=25))
    with CaptureQueriesContext(connection) as few:
        assert services.cases_escalate_overdue()[HandlingLevel.COMMUNITY] == 3
    for i in range(12):
        _submit(world, items, title=f"第二批{i}")
    clock.move_to(T0 + timedelta(hours=50))
    with CaptureQueriesContext(connection) as many:
        assert services.cases_escalate_overdue()[HandlingLevel.COMMUNITY] == 12
    assert len(many.captured_queries) == len(few.captured_queries)


def test_both_communities_escalate_with_their_own_notices(world, items, clock):
    _submit(world, items, side="a")
    _submit(world, items, side="b")
    clock.move_to(T0 + timedelta(hours=25))
    assert services.cases_escalate_overdue()[HandlingLevel.COMMUNITY] == 2
    a_note = Notification.objects.get(kind="case.escalated", recipient=world.a.worker)
    b_note = Notification.objects.get(kind="case.escalated", recipient=world.b.worker)
    assert "A社区" in a_note.title and "B社区" in b_note.title


def test_manual_escalation_resets_the_deadline(world, items, clock):
    case = _submit(world, items)
    clock.move_to(T0 + timedelta(hours=3))
    services.case_escalate(actor=world.a.building_leader, case=case, reason="楼栋解决不了")
    assert case.deadline_at == T0 + timedelta(hours=3) + timedelta(hours=items["water"].hours_community)


def test_command_and_task(world, items, clock, capsys):
    from shequ.cases.tasks import escalate_overdue_cases

    _submit(world, items)
    clock.move_to(T0 + timedelta(hours=25))
    call_command("cases_escalate")
    assert "escalated 1" in capsys.readouterr().out
    clock.move_to(T0 + timedelta(hours=25 + 49))
    assert escalate_overdue_cases.call()[HandlingLevel.STREET] == 1
    assert Case.objects.get().level == HandlingLevel.STREET


def test_enqueue_goes_to_the_database_queue(world, settings):
    """With the DB backend (the default), the job is a row that survives a worker restart."""
    from django_tasks_db.models import DBTaskResult

    from shequ.cases.tasks import escalate_overdue_cases

    if "DatabaseBackend" not in settings.TASKS["default"]["BACKEND"]:
        pytest.skip("tasks run immediately in this configuration")
    escalate_overdue_cases.enqueue()
    assert DBTaskResult.objects.filter(task_path__endswith="escalate_overdue_cases").count() == 1
