"""The ledger API: filters, pagination, masking, reveal, writes through services with errors that name the field,
and the jurisdiction rule (another community's record is a 404 and nothing changes)."""

from datetime import date

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shequ.core import idnumbers
from shequ.core.models import AuditEvent
from shequ.ledger.models import GroupTag, Household, Need, Person, Residency


@pytest.fixture
def api():
    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


def _ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_anonymous_is_refused(world, api):
    for url in ("/api/v1/people/", f"/api/v1/people/{world.a.head.pk}/", "/api/v1/households/"):
        assert api().get(url).status_code in (401, 403)
    response = api().post("/api/v1/people/", {"name": "x", "community": world.a.community.pk}, format="json")
    assert response.status_code in (401, 403)
    assert not Person.objects.filter(name="x").exists()


def test_token_auth_for_machines(world, password):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "worker_a", "password": password}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=world.a.worker).key == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/").json()
    assert me["username"] == "worker_a"
    assert me["roles"][0]["role"] == "community_worker" and "pii.reveal" in me["rights"]
    assert world.a.head.pk in _ids(client.get("/api/v1/people/"))
    bad = APIClient().post("/api/v1/auth/token/", {"username": "worker_a", "password": "nope"}, format="json")
    assert bad.status_code == 400 and "token" not in bad.json()
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert wrong.get("/api/v1/people/").status_code in (401, 403)


def test_people_list_is_scoped_and_masked(world, api):
    body = api(world.a.worker).get("/api/v1/people/").json()
    ids = {row["id"] for row in body["results"]}
    assert ids == {world.a.head.pk, world.a.spouse.pk, world.a.elder.pk}
    head = next(r for r in body["results"] if r["id"] == world.a.head.pk)
    assert head["id_number"] == world.a.head.id_number_masked and "*" in head["id_number"]
    assert head["phone"] == world.a.head.phone_masked
    text = str(body)
    assert "encrypted" not in text and "_hash" not in text
    officer_ids = _ids(api(world.street_officer).get("/api/v1/people/"))
    assert world.b.head.pk in officer_ids and world.a.head.pk in officer_ids


def test_people_filters(world, api):
    client = api(world.a.worker)
    assert _ids(client.get("/api/v1/people/?q=zw")) == [world.a.head.pk]
    assert _ids(client.get("/api/v1/people/?q=张伟")) == [world.a.head.pk]
    assert _ids(client.get("/api/v1/people/?q=章伟")) == []  # B's person: not found, not leaked
    assert _ids(client.get("/api/v1/people/?age_min=80")) == [world.a.elder.pk]
    assert world.a.elder.pk not in _ids(client.get("/api/v1/people/?age_max=79"))
    assert _ids(client.get("/api/v1/people/?tag=alone_elderly")) == [world.a.elder.pk]
    assert _ids(client.get(f"/api/v1/people/?community={world.b.community.pk}")) == []
    assert _ids(client.get("/api/v1/people/?floating=true")) == []
    assert client.get("/api/v1/people/?age_min=abc").status_code == 400
    paged = client.get("/api/v1/people/?page_size=2").json()
    assert paged["count"] == 3 and len(paged["results"]) == 2 and paged["next"]
    assert client.get("/api/v1/people/?page=99").status_code == 404


def test_other_community_person_is_404_and_unchanged(world, api):
    client = api(world.a.worker)
    b = world.b.head
    before = (b.name, b.phone_hash, b.updated_at)
    assert client.get(f"/api/v1/people/{b.pk}/").status_code == 404
    assert client.patch(f"/api/v1/people/{b.pk}/", {"name": "改名"}, format="json").status_code == 404
    r = client.post(f"/api/v1/people/{b.pk}/reveal/", {"field": "id_number", "reason": "核查"}, format="json")
    assert r.status_code == 404
    b.refresh_from_db()
    assert (b.name, b.phone_hash, b.updated_at) == before
    assert not AuditEvent.objects.filter(kind="reveal").exists()


def _new_id(seq=55, female=False, born=date(1988, 6, 1)):
    return idnumbers.make("110105", born, seq, female=female)


