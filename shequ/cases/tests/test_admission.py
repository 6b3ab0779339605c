"""The admission list (准入清单), handed-down duties flagged when off the list, and the burden report."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from shequ.cases import selectors, services
from shequ.cases.models import AdmissionItem, HandedDownDuty
from shequ.core.errors import DomainError
from shequ.notifications.models import Notification


@pytest.fixture
def listed(world):
    return services.admission_item_create(
        actor=world.street_officer,
        street=world.street,
        department="民政",
        name="高龄津贴初审",
        resources="每社区配1名专干,经费2万元/年",
        funding_yuan="20000",
    )


def test_only_the_street_edits_the_list(world, listed):
    assert listed.funding_yuan == 20000
    with pytest.raises(PermissionDenied):
        services.admission_item_create(actor=world.a.worker, street=world.street, department="城管", name="x")
    with pytest.raises(PermissionDenied):
        services.admission_item_update(actor=world.a.worker, item=listed, name="改")
    services.admission_item_update(actor=world.street_officer, item=listed, resources="加配1人")
    listed.refresh_from_db()
    assert listed.resources == "加配1人"
    assert AdmissionItem.objects.count() == 1


def test_listed_duty_matches_and_off_list_duty_is_flagged(world, listed):
    on = services.duty_record(
        actor=world.a.worker,
        community=world.a.community,
        department="民政",
        title="高龄津贴初审",
        estimated_hours=10,
    )
    assert on.is_on_list and on.admission_item == listed
    assert not Notification.objects.filter(kind="cases.duty_off_list").exists()
    off = services.duty_record(
        actor=world.a.worker,
        community=world.a.community,
        department="城管",
        title="门前三包巡查拍照",
        estimated_hours=30,
    )
    assert not off.is_on_list
    flag = Notification.objects.get(kind="cases.duty_off_list")
    assert flag.recipient == world.street_officer


def test_bad_duty_input_changes_nothing(world, listed):
    with pytest.raises(DomainError):
        services.duty_record(actor=world.a.worker, community=world.a.community, department="", title="x")
    with pytest.raises(DomainError):
        services.duty_record(actor=world.a.worker, community=world.a.community, department="城管", title=" ")
    with pytest.raises(DomainError):  # a list item of another department
        services.duty_record(
            actor=world.a.worker,
            community=world.a.community,
            department="城管",
            title="x",
            admission_item=listed,
        )
    with pytest.raises(PermissionDenied):
        services.duty_record(actor=world.a.worker, community=world.b.community, department="城管", title="x")
    assert HandedDownDuty.objects.count() == 0


def test_burden_by_community(world, listed):
    services.duty_record(
        actor=world.a.worker,
        community=world.a.community,
        department="民政",
        title="高龄津贴初审",
        estimated_hours=10,
    )
    for title in ("创卫迎检资料", "问卷入户"):
        services.duty_record(
            actor=world.b.worker,
            community=world.b.community,
            department="卫健",
            title=title,
            estimated_hours=8,
        )
    burden = {b["community"]: b for b in selectors.duty_burden(world.street_officer)}
    assert burden["B社区"]["total"] == 2 and burden["B社区"]["off_list"] == 2
    assert burden["A社区"]["on_list"] == 1 and burden["A社区"]["hours"] == 10
    assert [b["community"] for b in selectors.duty_burden(world.a.worker)] == ["A社区"]
