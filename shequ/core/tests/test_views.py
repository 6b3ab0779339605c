"""Home page per role, the audit log (street officers, read-only, scoped), and the error pages."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from shequ.accounts.models import RoleAssignment, User
from shequ.core import pii
from shequ.core.jurisdiction import SYSTEM
from shequ.core.models import AuditEvent
from shequ.core.views import server_error
from shequ.ledger import services
from shequ.places import services as places
from shequ.places.models import Level


def test_home_for_a_community_worker_is_scoped(world, client_a, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = client_a.get(reverse("core:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["pyramid"]["total"] == 3
    assert response.context["rollup"] is None
    assert 'data-chart-kind="pyramid"' in html and "echarts.min.js" in html
    assert "<script>" not in html  # CSP: no inline scripts (json_script data only)
    for person in (world.a.head, world.a.spouse, world.a.elder):
        assert pii.decrypt(person.id_number_encrypted) not in html


def test_home_for_the_street_officer_has_a_row_per_community(
    world, client_officer, django_assert_max_num_queries
):
    with django_assert_max_num_queries(25):
        response = client_officer.get(reverse("core:home"))
    rows = {r["community"].name: r for r in response.context["rollup"]}
    assert set(rows) == {"A社区", "B社区"}
    assert rows["A社区"]["people"] == 3 and rows["B社区"]["three_without"] == 1
    assert response.context["risk_count"] == 1
    assert "老街小区" in response.content.decode()


def test_home_for_a_resident_links_their_household(world, client_for):
    response = client_for(world.a.resident).get(reverse("core:home"))
    html = response.content.decode()
    assert reverse("ledger:household", args=[world.a.household.pk]) in html
    assert "在册人口" not in html


def test_home_for_a_volunteer_lists_what_they_may_use(world, client_for):
    response = client_for(world.a.volunteer).get(reverse("core:home"))
    assert response.status_code == 200
    assert "在册人口" not in response.content.decode()


def test_home_needs_login(anon_client):
    response = anon_client.get(reverse("core:home"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_login_page_renders(anon_client, world, password):
    assert anon_client.get(reverse("accounts:login")).status_code == 200
    response = anon_client.post(reverse("accounts:login"), {"username": "worker_a", "password": "wrong"})
    assert "用户名或密码不正确" in response.content.decode()
    response = anon_client.post(reverse("accounts:login"), {"username": "worker_a", "password": password})
    assert response.status_code == 302


def _events(world):
    a = world.a
    services.person_update(actor=a.worker, person=a.head, phone="13711112222")
    services.person_reveal(actor=a.worker, person=a.head, field="id_number", reason="核对低保材料")
    services.person_update(actor=world.b.worker, person=world.b.head, occupation="退休")


def test_audit_log_shows_who_when_what_why(world, client_officer, django_assert_max_num_queries):
    _events(world)
    with django_assert_max_num_queries(12):
        response = client_officer.get(reverse("core:audit"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "A社区工作者" in html and "核对低保材料" in html and "137****2222" in html and "证件号码" in html
    assert pii.decrypt(world.a.head.id_number_encrypted) not in html


def test_audit_log_filters(world, client_officer):
    _events(world)
    page = client_officer.get(reverse("core:audit"), {"kind": "reveal"}).context["page"]
    assert [e.action for e in page] == ["person_reveal"]
    page = client_officer.get(reverse("core:audit"), {"actor": "worker_b"}).context["page"]
    assert {e.action for e in page} == {"person_update"}
    page = client_officer.get(reverse("core:audit"), {"object": "章伟", "kind": "update"}).context["page"]
    assert [e.object_label for e in page] == ["章伟"]
    page = client_officer.get(reverse("core:audit"), {"from": "2000-01-01", "to": "2000-01-02"}).context[
        "page"
    ]
    assert list(page) == []
    response = client_officer.get(reverse("core:audit"), {"from": "昨天"})
    assert response.status_code == 200 and "日期格式不正确" in response.content.decode()


def test_audit_log_paginates(world, client_officer):
    for i in range(60):
        services.person_update(actor=world.a.worker, person=world.a.head, occupation=f"职业{i}")
    page1 = client_officer.get(reverse("core:audit"), {"kind": "update"}).context["page"]
    page2 = client_officer.get(reverse("core:audit"), {"kind": "update", "page": "2"}).context["page"]
    assert len(page1.object_list) == 50 and page1.has_next_page
    assert len(page2.object_list) >= 10 and not page2.has_next_page


@pytest.mark.parametrize("persona", ["worker", "grid_worker", "volunteer", "liaison", "resident"])
def test_audit_log_is_for_street_officers_only(world, client_for, persona):
    _events(world)
    response = client_for(getattr(world.a, persona)).get(reverse("core:audit"))
    assert response.status_code == 403
    assert "核对低保材料" not in response.content.decode()


def test_audit_log_is_read_only(world, client_officer):
    _events(world)
    count = AuditEvent.objects.count()
    assert client_officer.post(reverse("core:audit"), {"kind": "reveal"}).status_code == 405
    assert AuditEvent.objects.count() == count


def test_audit_log_of_another_street_is_hidden(world, client_for):
    _events(world)
    other = places.place_create(
        actor=SYSTEM, level=Level.STREET, name="平安街道", division_code="110105002000"
    )
    officer = User.objects.create_user(username="officer2", password="x")
    RoleAssignment.objects.create(user=officer, role="street_officer", place=other)
    page = client_for(officer).get(reverse("core:audit")).context["page"]
    assert list(page) == []


def test_not_found_page_is_friendly(world, client_a):
    response = client_a.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html and "Traceback" not in html


def test_server_error_page_never_shows_the_exception():
    request = RequestFactory().get("/boom/")
    response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器出错" in html and "Traceback" not in html


def test_english_is_available(world, client_a):
    response = client_a.get(reverse("core:home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Home" in response.content.decode()
