"""Pages: each persona finishes their job; another community's objects are 404 and stay unchanged."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shequ.cases import services
from shequ.cases.models import AdmissionItem, Case, ServiceItem, Whistle
from shequ.cases.testing import populate
from shequ.cases.tests.conftest import PNG, big_file


def _png(name="p.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def _snapshot(case):
    case.refresh_from_db()
    return (
        case.status,
        case.level,
        case.assigned_to_id,
        case.rating,
        case.events.count(),
        case.whistles.count(),
        case.attachments.count(),
    )


def test_pages_render_for_their_people(world, items, case_a, client_for, client_a):
    pages = [
        (
            world.a.worker,
            [
                "/cases/",
                "/cases/new/",
                f"/cases/{case_a.pk}/",
                "/cases/whistles/",
                "/cases/catalogue/",
                "/cases/catalogue/new/",
                "/cases/admission/",
                "/cases/duties/new/",
                "/cases/dashboard/",
            ],
        ),
        (
            world.street_officer,
            ["/cases/", "/cases/admission/new/", "/cases/dashboard/", f"/cases/{case_a.pk}/"],
        ),
        (world.a.building_leader, ["/cases/", f"/cases/{case_a.pk}/"]),
        (world.a.resident, ["/cases/submit/", "/cases/my/"]),
        (world.a.liaison, ["/cases/whistles/summoned/"]),
    ]
    for user, urls in pages:
        client = client_for(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (user, url)
    assert "3栋楼道漏水" in client_a.get("/cases/").content.decode()


def test_queue_filters_and_pinned_queries(world, items, case_a, client_a, django_assert_max_num_queries):
    for i in range(5):
        services.case_submit(
            actor=world.a.worker,
            category=items["elder"],
            title=f"帮扶请求{i}",
            channel="hotline",
            place=world.a.compound,
        )
    with django_assert_max_num_queries(12):
        page = client_a.get("/cases/").content.decode()
    assert page.count("帮扶请求") == 5
    filtered = client_a.get(f"/cases/?category={items['water'].pk}").content.decode()
    assert "3栋楼道漏水" in filtered and "帮扶请求0" not in filtered
    assert "3栋楼道漏水" not in client_a.get("/cases/?overdue=1").content.decode()
    assert "3栋楼道漏水" in client_a.get("/cases/?level=compound").content.decode()


def test_worker_intake_page_and_bad_input(world, items, client_a):
    base = {"channel": "counter", "place": world.a.building.pk, "title": "窗口代办", "requester_phone": ""}
    response = client_a.post("/cases/new/", {**base, "category": ""})
    assert response.status_code == 200
    assert "请选择诉求类别" in response.content.decode()
    response = client_a.post(
        "/cases/new/", {**base, "category": items["water"].pk, "attachments": big_file()}
    )
    assert "不能超过" in response.content.decode()
    response = client_a.post(
        "/cases/new/",
        {**base, "category": items["water"].pk, "attachments": SimpleUploadedFile("x.exe", b"MZ")},
    )
    assert "类型不支持" in response.content.decode()
    assert Case.objects.count() == 0
    response = client_a.post("/cases/new/", {**base, "category": items["water"].pk, "attachments": _png()})
    assert response.status_code == 302
    assert Case.objects.get().attachments.count() == 1


def test_case_actions_through_the_page(world, case_a, client_a, client_for):
    leader = client_for(world.a.building_leader)
    leader.post(f"/cases/{case_a.pk}/act/escalate/", {"reason": "楼栋解决不了"})
    case_a.refresh_from_db()
    assert case_a.level == "community"
    client_a.post(f"/cases/{case_a.pk}/act/accept/")
    response = client_a.post(
        f"/cases/{case_a.pk}/act/whistle/", {"reason": "需要部门", "departments": ["卫健"]}, follow=True
    )
    assert "请填写报到期限" in response.content.decode()
    assert Whistle.objects.count() == 0
    deadline = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    client_a.post(
        f"/cases/{case_a.pk}/act/whistle/",
        {"reason": "需要部门", "departments": ["卫健"], "report_by": deadline},
    )
    assert Whistle.objects.count() == 1
    liaison = client_for(world.a.liaison)
    assert liaison.get(f"/cases/{case_a.pk}/").status_code == 200
    liaison.post(f"/cases/{case_a.pk}/report/", {"action_taken": "到场处置"})
    page = client_a.get(f"/cases/{case_a.pk}/").content.decode()
    assert 'data-state="reported"' in page
    client_a.post(f"/cases/{case_a.pk}/act/resolve/", {"resolution": "已修好"})
    case_a.refresh_from_db()
    assert case_a.status == "resolved"


def test_unsummoned_department_gets_a_clear_message(world, case_a, client_for):
    from shequ.testing.world import make_user

    other = make_user("liaison_zj", "department_liaison", place=world.a.community, department="住建")
    before = _snapshot(case_a)
    response = client_for(other).post(f"/cases/{case_a.pk}/report/", {"action_taken": "来了"}, follow=True)
    assert "未被召集" in response.content.decode()
    assert _snapshot(case_a) == before


def test_resident_phone_pages_submit_rate(world, items, client_for):
    client = client_for(world.a.resident)
    response = client.post("/cases/submit/", {"category": "", "title": "漏水"})
    assert "请选择诉求类别" in response.content.decode()
    response = client.post(
        "/cases/submit/", {"category": items["water"].pk, "title": "家门口漏水", "photo": _png()}
    )
    case = Case.objects.get()
    assert response.status_code == 302 and case.attachments.count() == 1
    response = client.post(f"/cases/my/{case.pk}/", {"what": "rate", "score": "5"}, follow=True)
    assert "尚未办结" in response.content.decode()
    case.refresh_from_db()
    assert case.rating is None
    services.case_resolve(actor=world.a.worker, case=case, resolution="已修")
    client.post(f"/cases/my/{case.pk}/", {"what": "rate", "score": "4", "comment": "及时"})
    case.refresh_from_db()
    assert case.rating == 4
    assert client.get(f"/cases/attachments/{case.attachments.get().pk}/").status_code == 200


def test_anonymous_submit_and_track(world, items, anon_client):
    response = anon_client.post(
        "/cases/submit/",
        {
            "place": world.a.compound.pk,
            "category": items["water"].pk,
            "title": "匿名反映",
            "requester_name": "",
            "requester_phone": "",
        },
    )
    assert "请填写联系人姓名" in response.content.decode()
    response = anon_client.post(
        "/cases/submit/",
        {
            "place": world.a.compound.pk,
            "category": items["water"].pk,
            "title": "匿名反映",
            "requester_name": "李",
            "requester_phone": "13700000001",
        },
    )
    case = Case.objects.get()
    assert response["Location"] == f"/cases/track/{case.track_token}/"
    assert "匿名反映" in anon_client.get(response["Location"]).content.decode()
    assert anon_client.get("/cases/track/not-a-real-token-at-all-xx/").status_code == 404
    assert anon_client.get("/cases/").status_code == 302


# ---- authorisation matrix: another community's objects answer 404 and nothing changes -----------------------


def test_other_community_case_is_404_everywhere(world, items, case_b, client_a, client_for, photo):
    services.case_attach(actor=world.b.worker, case=case_b, files=[photo])
    attachment = case_b.attachments.get()
    before = _snapshot(case_b)
    assert client_a.get(f"/cases/{case_b.pk}/").status_code == 404
    for action in (
        "accept",
        "start",
        "escalate",
        "resolve",
        "close",
        "reopen",
        "comment",
        "attach",
        "assign",
        "merge",
        "whistle",
    ):
        response = client_a.post(
            f"/cases/{case_b.pk}/act/{action}/", {"reason": "x", "resolution": "x", "text": "x"}
        )
        assert response.status_code == 404, action
    assert client_a.get(f"/cases/attachments/{attachment.pk}/").status_code == 404
    assert (
        client_for(world.a.liaison).post(f"/cases/{case_b.pk}/report/", {"action_taken": "x"}).status_code
        == 404
    )
    assert client_for(world.a.resident).get(f"/cases/my/{case_b.pk}/").status_code == 404
    assert client_for(world.a.building_leader).get(f"/cases/{case_b.pk}/").status_code == 404
    for path in (
        f"/api/v1/cases/{case_b.pk}/",
        f"/api/v1/cases/{case_b.pk}/timeline/",
        f"/api/v1/cases/{case_b.pk}/whistles/",
    ):
        assert client_a.get(path).status_code == 404, path
    for action in (
        "accept",
        "start",
        "escalate",
        "resolve",
        "close",
        "reopen",
        "comment",
        "assign",
        "merge",
        "whistle",
        "rate",
        "report",
        "attachments",
    ):
        assert client_a.post(f"/api/v1/cases/{case_b.pk}/{action}/", {}).status_code == 404, action
    assert _snapshot(case_b) == before


def test_other_residents_case_is_404(world, resident_case, client_for):
    client = client_for(world.b.resident)
    assert client.get(f"/cases/my/{resident_case.pk}/").status_code == 404
    assert client.post(f"/cases/my/{resident_case.pk}/", {"what": "rate", "score": "1"}).status_code == 404
    assert client.post(f"/api/v1/cases/{resident_case.pk}/rate/", {"score": 1}).status_code == 404


def test_other_community_catalogue_and_duties(world, items, client_a, client_b):
    b_item = services.service_item_create(
        actor=world.b.worker,
        street=world.street,
        community=world.b.community,
        kind="service",
        code="b-only",
        name="B社区独有服务",
    )
    assert client_a.get(f"/cases/catalogue/{b_item.pk}/").status_code == 404
    assert client_a.post(f"/cases/catalogue/{b_item.pk}/", {"name": "改"}).status_code == 404
    assert (
        client_a.patch(
            f"/api/v1/cases/catalogue/{b_item.pk}/", {"name": "改"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert "B社区独有服务" not in client_a.get("/cases/catalogue/").content.decode()
    assert client_a.get(f"/api/v1/cases/catalogue/{b_item.pk}/").status_code == 404
    # a street-wide item: community workers read it but cannot change it
    assert client_a.post(f"/cases/catalogue/{items['water'].pk}/", {"name": "改"}).status_code == 404
    b_item.refresh_from_db()
    items["water"].refresh_from_db()
    assert b_item.name == "B社区独有服务" and items["water"].name == "楼道漏水"


def test_admission_list_is_the_streets(world, client_a, client_officer):
    response = client_officer.post(
        "/cases/admission/new/",
        {
            "department": "民政",
            "name": "低保初审",
            "resources": "1名专干",
            "funding_yuan": "10000",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    item = AdmissionItem.objects.get()
    assert client_a.get("/cases/admission/new/").status_code == 403
    assert client_a.post(f"/cases/admission/{item.pk}/", {"name": "改"}).status_code == 403
    item.refresh_from_db()
    assert item.name == "低保初审"


def test_duty_page_flags_off_list(world, client_a):
    response = client_a.post(
        "/cases/duties/new/",
        {
            "community": world.a.community.pk,
            "department": "城管",
            "title": "占道经营巡查",
            "estimated_hours": "6",
        },
        follow=True,
    )
    assert "不在准入清单内" in response.content.decode()
    assert (
        client_a.post(
            "/cases/duties/new/", {"community": world.b.community.pk, "department": "城管", "title": "x"}
        ).status_code
        == 200
    )  # B is not a choice


def test_jurisdiction_walk_with_populate(world, client_for):
    secrets_of_b = populate(world)
    pages = [
        "/cases/",
        "/cases/?status=all",
        "/cases/whistles/",
        "/cases/whistles/?all=1",
        "/cases/admission/",
        "/cases/dashboard/",
        "/api/v1/cases/",
        "/api/v1/cases/whistles/",
        "/api/v1/cases/duties/",
    ]
    for user in (
        world.a.worker,
        world.a.grid_worker,
        world.a.building_leader,
        world.a.liaison,
        world.a.resident,
    ):
        client = client_for(user)
        for url in pages + ["/cases/my/", "/cases/whistles/summoned/"]:
            body = client.get(url).content.decode()
            for secret in secrets_of_b:
                assert secret not in body, (user, url, secret)
    officer = client_for(world.street_officer)
    assert secrets_of_b[0] in officer.get("/cases/?status=all").content.decode()


def test_catalogue_editor_page(world, client_a):
    response = client_a.post(
        "/cases/catalogue/new/",
        {
            "scope": f"c{world.a.community.pk}",
            "kind": "service",
            "code": "hukou",
            "name": "户籍证明",
            "documents_needed": "身份证、户口本",
            "lowest_level": "community",
            "department": "",
            "hours_compound": 24,
            "hours_community": 48,
            "hours_street": 72,
            "hours_department": 120,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    item = ServiceItem.objects.get(code="hukou")
    assert item.community == world.a.community
    response = client_a.post(
        f"/cases/catalogue/{item.pk}/",
        {
            "kind": "service",
            "code": "hukou",
            "name": "户籍证明",
            "lowest_level": "department",
            "department": "",
            "hours_compound": 24,
            "hours_community": 48,
            "hours_street": 72,
            "hours_department": 120,
        },
    )
    assert "须指定责任部门" in response.content.decode()
    item.refresh_from_db()
    assert item.lowest_level == "community"
