"""The places API: the tree scoped to the caller, counts, writes through places.services, and another
community's place answering 404 with nothing changed."""

import pytest
from rest_framework.test import APIClient

from shequ.places.models import Dwelling, Grid, Place


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


def test_places_are_scoped_and_filterable(world, api):
    client = api(world.a.worker)
    ids = _ids(client.get("/api/v1/places/"))
    assert world.a.compound.pk in ids and world.b.compound.pk not in ids
    assert _ids(client.get("/api/v1/places/?level=compound")) == [world.a.compound.pk]
    assert _ids(client.get(f"/api/v1/places/?parent={world.a.compound.pk}")) == [world.a.building.pk]
    assert _ids(client.get(f"/api/v1/places/?community={world.b.community.pk}")) == []
    assert client.get("/api/v1/places/?level=planet").status_code == 400
    officer = api(world.street_officer)
    assert _ids(officer.get("/api/v1/places/?three_without=true")) == [world.b.compound.pk]
    # a grid worker sees the buildings of their grid
    assert world.a.building.pk in _ids(api(world.a.grid_worker).get("/api/v1/places/"))


def test_place_detail_has_counts(world, api):
    body = api(world.a.worker).get(f"/api/v1/places/{world.a.compound.pk}/").json()
    assert body["dwelling_count"] == 3 and body["resident_count"] == 3 and body["child_count"] == 1
    assert body["is_three_without"] is False
    children = api(world.a.worker).get(f"/api/v1/places/{world.a.compound.pk}/children/").json()
    assert children[0]["id"] == world.a.building.pk and children[0]["dwelling_count"] == 3
    b = api(world.street_officer).get(f"/api/v1/places/{world.b.compound.pk}/").json()
    assert b["is_three_without"] is True


def test_other_community_place_is_404_and_unchanged(world, api):
    client = api(world.a.worker)
    compound = world.b.compound
    for url in (f"/api/v1/places/{compound.pk}/", f"/api/v1/places/{compound.pk}/children/"):
        assert client.get(url).status_code == 404
    assert client.patch(f"/api/v1/places/{compound.pk}/", {"name": "改名"}, format="json").status_code == 404
    assert client.get(f"/api/v1/dwellings/{world.b.dwellings[0].pk}/").status_code == 404
    assert client.get(f"/api/v1/grids/{world.b.grid.pk}/").status_code == 404
    r = client.patch(f"/api/v1/dwellings/{world.b.dwellings[0].pk}/", {"room": "999"}, format="json")
    assert r.status_code == 404
    compound.refresh_from_db()
    assert compound.name == "老街小区"
    assert Dwelling.objects.get(pk=world.b.dwellings[0].pk).room == "501"


def test_place_create_and_update_through_services(world, api):
    client = api(world.a.worker)
    r = client.post(
        "/api/v1/places/",
        {"level": "building", "name": "5栋", "parent": world.a.compound.pk, "floors": 18},
        format="json",
    )
    assert r.status_code == 201, r.json()
    building = Place.objects.get(pk=r.json()["id"])
    assert building.community_id == world.a.community.pk and building.path.endswith(f"/{building.pk}/")
    r = client.patch(
        f"/api/v1/places/{building.pk}/", {"grid": world.a.grid.pk, "has_elevator": True}, format="json"
    )
    assert r.status_code == 200 and r.json()["grid"] == world.a.grid.pk
    # wrong parent level names the field; a parent elsewhere is refused without saying whose it is
    r = client.post(
        "/api/v1/places/", {"level": "building", "name": "6栋", "parent": world.a.community.pk}, format="json"
    )
    assert r.status_code == 400 and "parent" in r.json()
    r = client.post(
        "/api/v1/places/", {"level": "building", "name": "6栋", "parent": world.b.compound.pk}, format="json"
    )
    assert r.status_code == 400 and "parent" in r.json() and "老街" not in r.content.decode()
    r = client.patch(f"/api/v1/places/{building.pk}/", {"grid": world.b.grid.pk}, format="json")
    assert r.status_code == 400 and "grid" in r.json()
    r = client.post(
        "/api/v1/places/",
        {"level": "street", "name": "新街道", "parent": world.a.community.pk},
        format="json",
    )
    assert r.status_code == 400
    r = client.patch(f"/api/v1/places/{world.a.community.pk}/", {"division_code": "12345"}, format="json")
    assert r.status_code == 400 and "division_code" in r.json()
    # duplicate name under the same parent
    r = client.post(
        "/api/v1/places/", {"level": "building", "name": "3栋", "parent": world.a.compound.pk}, format="json"
    )
    assert r.status_code == 400
    assert not Place.objects.filter(name="6栋").exists()


def test_grid_and_dwelling_writes(world, api):
    client = api(world.a.worker)
    r = client.post("/api/v1/grids/", {"community": world.a.community.pk, "name": "第二网格"}, format="json")
    assert r.status_code == 201
    r = client.post("/api/v1/grids/", {"community": world.b.community.pk, "name": "第二网格"}, format="json")
    assert r.status_code == 400 and "community" in r.json()
    assert Grid.objects.filter(name="第二网格").count() == 1
    r = client.post(
        "/api/v1/dwellings/",
        {"unit": world.a.unit.pk, "room": "701", "floor": 7, "area_m2": "88.5"},
        format="json",
    )
    assert r.status_code == 201 and r.json()["address"] == "阳光花园3栋2单元701"
    r = client.patch(f"/api/v1/dwellings/{r.json()['id']}/", {"is_vacant": True}, format="json")
    assert r.status_code == 200 and r.json()["is_vacant"] is True
    r = client.post("/api/v1/dwellings/", {"unit": world.b.unit.pk, "room": "701"}, format="json")
    assert r.status_code == 400 and "unit" in r.json()
    assert _ids(client.get("/api/v1/dwellings/?address=阳光花园3栋2单元70")) != []
    # grid workers may look but not edit places
    r = api(world.a.grid_worker).post(
        "/api/v1/dwellings/", {"unit": world.a.unit.pk, "room": "702"}, format="json"
    )
    assert r.status_code in (400, 403)
    assert not Dwelling.objects.filter(room="702").exists()


def test_anonymous_is_refused(world, api):
    assert api().get("/api/v1/places/").status_code in (401, 403)
    assert api().post("/api/v1/grids/", {"community": world.a.community.pk, "name": "x"}).status_code in (
        401,
        403,
    )
