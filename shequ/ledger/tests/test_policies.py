"""ledger policies: the rules the services enforce and the pages show, one object at a time."""

from __future__ import annotations

import pytest

from shequ.core.errors import DomainError
from shequ.core.jurisdiction import SYSTEM
from shequ.ledger import policies
from shequ.ledger.tests.factories import DwellingFactory, PersonFactory


def test_workers_edit_and_reveal_in_their_community_only(world):
    a_person = world.a.head
    assert policies.can_edit_person(world.a.worker, a_person)
    assert policies.can_reveal_person(world.a.worker, a_person)
    assert not policies.can_edit_person(world.b.worker, a_person)
    assert not policies.can_reveal_person(world.b.worker, a_person)
    assert policies.can_edit_household(world.a.worker, world.a.household)
    assert not policies.can_edit_household(world.b.worker, world.a.household)
    # a grid worker edits, but may not reveal
    assert policies.can_edit_person(world.a.grid_worker, a_person)
    assert not policies.can_reveal_person(world.a.grid_worker, a_person)


def test_create_needs_the_right_somewhere(world):
    assert policies.can_create_person(world.a.worker)
    assert not policies.can_create_person(world.a.liaison)


def test_system_edits_anywhere_and_none_is_refused(world):
    dwelling = DwellingFactory()
    assert policies.can_edit_at(SYSTEM, dwelling)
    assert not policies.can_edit_at(world.a.worker, dwelling)
    with pytest.raises(TypeError):
        policies.can_edit_at(None, dwelling)


def test_a_person_out_of_sight_may_not_be_attached(world):
    stranger = PersonFactory(community=world.b.community)
    assert policies.can_see_person(world.b.worker, stranger)
    assert policies.can_see_person(SYSTEM, stranger)
    with pytest.raises(DomainError) as exc:
        policies.require_person_visible(world.a.worker, stranger)
    assert exc.value.field == "person"
