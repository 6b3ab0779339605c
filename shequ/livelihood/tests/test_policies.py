"""The living guarantee's rules, each once (livelihood.policies), and the reads the pages and the API take their
people from: who may deliver, who is offered for a delivery plan, and the system actor."""

import re

import pytest

from shequ.core.jurisdiction import SYSTEM
from shequ.livelihood import policies, selectors, services
from shequ.livelihood.models import DeliveryAssignment, GroupBuy, Order
from shequ.livelihood.testing import group_buy_for


@pytest.fixture
def gb(world):
    return group_buy_for(world, world.a, title="规则测试团", merchant_name="规则超市")


@pytest.fixture
def order(world, gb):
    veg = gb.items.first()
    return services.order_place(
        actor=world.a.resident, group_buy=gb, household=world.a.household, quantities={veg.pk: 1}
    )


def test_delivery_plan_offers_the_place_s_deliverers_without_street_officers(world, gb):
    """The picker: roles with the deliver right at the building, above it (community) or at its grid."""
    a = world.a
    offered = set(selectors.delivery_volunteers_for(gb))
    assert offered == {a.worker, a.grid_worker, a.building_leader, a.volunteer}
    assert world.street_officer in set(selectors.deliverers_of(gb, ids=[world.street_officer.pk]))
    assert selectors.deliverers_of(gb, ids=[world.b.volunteer.pk, world.b.worker.pk]) == []


def test_api_plan_with_a_volunteer_of_another_community_is_an_unknown_id(client_a, world, gb, order):
    services.group_buy_close(actor=world.a.worker, group_buy=gb)
    r = client_a.post(
        f"/api/v1/livelihood/group-buys/{gb.pk}/plan_delivery/",
        {"volunteers": [world.b.volunteer.pk]},
        content_type="application/json",
    )
    assert r.status_code == 400 and "volunteers" in r.json()
    gb.refresh_from_db()
    assert (
        gb.status == GroupBuy.Status.CLOSED and not DeliveryAssignment.objects.filter(group_buy=gb).exists()
    )
    r = client_a.post(
        f"/api/v1/livelihood/group-buys/{gb.pk}/plan_delivery/",
        {"volunteers": [world.a.volunteer.pk]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == GroupBuy.Status.DELIVERING


def test_who_may_mark_an_order_delivered(world, gb, order):
    a = world.a
    assert policies.can_deliver_order(a.building_leader, order)  # a grant at the building
    assert policies.can_deliver_order(a.worker, order)  # manages the community
    assert not policies.can_deliver_order(a.volunteer, order)  # community-wide: only with an assignment
    assert not policies.can_deliver_order(world.b.worker, order)
    services.group_buy_close(actor=a.worker, group_buy=gb)
    services.delivery_plan(actor=a.worker, group_buy=gb, volunteers=[a.volunteer])
    assert policies.can_deliver_order(a.volunteer, order)


def test_no_actor_is_an_error_and_the_system_is_explicit(world, gb):
    veg = gb.items.first()
    with pytest.raises(TypeError):
        services.order_place(actor=None, group_buy=gb, household=world.a.household, quantities={veg.pk: 1})
    assert not Order.objects.filter(group_buy=gb).exists()
    order = services.order_place(
        actor=SYSTEM, group_buy=gb, household=world.a.household, quantities={veg.pk: 1}
    )
    assert order.channel == Order.Channel.WORKER and order.placed_by is None
    with pytest.raises(TypeError):
        services.order_mark_delivered(actor=None, order=order)


def test_public_numbers_are_prefix_date_and_hex(world, gb, order):
    assert re.fullmatch(r"TG\d{8}-[0-9A-F]{6}", gb.code)
    assert re.fullmatch(r"DD\d{8}-[0-9A-F]{6}", order.number)


def test_is_under_follows_the_level_columns(world):
    a = world.a
    assert policies.is_under(a.dwellings[0], a.building)
    assert policies.is_under(a.building, a.community)
    assert not policies.is_under(world.b.dwellings[0], a.building)
