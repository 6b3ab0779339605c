"""A small street for tests: two communities (A and B) with compounds, buildings, dwellings, people, and a user
for every persona. Built through the services, as production data is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shequ.accounts.models import User
from shequ.accounts.services import role_grant
from shequ.core import idnumbers
from shequ.core.jurisdiction import SYSTEM
from shequ.core.rights import Role
from shequ.ledger import services as ledger
from shequ.ledger.models import GroupTag, Household, Person, Residency
from shequ.places import services as places
from shequ.places.models import Dwelling, Grid, Level, Place

PASSWORD = "shequ-test-pass"


@dataclass
class Side:
    """One community's slice of the world."""

    community: Place
    grid: Grid
    compound: Place
    building: Place
    unit: Place
    dwellings: list[Dwelling]
    household: Household
    head: Person
    spouse: Person
    elder: Person
    worker: User
    grid_worker: User
    building_leader: User
    volunteer: User
    liaison: User
    resident: User


@dataclass
class World:
    street: Place
    a: Side
    b: Side
    street_officer: User
    extra: dict = field(default_factory=dict)


def make_user(
    username: str,
    role: str,
    *,
    place=None,
    grid=None,
    household=None,
    display_name: str = "",
    department: str = "",
) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, display_name=display_name or username, department=department
    )
    role_grant(actor=SYSTEM, user=user, role=role, place=place, grid=grid, household=household)
    return user


def _side(street: Place, letter: str, code: str, compound_name: str, *, three_without: bool) -> Side:
    community = places.place_create(
        actor=SYSTEM, level=Level.COMMUNITY, name=f"{letter}社区", parent=street, division_code=code
    )
    grid = places.grid_create(actor=SYSTEM, community=community, name=f"{letter}社区第一网格")
    compound = places.place_create(
        actor=SYSTEM,
        level=Level.COMPOUND,
        name=compound_name,
        parent=community,
        has_property_management=not three_without,
        has_security=not three_without,
        is_enclosed=not three_without,
        built_year=1992 if three_without else 2010,
    )
    building = places.place_create(
        actor=SYSTEM, level=Level.BUILDING, name="3栋", parent=compound, grid=grid, floors=6
    )
    unit = places.place_create(actor=SYSTEM, level=Level.UNIT, name="2单元", parent=building)
    dwellings = [
        places.dwelling_create(actor=SYSTEM, unit=unit, room=room, floor=int(room[0]))
        for room in ("501", "502", "601")
    ]
    seq = 10 if letter == "A" else 20
    head = ledger.person_create(
        actor=SYSTEM,
        community=community,
        name="张伟" if letter == "A" else "章伟",
        id_number=idnumbers.make("110105", date(1970, 5, 4), seq, female=False),
        phone=f"1380013{seq:02d}01",
    )
    spouse = ledger.person_create(
        actor=SYSTEM,
        community=community,
        name="李娜" if letter == "A" else "王芳",
        id_number=idnumbers.make("110105", date(1972, 8, 9), seq + 1, female=True),
        phone=f"1390013{seq:02d}02",
    )
    elder = ledger.person_create(
        actor=SYSTEM,
        community=community,
        name="曾秀英" if letter == "A" else "刘桂兰",
        id_number=idnumbers.make("110105", date(1940, 1, 2), seq + 2, female=True),
    )
    household = ledger.household_create(actor=SYSTEM, dwelling=dwellings[0], head=head)
    ledger.household_add_member(actor=SYSTEM, household=household, person=spouse, relation="spouse")
    for p in (head, spouse):
        ledger.residency_create(
            actor=SYSTEM, person=p, dwelling=dwellings[0], role=Residency.Role.OWNER, since=date(2015, 1, 1)
        )
    elder_home = ledger.household_create(actor=SYSTEM, dwelling=dwellings[1], head=elder)
    ledger.residency_create(actor=SYSTEM, person=elder, dwelling=dwellings[1], role=Residency.Role.OCCUPANT)
    ledger.tag_add(actor=SYSTEM, person=elder, kind=GroupTag.Kind.ALONE_ELDERLY)
    del elder_home
    low = letter.lower()
    return Side(
        community=community,
        grid=grid,
        compound=compound,
        building=building,
        unit=unit,
        dwellings=dwellings,
        household=household,
        head=head,
        spouse=spouse,
        elder=elder,
        worker=make_user(
            f"worker_{low}", Role.COMMUNITY_WORKER, place=community, display_name=f"{letter}社区工作者"
        ),
        grid_worker=make_user(f"grid_{low}", Role.GRID_WORKER, grid=grid),
        building_leader=make_user(f"leader_{low}", Role.BUILDING_LEADER, place=building),
        volunteer=make_user(f"volunteer_{low}", Role.VOLUNTEER, place=community),
        liaison=make_user(f"liaison_{low}", Role.DEPARTMENT_LIAISON, place=community, department="卫健"),
        resident=make_user(f"resident_{low}", Role.RESIDENT, household=household),
    )


def build_world() -> World:
    street = places.place_create(
        actor=SYSTEM, level=Level.STREET, name="幸福街道", division_code="110105001000"
    )
    a = _side(street, "A", "110105001001", "阳光花园", three_without=False)
    b = _side(street, "B", "110105001002", "老街小区", three_without=True)
    officer = make_user("officer", Role.STREET_OFFICER, place=street, display_name="街道干部")
    return World(street=street, a=a, b=b, street_officer=officer)
