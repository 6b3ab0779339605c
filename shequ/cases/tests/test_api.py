"""The REST API: the same services, the same scoping, clear 400s with the field named."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from shequ.cases.models import Case, Whistle


def test_create_list_and_act(world, items, client_a, client_for):
    response = client_a.post(
        "/api/v1/cases/",
        {
            "channel": "hotline",
            "category": items["water"].pk,
            "title": "热线:楼道漏水",
            "place": world.a.building.pk,
            "requester_phone": "13800138000",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["level"] == "compound" and data["requester_phone_masked"] == "138****8000"
    pk = data["id"]
    assert [r["id"] for r in client_a.get("/api/v1/cases/?level=compound").json()["results"]] == [pk]
    assert client_a.post(f"/api/v1/cases/{pk}/accept/").json()["status"] == "accepted"
    response = client_a.post(
        f"/api/v1/cases/{pk}/whistle/",
        {"reason": "x", "departments": ["卫健"]},
        content_type="application/json",
    )
    assert response.status_code == 400 and "report_by" in response.json()
    report_by = (timezone.now() + timedelta(hours=2)).isoformat()
    response = client_a.post(
        f"/api/v1/cases/{pk}/whistle/",
        {"reason": "x", "departments": ["卫健"], "report_by": report_by},
        content_type="application/json",
    )
    assert response.status_code == 201
    liaison = client_for(world.a.liaison)
    response = liaison.post(
        f"/api/v1/cases/{pk}/report/", {"action_taken": "到场"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()[0]["state"] == "reported"
    response = client_a.post(
        f"/api/v1/cases/{pk}/resolve/", {"resolution": "修好"}, content_type="application/json"
    )
    assert response.json()["status"] == "resolved"
    assert len(client_a.get(f"/api/v1/cases/{pk}/timeline/").json()) >= 4


def test_bad_input_is_400_naming_the_field(world, items, client_a, client_for):
    response = client_a.post(
        "/api/v1/cases/",
        {"channel": "counter", "title": "x", "place": world.a.building.pk},
        content_type="application/json",
    )
    assert response.status_code == 400 and "category" in response.json()
    assert Case.objects.count() == 0
    resident = client_for(world.a.resident)
    response = resident.post(
        "/api/v1/cases/",
        {"channel": "resident", "category": items["water"].pk, "title": "漏水"},
        content_type="application/json",
    )
    assert response.status_code == 201
    pk = response.json()["id"]
    response = resident.post(f"/api/v1/cases/{pk}/rate/", {"score": 5}, content_type="application/json")
    assert response.status_code == 400 and "score" in response.json()
    assert Case.objects.get(pk=pk).rating is None
    assert resident.get("/api/v1/cases/").json()["count"] == 1


def test_unsummoned_department_api(world, case_a, client_a):
    from django.test import Client

    from shequ.testing.world import make_user

    client_a.post(
        f"/api/v1/cases/{case_a.pk}/whistle/",
        {
            "reason": "x",
            "departments": ["卫健"],
            "report_by": (timezone.now() + timedelta(hours=1)).isoformat(),
        },
        content_type="application/json",
    )
    other = make_user("liaison_sc", "department_liaison", place=world.a.community, department="市场监管")
    client = Client()
    client.force_login(other)
    response = client.post(
        f"/api/v1/cases/{case_a.pk}/report/", {"action_taken": "x"}, content_type="application/json"
    )
    assert response.status_code == 400 and "未被召集" in str(response.json())
    assert not Whistle.objects.get().summonses.filter(reported_at__isnull=False).exists()


def test_dashboard_and_catalogue_api(world, items, case_a, client_a, client_officer):
    data = client_officer.get("/api/v1/cases/dashboard/").json()
    assert data["totals"]["open"] == 1
    response = client_officer.post(
        "/api/v1/cases/admission-list/",
        {"department": "城管", "name": "市容巡查", "funding_yuan": "5000"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert (
        client_a.post(
            "/api/v1/cases/admission-list/",
            {"department": "城管", "name": "y"},
            content_type="application/json",
        ).status_code
        == 403
    )
    response = client_a.post(
        "/api/v1/cases/duties/",
        {"community": world.a.community.pk, "department": "城管", "title": "市容巡查"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["is_on_list"] is True
    response = client_a.post(
        "/api/v1/cases/catalogue/",
        {"community": world.a.community.pk, "kind": "help", "code": "a-x", "name": "A社区求助"},
        content_type="application/json",
    )
    assert response.status_code == 201


def test_schema_generates(client_a):
    response = client_a.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/cases/{id}/whistle/" in response.content


def _error(response, field):
    assert response.status_code == 400, response.content
    return response.json()[field]


def test_ids_outside_the_callers_jurisdiction_answer_like_unknown_ones(world, items, case_a, client_a):
    """An assignee, a summoned member, a community or an admission item of community B is refused with the same
    400 as an id that does not exist, so the answer never confirms that B's object exists; nothing changes."""
    url = f"/api/v1/cases/{case_a.pk}"
    unknown = _error(
        client_a.post(f"{url}/assign/", {"assignee": 987654}, content_type="application/json"), "assignee"
    )
    outside = _error(
        client_a.post(f"{url}/assign/", {"assignee": world.b.worker.pk}, content_type="application/json"),
        "assignee",
    )
    assert unknown == outside
    report_by = (timezone.now() + timedelta(hours=2)).isoformat()
    body = {"reason": "x", "report_by": report_by}
    unknown = _error(
        client_a.post(f"{url}/whistle/", {**body, "members": [987654]}, content_type="application/json"),
        "members",
    )
    outside = _error(
        client_a.post(
            f"{url}/whistle/", {**body, "members": [world.b.worker.pk]}, content_type="application/json"
        ),
        "members",
    )
    assert unknown == outside
    for path, payload in (
        ("/api/v1/cases/catalogue/", {"kind": "help", "code": "b-x", "name": "B求助"}),
        ("/api/v1/cases/duties/", {"department": "城管", "title": "巡查"}),
    ):
        unknown = _error(
            client_a.post(path, {**payload, "community": 987654}, content_type="application/json"),
            "community",
        )
        outside = _error(
            client_a.post(
                path, {**payload, "community": world.b.community.pk}, content_type="application/json"
            ),
            "community",
        )
        assert [m.replace("987654", "?") for m in unknown] == [
            m.replace(str(world.b.community.pk), "?") for m in outside
        ]
    case_a.refresh_from_db()
    assert case_a.assigned_to_id != world.b.worker.pk
    assert not Whistle.objects.exists()


def test_a_case_changes_only_through_its_actions(case_a, client_a):
    for method in (client_a.put, client_a.patch):
        response = method(f"/api/v1/cases/{case_a.pk}/", {"title": "改"}, content_type="application/json")
        assert response.status_code == 405
    case_a.refresh_from_db()
    assert case_a.title == "3栋楼道漏水"
    schema = client_a.get("/api/schema/?format=json").json()
    assert set(schema["paths"]["/api/v1/cases/{id}/"]) == {"get"}
