"""The whistle (吹哨报到): summons, report by a deadline, reported / late / absent; bad input changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from shequ.cases import services
from shequ.cases.models import Summons, Whistle
from shequ.core.errors import DomainError
from shequ.notifications.models import Notification
from shequ.testing.world import make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def blown(world, case_a, clock):
    return services.whistle_blow(
        actor=world.a.worker,
        case=case_a,
        reason="漏水涉及公共管网,需部门到场",
        report_by=T0 + timedelta(hours=2),
        departments=["卫健", "住建"],
        members=[world.a.volunteer],
    )


def _states(whistle, now):
    return {s.party_label: s.state_at(now) for s in whistle.summonses.select_related("member")}


def test_whistle_summons_and_notifies(world, blown):
    assert blown.level == "community"
    assert Summons.objects.filter(whistle=blown).count() == 3
    told = set(Notification.objects.filter(kind="case.whistle").values_list("recipient_id", flat=True))
    assert world.a.liaison.pk in told  # 卫健 liaison of community A
    assert world.a.volunteer.pk in told
    assert world.b.liaison.pk not in told  # 卫健 liaison of B covers B only


def test_report_on_time_late_and_absent(world, case_a, blown, clock):
    assert set(_states(blown, T0).values()) == {"waiting"}
    clock.move_to(T0 + timedelta(hours=1))
    services.whistle_report(actor=world.a.liaison, case=case_a, action_taken="到场检查水质,无污染")
    clock.move_to(T0 + timedelta(hours=3))
    services.whistle_report(actor=world.a.volunteer, case=case_a, action_taken="协助疏导居民")
    states = _states(blown, T0 + timedelta(hours=3))
    assert states == {"卫健": "reported", "住建": "absent", "volunteer_a": "late"}
    assert case_a.events.filter(kind="reported").count() == 2
    assert Notification.objects.filter(kind="case.reported", recipient=world.a.worker).count() == 2


def test_whistle_without_deadline_is_refused(world, case_a, clock):
    with pytest.raises(DomainError) as exc:
        services.whistle_blow(
            actor=world.a.worker, case=case_a, reason="x", report_by=None, departments=["城管"]
        )
    assert "report_by" in exc.value.message_dict
    with pytest.raises(DomainError):
        services.whistle_blow(
            actor=world.a.worker,
            case=case_a,
            reason="x",
            report_by=T0 - timedelta(hours=1),
            departments=["城管"],
        )
    with pytest.raises(DomainError):
        services.whistle_blow(
            actor=world.a.worker, case=case_a, reason="x", report_by=T0 + timedelta(hours=1), departments=[]
        )
    with pytest.raises(DomainError):
        services.whistle_blow(
            actor=world.a.worker,
            case=case_a,
            reason="x",
            report_by=T0 + timedelta(hours=1),
            departments=["外星局"],
        )
    assert Whistle.objects.count() == 0 and Summons.objects.count() == 0
    assert case_a.events.filter(kind="whistle").count() == 0


def test_only_community_or_street_blows(world, case_a, case_b, clock):
    with pytest.raises(PermissionDenied):
        services.whistle_blow(
            actor=world.a.building_leader,
            case=case_a,
            reason="x",
            report_by=T0 + timedelta(hours=1),
            departments=["城管"],
        )
    with pytest.raises(PermissionDenied):
        services.whistle_blow(
            actor=world.a.worker,
            case=case_b,
            reason="x",
            report_by=T0 + timedelta(hours=1),
            departments=["城管"],
        )
    street = services.whistle_blow(
        actor=world.street_officer,
        case=case_b,
        reason="街道吹哨",
        report_by=T0 + timedelta(hours=1),
        departments=["城管"],
    )
    assert street.level == "street"
    assert Whistle.objects.count() == 1


def test_department_not_summoned_cannot_report(world, case_a, blown):
    chengguan = make_user("liaison_cg", "department_liaison", place=world.a.community, department="城管")
    with pytest.raises(DomainError) as exc:
        services.whistle_report(actor=chengguan, case=case_a, action_taken="来了")
    assert "未被召集" in str(exc.value)
    # a liaison of the summoned department, but of another community
    with pytest.raises(DomainError):
        services.whistle_report(actor=world.b.liaison, case=case_a, action_taken="来了")
    assert Summons.objects.filter(reported_at__isnull=False).count() == 0
    assert case_a.events.filter(kind="reported").count() == 0


def test_report_needs_what_was_done_and_only_once(world, case_a, blown):
    with pytest.raises(DomainError):
        services.whistle_report(actor=world.a.liaison, case=case_a, action_taken=" ")
    assert Summons.objects.filter(reported_at__isnull=False).count() == 0
    services.whistle_report(actor=world.a.liaison, case=case_a, action_taken="到场")
    with pytest.raises(DomainError):
        services.whistle_report(actor=world.a.liaison, case=case_a, action_taken="又来")


def test_resolving_closes_the_whistle(world, case_a, blown):
    services.case_resolve(actor=world.a.worker, case=case_a, resolution="已修复")
    blown.refresh_from_db()
    assert blown.is_closed
