"""ledger selectors over one-object fixtures: scoping, look-up by ID number, resident counts."""

from __future__ import annotations

from shequ.ledger import selectors
from shequ.ledger.tests.factories import CommunityFactory, DwellingFactory, HouseholdFactory, PersonFactory


def test_people_and_households_are_scoped_to_the_community(world):
    outsider_home = DwellingFactory()
    outsider = PersonFactory(community=outsider_home.community, home=outsider_home)
    household = HouseholdFactory(dwelling=outsider_home)
    for actor in (world.a.worker, world.street_officer):
        assert not selectors.people_visible_to(actor).filter(pk=outsider.pk).exists()
        assert not selectors.households_visible_to(actor).filter(pk=household.pk).exists()
    assert selectors.people_visible_to(world.a.worker).filter(pk=world.a.head.pk).exists()


def test_find_by_id_number_in_both_forms(db):
    person = PersonFactory()
    raw = selectors.pii.decrypt(person.id_number_encrypted)
    assert selectors.find_by_id_number(raw) == person
    assert selectors.find_by_id_number(raw.lower()) == person
    assert selectors.find_by_id_number("not a number") is None


def test_resident_counts_by_place(db):
    community = CommunityFactory()
    home = DwellingFactory(community=community)
    PersonFactory(community=community, home=home)
    PersonFactory(community=community, home=home, name="李测试")
    assert selectors.resident_counts_by_place(level="community", ids=[community.pk]) == {community.pk: 2}
    assert selectors.resident_counts_by_place(level="community", ids=[community.pk], by="compound") == {
        home.compound_id: 2
    }
    assert selectors.resident_counts_by_place(level="community", ids=[]) == {}