def test_person_create_and_update(world, api):
    client = api(world.a.worker)
    number = _new_id()
    r = client.post(
        "/api/v1/people/",
        {"community": world.a.community.pk, "name": "赵强", "id_number": number, "phone": "13700001234"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["birth_date"] == "1988-06-01" and body["sex"] == "M"
    assert body["id_number"] == idnumbers.mask(number) and body["phone"] == "137****1234"
    assert number not in r.content.decode()
    person = Person.objects.get(pk=body["id"])
    r = client.patch(f"/api/v1/people/{person.pk}/", {"phone": "13911112222"}, format="json")
    assert r.status_code == 200 and r.json()["phone"] == "139****2222"
    assert AuditEvent.objects.filter(action="person_update", object_id=str(person.pk)).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"id_number": "110105198806010550"}, "id_number"),  # wrong check digit
        ({"id_number": _new_id(), "birth_date": "1990-01-01"}, "birth_date"),  # contradicts the ID
        ({"id_number": _new_id(), "sex": "F"}, "sex"),
        ({"phone": "12345678901"}, "phone"),  # impossible phone
        ({"phone": "1380000"}, "phone"),
        ({"birth_date": "2999-01-01", "sex": "M"}, "birth_date"),
        ({"name": "", "sex": "M"}, "name"),
        ({"sex": "X"}, "sex"),
        ({"community": 999999}, "community"),
    ],
)
def test_person_create_errors_name_the_field(world, api, payload, field):
    data = {"community": world.a.community.pk, "name": "钱多", **payload}
    count = Person.objects.count()
    r = api(world.a.worker).post("/api/v1/people/", data, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json(), r.json()
    assert all(isinstance(m, str) and m for m in r.json()[field])
    assert Person.objects.count() == count


def test_person_create_in_other_community_is_refused(world, api):
    count = Person.objects.count()
    r = api(world.a.worker).post(
        "/api/v1/people/", {"community": world.b.community.pk, "name": "钱多", "sex": "M"}, format="json"
    )
    assert r.status_code == 400 and "community" in r.json()
    assert "B社区" not in r.content.decode()
    assert Person.objects.count() == count


def test_duplicate_id_points_to_existing_person(world, api):
    number = _new_id(seq=61)
    client = api(world.a.worker)
    first = client.post(
        "/api/v1/people/",
        {"community": world.a.community.pk, "name": "孙丽", "id_number": number},
        format="json",
    ).json()
    count = Person.objects.count()
    r = client.post(
        "/api/v1/people/",
        {"community": world.a.community.pk, "name": "孙莉", "id_number": number},
        format="json",
    )
    assert r.status_code == 400
    body = r.json()
    assert "id_number" in body and body["existing_person"]["id"] == first["id"]
    assert body["existing_person"]["url"].endswith(f"/people/{first['id']}/")
    assert Person.objects.count() == count


def test_duplicate_id_in_other_community_tells_nothing_about_it(world, api):
    number = _new_id(seq=63)
    api(world.b.worker).post(
        "/api/v1/people/",
        {"community": world.b.community.pk, "name": "周杰", "id_number": number},
        format="json",
    )
    count = Person.objects.count()
    r = api(world.a.worker).post(
        "/api/v1/people/",
        {"community": world.a.community.pk, "name": "周杰", "id_number": number},
        format="json",
    )
    assert r.status_code == 400 and "id_number" in r.json()
    assert "existing_person" not in r.json()
    text = r.content.decode()
    assert "周杰" not in text and "B社区" not in text
    assert Person.objects.count() == count


def test_update_birth_date_contradicting_id_is_400_and_unchanged(world, api):
    head = world.a.head
    r = api(world.a.worker).patch(f"/api/v1/people/{head.pk}/", {"birth_date": "1971-01-01"}, format="json")
    assert r.status_code == 400 and "birth_date" in r.json()
    head.refresh_from_db()
    assert head.birth_date == date(1970, 5, 4)


def test_reveal_is_audited_and_needs_the_right(world, api):
    head = world.a.head
    url = f"/api/v1/people/{head.pk}/reveal/"
    r = api(world.a.worker).post(url, {"field": "phone", "reason": "入户核实"}, format="json")
    assert r.status_code == 200 and r.json()["value"] == "13800131001"
    assert r["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(kind="reveal")
    assert event.actor == world.a.worker and event.field == "phone" and event.reason == "入户核实"
    assert "13800131001" not in str(event.before) + str(event.after)
    assert api(world.a.worker).post(url, {"field": "phone", "reason": ""}, format="json").status_code == 400
    assert (
        api(world.a.worker).post(url, {"field": "name", "reason": "看看"}, format="json").status_code == 400
    )
    # a grid worker sees the record but may not reveal; a liaison likewise
    assert (
        api(world.a.grid_worker).post(url, {"field": "phone", "reason": "核实"}, format="json").status_code
        == 403
    )
    assert (
        api(world.a.liaison).post(url, {"field": "phone", "reason": "核实"}, format="json").status_code == 403
    )
    assert AuditEvent.objects.filter(kind="reveal").count() == 1


def test_read_only_roles_cannot_write(world, api):
    count = Person.objects.count()
    for user in (world.a.liaison, world.a.building_leader):
        r = api(user).post(
            "/api/v1/people/", {"community": world.a.community.pk, "name": "钱多", "sex": "M"}, format="json"
        )
        assert r.status_code in (400, 403)
    assert Person.objects.count() == count
    for user in (world.a.volunteer, world.a.resident):
        assert api(user).get("/api/v1/people/").json()["count"] == 0


def test_move_into_other_community_dwelling_is_refused_and_nothing_changes(world, api):
    person = world.a.head
    residencies = list(Residency.objects.filter(person=person).values_list("id", "until"))
    r = api(world.a.worker).post(
        f"/api/v1/people/{person.pk}/move/", {"dwelling": world.b.dwellings[2].pk}, format="json"
    )
    assert r.status_code in (400, 404) and "dwelling" in r.json()
    assert "老街小区" not in r.content.decode()
    assert list(Residency.objects.filter(person=person).values_list("id", "until")) == residencies
    person.refresh_from_db()
    assert person.home_id == world.a.dwellings[0].pk


def test_move_within_jurisdiction(world, api):
    person = world.a.spouse
    r = api(world.a.worker).post(
        f"/api/v1/people/{person.pk}/move/",
        {"dwelling": world.a.dwellings[2].pk, "role": "tenant"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    person.refresh_from_db()
    assert person.home_id == world.a.dwellings[2].pk
    assert Residency.objects.get(person=person, dwelling=world.a.dwellings[0]).until is not None


def test_residency_create_and_end(world, api):
    client = api(world.a.worker)
    r = client.post(
        "/api/v1/residencies/",
        {
            "person": world.a.elder.pk,
            "dwelling": world.a.dwellings[2].pk,
            "role": "owner",
            "lives_here": False,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    rid = r.json()["id"]
    r = client.post(
        "/api/v1/residencies/",
        {"person": world.a.elder.pk, "dwelling": world.b.dwellings[2].pk, "role": "owner"},
        format="json",
    )
    assert r.status_code == 400 and "dwelling" in r.json()
    r = client.post(f"/api/v1/residencies/{rid}/end/", {"until": "2000-01-01"}, format="json")
    assert r.status_code in (200, 400)
    r = client.post(f"/api/v1/residencies/{rid}/end/", {}, format="json")
    assert r.status_code == 200 and r.json()["until"]
    b_res = Residency.objects.filter(dwelling__community=world.b.community).first()
    assert client.post(f"/api/v1/residencies/{b_res.pk}/end/", {}, format="json").status_code == 404
    b_res.refresh_from_db()
    assert b_res.until is None
    assert client.get("/api/v1/residencies/?current=true&role=owner").status_code == 200


def test_households_filters_detail_create_confirm(world, api):
    client = api(world.a.worker)
    ids = _ids(client.get(f"/api/v1/households/?compound={world.a.compound.pk}"))
    assert world.a.household.pk in ids
    assert _ids(client.get(f"/api/v1/households/?compound={world.b.compound.pk}")) == []
    assert _ids(client.get(f"/api/v1/households/?grid={world.a.grid.pk}"))
    assert len(_ids(client.get("/api/v1/households/?tag=alone_elderly"))) == 1
    detail = client.get(f"/api/v1/households/{world.a.household.pk}/").json()
    assert {m["person"] for m in detail["members"]} == {world.a.head.pk, world.a.spouse.pk}
    assert detail["members"][0]["person_detail"]["id_number"].count("*") == 11
    r = client.post("/api/v1/households/", {"dwelling": world.a.dwellings[2].pk}, format="json")
    assert r.status_code == 201
    r = client.post("/api/v1/households/", {"dwelling": world.b.dwellings[2].pk}, format="json")
    assert r.status_code == 400 and "dwelling" in r.json()
    r = client.post(
        f"/api/v1/households/{world.a.household.pk}/confirm/", {"source": "入户走访"}, format="json"
    )
    assert r.status_code == 200 and r.json()["last_confirmed_source"] == "入户走访"
    assert (
        client.post(f"/api/v1/households/{world.a.household.pk}/confirm/", {}, format="json").status_code
        == 400
    )
    r = client.post(f"/api/v1/households/{world.b.household.pk}/confirm/", {"source": "x"}, format="json")
    assert r.status_code == 404
    assert Household.objects.get(pk=world.b.household.pk).last_confirmed_on is None
    r = client.post(
        f"/api/v1/households/{world.a.household.pk}/members/",
        {"person": world.a.elder.pk, "relation": "parent"},
        format="json",
    )
    assert r.status_code == 201
    r = client.post(
        f"/api/v1/households/{world.a.household.pk}/members/",
        {"person": world.b.elder.pk, "relation": "parent"},
        format="json",
    )
    assert r.status_code == 400 and "person" in r.json()


def test_tags_needs_duties(world, api):
    client = api(world.a.worker)
    r = client.post(
        "/api/v1/tags/", {"person": world.a.elder.pk, "kind": "disabled", "grade": "五级"}, format="json"
    )
    assert r.status_code == 400 and "grade" in r.json()
    r = client.post(
        "/api/v1/tags/",
        {"person": world.a.elder.pk, "kind": "disabled", "grade": "二级", "detail": "肢体"},
        format="json",
    )
    assert r.status_code == 201
    tag_id = r.json()["id"]
    # health details are hidden from those who may not reveal
    row = api(world.a.grid_worker).get(f"/api/v1/tags/{tag_id}/").json()
    assert row["grade"] == "***" and row["detail"] == "***"
    assert client.post(f"/api/v1/tags/{tag_id}/end/", {}, format="json").status_code == 200
    assert GroupTag.objects.get(pk=tag_id).until is not None
    b_tag = GroupTag.objects.get(person=world.b.elder)
    assert client.post(f"/api/v1/tags/{b_tag.pk}/end/", {}, format="json").status_code == 404
    assert GroupTag.objects.get(pk=b_tag.pk).until is None

    r = client.post("/api/v1/needs/", {"household": world.a.household.pk, "kind": "meals"}, format="json")
    assert r.status_code == 201
    need_id = r.json()["id"]
    assert (
        client.post(f"/api/v1/needs/{need_id}/status/", {"status": "met"}, format="json").json()["status"]
        == "met"
    )
    r = client.post("/api/v1/needs/", {"household": world.b.household.pk, "kind": "meals"}, format="json")
    assert r.status_code == 400 and "household" in r.json()
    assert Need.objects.count() == 1

    r = client.post(
        "/api/v1/duties/",
        {"person": world.a.spouse.pk, "kind": "building_leader", "place": world.a.building.pk},
        format="json",
    )
    assert r.status_code == 201
    duty_id = r.json()["id"]
    assert _ids(client.get("/api/v1/duties/?kind=building_leader")) == [duty_id]
    assert _ids(api(world.b.worker).get("/api/v1/duties/")) == []
    assert api(world.b.worker).post(f"/api/v1/duties/{duty_id}/end/", {}, format="json").status_code == 404
    assert client.post(f"/api/v1/duties/{duty_id}/end/", {}, format="json").json()["is_active"] is False
    r = client.post(
        "/api/v1/duties/",
        {"person": world.a.spouse.pk, "kind": "volunteer", "place": world.b.building.pk},
        format="json",
    )
    assert r.status_code == 400 and "place" in r.json()


def test_malformed_bodies_are_400_not_500(world, api):
    client = api(world.a.worker)
    for url in (
        "/api/v1/people/",
        "/api/v1/households/",
        "/api/v1/residencies/",
        "/api/v1/tags/",
        "/api/v1/needs/",
        "/api/v1/duties/",
    ):
        for body in ({}, {"person": "abc", "dwelling": [], "household": {"x": 1}}, {"community": -1}):
            r = client.post(url, body, format="json")
            assert r.status_code == 400, (url, body, r.content)
        r = client.post(url, "not json", content_type="application/json")
        assert r.status_code == 400
