"""Linkage API: review items (list, decide), merges (create, split, undo), runs; scoped (another community's →
404 / 400 naming the field, and nothing changed)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from shequ.ledger.models import GroupTag, Person
from shequ.linkage.models import LinkRun, Merge, ReviewItem
from shequ.linkage.testing import duplicate_of, import_row, queue_people, queue_row

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def items(world):
    out = {}
    for key, side, name in (("a", world.a, "张卫"), ("b", world.b, "章玮乙")):
        row = import_row(actor=side.worker, community=side.community, name=name, birth=side.head.birth_date)
        out[f"row_{key}"] = queue_row(row, side.head, probability=0.8)
        twin = duplicate_of(side.spouse, name=f"{side.spouse.name}重")
        out[f"pair_{key}"] = queue_people(side.spouse, twin, probability=0.6)
    return out


def test_list_is_scoped_and_masked(world, items):
    body = _api(world.a.worker).get("/api/v1/linkage/review-items/").json()
    numbers = {i["number"] for i in body["results"]}
    assert numbers == {items["row_a"].number, items["pair_a"].number}
    first = next(i for i in body["results"] if i["number"] == items["row_a"].number)
    assert first["person"]["id_number_masked"] == world.a.head.id_number_masked
    assert {f["key"] for f in first["comparison"]} >= {"name", "id_number", "birth_date"}
    assert first["contributions"][0]["label"] == "姓名"
    officer = _api(world.street_officer).get("/api/v1/linkage/review-items/").json()
    assert officer["count"] == 4


def test_other_community_item_is_404_and_decide_changes_nothing(world, items):
    api = _api(world.a.worker)
    item = items["pair_b"]
    assert api.get(f"/api/v1/linkage/review-items/{item.number}/").status_code == 404
    assert (
        api.post(f"/api/v1/linkage/review-items/{item.number}/decide/", {"decision": "match"}).status_code
        == 404
    )
    item.refresh_from_db()
    assert item.status == "open" and not Merge.objects.exists()


def test_decide_match_on_pair_merges_and_undo(world, items):
    api = _api(world.a.worker)
    item = items["pair_a"]
    response = api.post(f"/api/v1/linkage/review-items/{item.number}/decide/", {"decision": "match"})
    assert response.status_code == 200 and response.json()["status"] == "match"
    number = response.json()["merge"]
    undo = api.post(f"/api/v1/linkage/merges/{number}/undo/")
    assert undo.status_code == 200 and undo.json()["is_undone"] is True
    again = api.post(f"/api/v1/linkage/merges/{number}/undo/")
    assert again.status_code == 400


def test_decide_validates_input(world, items):
    api = _api(world.a.worker)
    response = api.post(f"/api/v1/linkage/review-items/{items['row_a'].number}/decide/", {"decision": "x"})
    assert response.status_code == 400 and "decision" in response.json()
    response = api.post(
        f"/api/v1/linkage/review-items/{items['pair_a'].number}/decide/",
        {"decision": "match", "keep": world.b.head.pk},
    )
    assert response.status_code == 400 and "keep" in response.json()
    assert ReviewItem.objects.get(pk=items["pair_a"].pk).status == "open"


def test_merge_create_split_and_scope(world):
    a, b = world.a, world.b
    api = _api(a.worker)
    twin = duplicate_of(a.head, name="张卫")
    response = api.post("/api/v1/linkage/merges/", {"keep": b.head.pk, "drop": twin.pk})
    assert response.status_code == 400 and "keep" in response.json()
    assert Person.objects.get(pk=twin.pk).merged_into_id is None
    response = api.post("/api/v1/linkage/merges/", {"keep": a.head.pk, "drop": twin.pk})
    assert response.status_code == 201 and response.json()["kind"] == "merge"
    tag = GroupTag.objects.get(person=a.elder)
    response = api.post(
        "/api/v1/linkage/merges/split/",
        {"person": a.elder.pk, "moves": {"tags": [tag.pk]}, "name": "刘某", "sex": "F"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    other_tag = GroupTag.objects.get(person=b.elder)
    response = api.post(
        "/api/v1/linkage/merges/split/",
        {"person": b.elder.pk, "moves": {"tags": [other_tag.pk]}, "name": "某"},
        format="json",
    )
    assert response.status_code == 400 and "person" in response.json()
    assert GroupTag.objects.get(pk=other_tag.pk).person_id == b.elder.pk


def test_merges_and_runs_of_other_community_are_404(world):
    b = world.b
    twin = duplicate_of(b.head, name="章卫")
    from shequ.linkage import services

    merge = services.person_merge(actor=b.worker, keep=b.head, drop=twin)
    run = LinkRun.objects.create(number="CC-B-1", kind="dedupe", place=b.community, status="done")
    api = _api(world.a.worker)
    assert api.get(f"/api/v1/linkage/merges/{merge.number}/").status_code == 404
    assert api.post(f"/api/v1/linkage/merges/{merge.number}/undo/").status_code == 404
    merge.refresh_from_db()
    assert not merge.is_undone
    assert api.get(f"/api/v1/linkage/runs/{run.number}/").status_code == 404
    assert api.get("/api/v1/linkage/runs/").json()["count"] == 0
    response = api.post("/api/v1/linkage/runs/", {"community": b.community.pk})
    assert response.status_code == 400 and "community" in response.json()
    assert LinkRun.objects.count() == 1


def test_no_review_right_is_404(world, items):
    api = _api(world.a.volunteer)
    assert api.get("/api/v1/linkage/review-items/").status_code == 404
    assert api.get("/api/v1/linkage/merges/").status_code == 404
