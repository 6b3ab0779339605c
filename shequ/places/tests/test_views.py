"""The place browser: scoped at every level (another community's place → 404), counts at every level,
三无小区 flagged wherever a compound appears, query counts pinned."""

import pytest
from django.urls import reverse

from shequ.core.jurisdiction import SYSTEM
from shequ.places import services
from shequ.places.models import Level


def test_browse_starts_at_the_users_place(world, client_a, client_officer):
    assert client_a.get(reverse("places:browse")).url == reverse("places:place", args=[world.a.community.pk])
    assert client_officer.get(reverse("places:browse")).url == reverse("places:place", args=[world.street.pk])


def test_browse_lists_roots_for_several_grants(world, client_for):
    from shequ.accounts.services import role_grant

    user = world.a.building_leader
    role_grant(actor=SYSTEM, user=user, role="building_leader", place=world.b.building)
    response = client_for(user).get(reverse("places:browse"))
    html = response.content.decode()
    assert response.status_code == 200 and html.count("3栋") == 2


def test_browse_needs_the_ledger_right(world, client_for, anon_client):
    assert client_for(world.a.volunteer).get(reverse("places:browse")).status_code == 404
    assert anon_client.get(reverse("places:browse")).status_code == 302


def test_street_page_counts_and_risk_badge(world, client_officer):
    response = client_officer.get(reverse("places:place", args=[world.street.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "A社区" in html and "B社区" in html
    children = {c.name: c for c in response.context["children"]}
    assert children["A社区"].dwelling_count == 3
    assert children["A社区"].resident_count == 3


def test_community_page_lists_compounds_with_risk_and_grids(world, client_officer):
    html = client_officer.get(reverse("places:place", args=[world.b.community.pk])).content.decode()
    assert "老街小区" in html and "三无小区" in html
    assert "B社区第一网格" in html
    html = client_officer.get(reverse("places:place", args=[world.a.community.pk])).content.decode()
    assert "阳光花园" in html and "badge-risk" not in html


def test_compound_page_shows_its_own_risk(world, client_b):
    html = client_b.get(reverse("places:place", args=[world.b.compound.pk])).content.decode()
    assert "三无小区" in html and "物业管理" in html


def test_unit_page_lists_dwellings(world, client_a):
    response = client_a.get(reverse("places:place", args=[world.a.unit.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    for room in ("501", "502", "601"):
        assert room in html
    assert reverse("places:dwelling", args=[world.a.dwellings[0].pk]) in html


@pytest.mark.parametrize("level", ["community", "compound", "building", "unit"])
def test_other_communitys_places_are_404(world, client_a, level):
    place = getattr(world.b, level)
    assert client_a.get(reverse("places:place", args=[place.pk])).status_code == 404


def test_worker_cannot_open_the_street(world, client_a):
    assert client_a.get(reverse("places:place", args=[world.street.pk])).status_code == 404


def test_grid_worker_sees_buildings_of_the_grid_only(world, client_for):
    client = client_for(world.a.grid_worker)
    assert client.get(reverse("places:place", args=[world.a.building.pk])).status_code == 200
    assert client.get(reverse("places:place", args=[world.a.compound.pk])).status_code == 404
    assert client.get(reverse("places:place", args=[world.b.building.pk])).status_code == 404


def test_breadcrumbs_link_only_what_the_user_may_open(world, client_a):
    html = client_a.get(reverse("places:place", args=[world.a.unit.pk])).content.decode()
    assert reverse("places:place", args=[world.a.compound.pk]) in html
    assert "幸福街道" in html and reverse("places:place", args=[world.street.pk]) not in html


def test_dwelling_page_links_households(world, client_a, client_b):
    a = world.a
    url = reverse("places:dwelling", args=[a.dwellings[0].pk])
    response = client_a.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("ledger:household", args=[a.household.pk]) in html and "张伟" in html
    assert client_b.get(url).status_code == 404


def test_dwelling_address_is_masked_for_view_only_roles(world, client_for):
    html = (
        client_for(world.a.liaison)
        .get(reverse("places:dwelling", args=[world.a.dwellings[0].pk]))
        .content.decode()
    )
    assert "阳光花园3栋2单元***" in html and "阳光花园3栋2单元501" not in html


# Baseline per page: session, user, grants, other apps' banners (~6), then a constant number of grouped counts;
# ten children must not add ten queries.
MAX_QUERIES = 18


def test_place_pages_query_counts(world, client_officer, client_a, django_assert_max_num_queries):
    for i in range(10):
        services.place_create(actor=SYSTEM, level=Level.COMPOUND, name=f"新区{i}", parent=world.a.community)
        services.dwelling_create(actor=SYSTEM, unit=world.a.unit, room=f"7{i:02d}", floor=7)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client_officer.get(reverse("places:place", args=[world.street.pk])).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client_a.get(reverse("places:place", args=[world.a.community.pk])).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client_a.get(reverse("places:place", args=[world.a.unit.pk])).status_code == 200
