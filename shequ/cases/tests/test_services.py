"""Cases: intake from every channel, routing, lifecycle, rating, merge, bad input (nothing changed)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.cases import services
from shequ.cases.models import Case, CaseAttachment, CaseEvent, HandlingLevel
from shequ.cases.tests.conftest import big_file
from shequ.core.errors import DomainError
from shequ.core.models import AuditEvent
from shequ.notifications.models import Delivery, Notification


def test_counter_intake_starts_at_compound_with_leader_assigned(world, case_a):
    assert case_a.level == HandlingLevel.COMPOUND
    assert case_a.status == Case.Status.NEW
    assert case_a.assigned_to == world.a.building_leader
    assert case_a.requester_phone_masked == "138****8000"
    assert "13800138000" not in case_a.requester_phone_encrypted
    assert case_a.deadline_at is not None
    assert CaseEvent.objects.filter(case=case_a, kind="created").exists()
    assert AuditEvent.objects.filter(action="case_submit", object_id=str(case_a.pk)).exists()
    # the building leader and the grid worker are told, in the inbox and by SMS
    told = set(Notification.objects.filter(kind="case.assigned").values_list("recipient_id", flat=True))
    assert told == {world.a.building_leader.pk, world.a.grid_worker.pk}
    assert Delivery.objects.filter(channel="sms").count() == 2


def test_community_level_category_starts_at_community(world, items):
    case = services.case_submit(
        actor=world.a.worker,
        category=items["elder"],
        title="独居老人需要帮助",
        channel="hotline",
        place=world.a.compound,
    )
    assert case.level == HandlingLevel.COMMUNITY
    assert case.assigned_to is None


def test_case_without_compound_starts_at_community(world, items):
    case = services.case_submit(
        actor=world.a.worker,
        category=items["water"],
        title="社区范围的问题",
        channel="counter",
        place=world.a.community,
    )
    assert case.level == HandlingLevel.COMMUNITY


def test_resident_submits_from_home_with_photo(world, items, photo):
    case = services.case_submit(
        actor=world.a.resident,
        category=items["water"],
        title="家门口漏水",
        channel="resident",
        dwelling=world.a.dwellings[0],
        attachments=[photo],
    )
    assert case.requester == world.a.resident
    assert case.building_id == world.a.building.pk
    attachment = case.attachments.get()
    assert attachment.content_type == "image/png"
    assert attachment.file.name.startswith("cases/")


def test_resident_cannot_file_for_another_home(world, items):
    with pytest.raises(DomainError):
        services.case_submit(
            actor=world.a.resident,
            category=items["water"],
            title="x",
            channel="resident",
            dwelling=world.b.dwellings[0],
        )
    assert Case.objects.count() == 0


def test_on_behalf_by_building_leader_and_visit_by_grid_worker(world, items):
    leader = services.case_submit(
        actor=world.a.building_leader,
        category=items["water"],
        title="代居民反映",
        channel="on_behalf",
        place=world.a.building,
        requester_name="曾奶奶",
    )
    visit = services.case_submit(
        actor=world.a.grid_worker,
        category=items["elder"],
        title="走访发现老人行动不便",
        channel="visit",
        place=world.a.building,
    )
    assert leader.channel == "on_behalf" and visit.channel == "visit"


def test_worker_cannot_file_in_another_community(world, items):
    with pytest.raises(DomainError):
        services.case_submit(
            actor=world.a.worker,
            category=items["water"],
            title="x",
            channel="counter",
            place=world.b.building,
        )
    assert Case.objects.count() == 0


def test_anonymous_needs_name_and_phone_and_is_rate_limited(world, items):
    with pytest.raises(DomainError) as exc:
        services.case_submit(
            actor=AnonymousUser(),
            category=items["water"],
            title="x",
            channel="anonymous",
            place=world.a.compound,
        )
    assert "requester_name" in exc.value.message_dict
    for i in range(services.ANON_LIMIT_PER_HOUR):
        services.case_submit(
            actor=AnonymousUser(),
            category=items["water"],
            title=f"匿名{i}",
            channel="anonymous",
            place=world.a.compound,
            requester_name="李",
            requester_phone=f"1370000000{i}",
            client_key="10.0.0.9",
        )
    with pytest.raises(DomainError) as exc:
        services.case_submit(
            actor=AnonymousUser(),
            category=items["water"],
            title="再来",
            channel="anonymous",
            place=world.a.compound,
            requester_name="李",
            requester_phone="13700000099",
            client_key="10.0.0.9",
        )
    assert "频繁" in str(exc.value)
    assert Case.objects.count() == services.ANON_LIMIT_PER_HOUR


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"category": None}, "category"),
        ({"title": ""}, "title"),
        ({"attachments": "oversized"}, "attachments"),
        ({"attachments": "exe"}, "attachments"),
        ({"attachments": "fake_png"}, "attachments"),
        ({"requester_phone": "12345"}, "requester_phone"),
    ],
)
def test_bad_intake_says_which_field_and_changes_nothing(world, items, kwargs, field):
    files = {
        "oversized": [big_file()],
        "exe": [SimpleUploadedFile("virus.exe", b"MZ" + b"\x00" * 10)],
        "fake_png": [SimpleUploadedFile("fake.png", b"not an image at all")],
    }
    args = {"category": items["water"], "title": "漏水", "requester_phone": "", "attachments": []}
    args.update(kwargs)
    if isinstance(args["attachments"], str):
        args["attachments"] = files[args["attachments"]]
    with pytest.raises(DomainError) as exc:
        services.case_submit(actor=world.a.worker, channel="counter", place=world.a.building, **args)
    assert field in exc.value.message_dict
    assert Case.objects.count() == 0
    assert CaseAttachment.objects.count() == 0
    assert Notification.objects.count() == 0


def test_lifecycle_new_accepted_in_progress_resolved_closed_reopen(world, case_a):
    worker = world.a.worker
    services.case_accept(actor=worker, case=case_a)
    assert case_a.status == "accepted" and case_a.accepted_at
    services.case_start(actor=worker, case=case_a)
    assert case_a.status == "in_progress"
    services.case_comment(actor=worker, case=case_a, text="已联系物业")
    services.case_resolve(actor=worker, case=case_a, resolution="更换了水管")
    assert case_a.status == "resolved" and case_a.resolved_at
    services.case_close(actor=worker, case=case_a)
    assert case_a.status == "closed"
    services.case_reopen(actor=worker, case=case_a, reason="又漏了")
    assert case_a.status == "in_progress" and case_a.resolved_at is None
    kinds = list(case_a.events.values_list("kind", flat=True))
    assert kinds == ["created", "accepted", "started", "comment", "resolved", "closed", "reopened"]


def test_resolve_requires_resolution_and_open_case(world, case_a):
    with pytest.raises(DomainError):
        services.case_resolve(actor=world.a.worker, case=case_a, resolution=" ")
    case_a.refresh_from_db()
    assert case_a.status == "new"
    services.case_resolve(actor=world.a.worker, case=case_a, resolution="ok")
    with pytest.raises(DomainError):
        services.case_resolve(actor=world.a.worker, case=case_a, resolution="again")


def test_building_leader_escalates_and_then_cannot_resolve(world, case_a):
    leader = world.a.building_leader
    with pytest.raises(DomainError):
        services.case_escalate(actor=leader, case=case_a, reason="")
    services.case_escalate(actor=leader, case=case_a, reason="需要物业和住建协调,楼栋解决不了")
    assert case_a.level == HandlingLevel.COMMUNITY
    assert case_a.assigned_to is None
    assert Notification.objects.filter(kind="case.escalated", recipient=world.a.worker).exists()
    with pytest.raises(PermissionDenied):
        services.case_resolve(actor=leader, case=case_a, resolution="x")
    case_a.refresh_from_db()
    assert case_a.status == "new"


def test_other_community_worker_cannot_act(world, case_a):
    for action in (
        lambda: services.case_accept(actor=world.b.worker, case=case_a),
        lambda: services.case_resolve(actor=world.b.worker, case=case_a, resolution="x"),
        lambda: services.case_escalate(actor=world.b.worker, case=case_a, reason="x"),
        lambda: services.case_comment(actor=world.b.worker, case=case_a, text="x"),
    ):
        with pytest.raises(PermissionDenied):
            action()
    case_a.refresh_from_db()
    assert case_a.status == "new" and case_a.events.count() == 1


def test_rating_only_by_requester_after_resolution(world, resident_case):
    with pytest.raises(DomainError) as exc:
        services.case_rate(actor=world.a.resident, case=resident_case, score=5)
    assert "尚未办结" in str(exc.value)
    resident_case.refresh_from_db()
    assert resident_case.rating is None
    services.case_resolve(actor=world.a.worker, case=resident_case, resolution="已调解")
    assert Notification.objects.filter(kind="case.resolved", recipient=world.a.resident).exists()
    with pytest.raises(PermissionDenied):
        services.case_rate(actor=world.a.worker, case=resident_case, score=5)
    with pytest.raises(DomainError):
        services.case_rate(actor=world.a.resident, case=resident_case, score=9)
    services.case_rate(actor=world.a.resident, case=resident_case, score=4, comment="处理及时")
    assert resident_case.rating == 4
    with pytest.raises(DomainError):
        services.case_rate(actor=world.a.resident, case=resident_case, score=1)
    resident_case.refresh_from_db()
    assert resident_case.rating == 4


def test_anonymous_rates_with_token(world, items):
    case = services.case_submit(
        actor=AnonymousUser(),
        category=items["water"],
        title="匿名漏水",
        channel="anonymous",
        place=world.a.compound,
        requester_name="李",
        requester_phone="13700000001",
    )
    services.case_resolve(actor=world.a.worker, case=case, resolution="ok")
    with pytest.raises(PermissionDenied):
        services.case_rate(actor=AnonymousUser(), case=case, score=5, token="wrong")
    services.case_rate(actor=AnonymousUser(), case=case, score=5, token=case.track_token)
    assert case.rating == 5


def test_merge_duplicates(world, items, case_a):
    dup = services.case_submit(
        actor=world.a.grid_worker,
        category=items["water"],
        title="同一处漏水",
        channel="visit",
        place=world.a.building,
    )
    services.case_merge(actor=world.a.worker, case=dup, into=case_a)
    dup.refresh_from_db()
    assert dup.status == "closed" and dup.merged_into == case_a
    with pytest.raises(DomainError):
        services.case_reopen(actor=world.a.worker, case=dup, reason="x")


def test_cannot_merge_across_communities(world, case_a, case_b):
    with pytest.raises(DomainError):
        services.case_merge(actor=world.street_officer, case=case_b, into=case_a)
    case_b.refresh_from_db()
    assert case_b.merged_into is None and case_b.status == "new"


def test_attach_rejects_bad_files(world, case_a, photo):
    assert services.case_attach(actor=world.a.worker, case=case_a, files=[photo]) == 1
    with pytest.raises(DomainError):
        services.case_attach(actor=world.a.worker, case=case_a, files=[big_file()])
    with pytest.raises(DomainError):
        services.case_attach(
            actor=world.a.worker, case=case_a, files=[SimpleUploadedFile("a.svg", b"<svg/>")]
        )
    assert case_a.attachments.count() == 1


def test_assign_only_to_people_covering_the_case(world, case_a):
    services.case_assign(actor=world.a.worker, case=case_a, assignee=world.a.grid_worker)
    assert case_a.assigned_to == world.a.grid_worker
    with pytest.raises(DomainError):
        services.case_assign(actor=world.a.worker, case=case_a, assignee=world.b.worker)
    case_a.refresh_from_db()
    assert case_a.assigned_to == world.a.grid_worker


def test_catalogue_edit_rights(world, items):
    item = services.service_item_create(
        actor=world.a.worker,
        street=world.street,
        community=world.a.community,
        kind="service",
        code="a-only",
        name="A社区特色服务",
    )
    services.service_item_update(actor=world.a.worker, item=item, documents_needed="户口本")
    with pytest.raises(PermissionDenied):
        services.service_item_update(actor=world.b.worker, item=item, name="改名")
    with pytest.raises(PermissionDenied):
        services.service_item_update(actor=world.a.worker, item=items["water"], name="改名")
    with pytest.raises(DomainError):
        services.service_item_update(
            actor=world.street_officer, item=items["water"], lowest_level="department", department=""
        )
    items["water"].refresh_from_db()
    assert items["water"].name == "楼道漏水"


def test_catalogue_community_items_only_for_that_community(world, items):
    item = services.service_item_create(
        actor=world.a.worker,
        street=world.street,
        community=world.a.community,
        kind="help",
        code="a-help",
        name="A社区专属",
    )
    with pytest.raises(DomainError):
        services.case_submit(
            actor=world.b.worker, category=item, title="x", channel="counter", place=world.b.building
        )


def test_a_forgotten_actor_is_an_error_not_a_pass(world, items, case_a):
    with pytest.raises(TypeError):
        services.case_accept(actor=None, case=case_a)
    with pytest.raises(TypeError):
        services.case_submit(
            actor=None, category=items["water"], title="x", channel="counter", place=world.a.compound
        )
    case_a.refresh_from_db()
    assert case_a.status == Case.Status.NEW


def test_the_system_actor_acts_explicitly(world, items, case_a):
    from shequ.core.jurisdiction import SYSTEM

    services.case_accept(actor=SYSTEM, case=case_a)
    case_a.refresh_from_db()
    assert case_a.status == Case.Status.ACCEPTED
    assert case_a.events.filter(kind=CaseEvent.Kind.ACCEPTED, actor__isnull=True, actor_label="系统").exists()
