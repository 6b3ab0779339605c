"""Cheap one-object fixtures for ledger tests (factory_boy), built through the services as SYSTEM, so every object
is valid and audited as production data is. Use the `world` fixture when a test needs the personas; use these when
it needs one community, one dwelling or one person."""

from __future__ import annotations

from datetime import date

import factory

from shequ.core import idnumbers
from shequ.core.jurisdiction import SYSTEM
from shequ.ledger import services as ledger
from shequ.ledger.models import Household, Person, Residency
from shequ.places import services as places
from shequ.places.models import Dwelling, Level, Place


class _ServiceFactory(factory.Factory):
    """A factory whose _create calls a service (subclasses name it in `_service`)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._service(**kwargs)


class StreetFactory(_ServiceFactory):
    class Meta:
        model = Place

    name = factory.Sequence(lambda n: f"测试{n}街道")
    division_code = factory.Sequence(lambda n: f"110105{n % 900 + 100:03d}000")

    @staticmethod
    def _service(**kwargs):
        return places.place_create(actor=SYSTEM, level=Level.STREET, **kwargs)


class CommunityFactory(_ServiceFactory):
    class Meta:
        model = Place

    parent = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试{n}社区")

    @staticmethod
    def _service(**kwargs):
        return places.place_create(actor=SYSTEM, level=Level.COMMUNITY, **kwargs)


class DwellingFactory(_ServiceFactory):
    """A dwelling in a new compound, building and unit of `community`."""

    class Meta:
        model = Dwelling

    community = factory.SubFactory(CommunityFactory)
    room = factory.Sequence(lambda n: f"{n % 9 + 1}0{n % 8 + 1}")

    @staticmethod
    def _service(*, community: Place, room: str):
        compound = places.place_create(actor=SYSTEM, level=Level.COMPOUND, name="测试小区", parent=community)
        building = places.place_create(
            actor=SYSTEM, level=Level.BUILDING, name="1栋", parent=compound, floors=9
        )
        unit = places.place_create(actor=SYSTEM, level=Level.UNIT, name="1单元", parent=building)
        return places.dwelling_create(actor=SYSTEM, unit=unit, room=room, floor=int(room[0]))


class PersonFactory(_ServiceFactory):
    """A person registered in `community` (an ID number from the sequence), living at `home` when given."""

    class Meta:
        model = Person

    community = factory.SubFactory(CommunityFactory)
    name = "王测试"
    id_number = factory.Sequence(
        lambda n: idnumbers.make("110105", date(1980, 1, 1), 100 + 2 * n, female=False)
    )
    home: Dwelling | None = None

    @staticmethod
    def _service(*, community: Place, home: Dwelling | None = None, **fields):
        person = ledger.person_create(actor=SYSTEM, community=community, **fields)
        if home is not None:
            ledger.residency_create(actor=SYSTEM, person=person, dwelling=home, role=Residency.Role.OWNER)
        return person


class HouseholdFactory(_ServiceFactory):
    class Meta:
        model = Household

    dwelling = factory.SubFactory(DwellingFactory)

    @staticmethod
    def _service(*, dwelling: Dwelling):
        return ledger.household_create(actor=SYSTEM, dwelling=dwelling)
