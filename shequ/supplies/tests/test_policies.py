"""The supplies rules, each once (supplies.policies): who manages a store, who allocates; the system actor is
explicit and no actor at all is an error."""

import re

import pytest

from shequ.core.jurisdiction import SYSTEM
from shequ.supplies import policies, services
from shequ.supplies.models import Movement, Store
from shequ.supplies.testing import catalogue, populate


@pytest.fixture
def stores(world):
    populate(world)
    return {s.code: s for s in Store.objects.select_related("place")}


def test_who_manages_a_store(world, stores):
    a, b = stores["A-STORE"], stores["B-STORE"]
    assert policies.can_manage_store(world.a.worker, a)
    assert not policies.can_manage_store(world.a.worker, b)
    assert not policies.can_manage_store(world.a.grid_worker, a)  # sees supplies, keeps no store
    assert policies.can_manage_store(world.street_officer, b)
    assert policies.can_allocate(world.street_officer) and not policies.can_allocate(world.a.worker)
    assert policies.can_view_supplies(world.a.grid_worker) and not policies.can_view_supplies(
        world.a.resident
    )


def test_no_actor_is_an_error_and_the_system_is_explicit(world, stores):
    mask = catalogue(world)["MASK-N95"]
    before = Movement.objects.count()
    with pytest.raises(TypeError):
        services.stock_issue(actor=None, store=stores["A-STORE"], item=mask, quantity=1, recipient="x")
    assert Movement.objects.count() == before
    (movement,) = services.stock_issue(
        actor=SYSTEM, store=stores["A-STORE"], item=mask, quantity=1, recipient="系统"
    )
    assert movement.actor is None


def test_public_numbers_are_prefix_date_and_hex(world, stores):
    mask = catalogue(world)["MASK-N95"]
    request = services.request_submit(actor=world.a.worker, place=world.a.compound, item=mask, quantity=5)
    assert re.fullmatch(r"SL\d{8}-[0-9A-F]{6}", request.number)
    ref = services.stock_transfer(
        actor=world.a.worker, from_store=stores["A-STORE"], to_store=stores["ST-STORE"], item=mask, quantity=2
    )
    assert re.fullmatch(r"DB\d{8}-[0-9A-F]{6}", ref)
