from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from shequ.core import idnumbers
from shequ.core.errors import DomainError
from shequ.core.models import AuditEvent
from shequ.core.rights import Right
from shequ.ledger import services
from shequ.ledger.models import Person, Residency
from shequ.ledger.selectors import people_visible_to, person_search


def test_pinyin_reads_surnames_as_surnames():
    assert services.name_pinyin("曾秀英") == ("zengxiuying", "zxy")
    assert services.name_pinyin("单田芳") == ("shantianfang", "stf")
    assert services.name_pinyin("欧阳娜娜")[1] == "oynn"


def test_person_create_derives_birth_and_sex_and_masks(world, worker_a):
    number = idnumbers.make("110105", date(1985, 3, 7), 31, female=True)
    p = services.person_create(
        actor=worker_a, community=world.a.community, name="王芳", id_number=number, phone="13912345678"
    )
    assert p.birth_date == date(1985, 3, 7) and p.sex == "F"
    assert p.id_number_masked == number[:3] + "*" * 11 + number[-4:]
    assert number not in p.id_number_encrypted
    assert p.phone_masked == "139****5678" and p.phone_tail == "5678"
    event = AuditEvent.objects.get(action="person_create", object_id=str(p.pk))
    assert number not in str(event.after) and "13912345678" not in str(event.after)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"id_number": "110105198503070310"}, "id_number"),  # wrong check digit
        (
            {
                "id_number": idnumbers.make("110105", date(1985, 3, 7), 31, female=True),
                "birth_date": date(1985, 3, 8),
            },
            "birth_date",
        ),
        ({"id_number": idnumbers.make("110105", date(1985, 3, 7), 31, female=True), "sex": "M"}, "sex"),
        ({"phone": "12345678901"}, "phone"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(world, worker_a, kwargs, field):
    before = Person.objects.count()
    args = {"name": "王芳", "sex": kwargs.get("sex", ""), **kwargs}
    with pytest.raises(DomainError) as exc:
        services.person_create(actor=worker_a, community=world.a.community, **args)
    assert field in exc.value.message_dict
    assert Person.objects.count() == before


def test_duplicate_id_points_at_existing_person(world, worker_a):
    head = world.a.head
    raw = services.person_reveal(actor=worker_a, person=head, field="id_number", reason="核对身份")
    with pytest.raises(DomainError) as exc:
        services.person_create(actor=worker_a, community=world.a.community, name="张伟", id_number=raw)
    assert exc.value.code == "duplicate_id_number"
    assert exc.value.extra["existing_person"] == head


def test_legacy_15_digit_matches_its_18_digit_form(world, worker_a):
    number18 = idnumbers.make("110105", date(1960, 2, 3), 41, female=False)
    legacy = number18[:6] + number18[8:17]
    services.person_create(actor=worker_a, community=world.a.community, name="赵强", id_number=number18)
    with pytest.raises(DomainError):
        services.person_create(actor=worker_a, community=world.a.community, name="赵强", id_number=legacy)
    assert [p.name for p in person_search(actor=worker_a, query=legacy)] == ["赵强"]


def test_move_outside_jurisdiction_is_refused_and_changes_nothing(world, worker_a):
    person = world.a.spouse
    count = Residency.objects.count()
    with pytest.raises(DomainError) as exc:
        services.person_move(actor=worker_a, person=person, dwelling=world.b.dwellings[2])
    assert "dwelling" in exc.value.message_dict
    assert Residency.objects.count() == count
    person.refresh_from_db()
    assert person.home == world.a.dwellings[0]


def test_update_other_community_person_is_denied(world, worker_b):
    with pytest.raises(PermissionDenied):
        services.person_update(actor=worker_b, person=world.a.head, phone="13700000000")
    world.a.head.refresh_from_db()
    assert world.a.head.phone_masked != "137****0000"


def test_reveal_requires_right_and_reason_and_is_logged(world, worker_a):
    liaison = world.a.liaison
    with pytest.raises(PermissionDenied):
        services.person_reveal(actor=liaison, person=world.a.head, field="id_number", reason="核对")
    with pytest.raises(DomainError):
        services.person_reveal(actor=worker_a, person=world.a.head, field="id_number", reason="")
    value = services.person_reveal(actor=worker_a, person=world.a.head, field="phone", reason="电话回访")
    assert value == "13800131001"
    event = AuditEvent.objects.get(kind="reveal")
    assert (event.actor, event.field, event.reason) == (worker_a, "phone", "电话回访")


def test_search_by_hanzi_pinyin_initials_phone_tail_and_address(world, worker_a, worker_b):
    def names(q, actor=worker_a):
        return [p.name for p in person_search(actor=actor, query=q)]

    assert names("张伟") == ["张伟"]
    assert names("zhangwei") == ["张伟"]
    assert names("zw") == ["张伟"]
    assert names("1001") == ["张伟"]
    assert names("13800131001") == ["张伟"]
    assert set(names("阳光花园3栋2单元501")) == {"张伟", "李娜"}
    assert set(names("阳光花园3-2-501")) == {"张伟", "李娜"}
    assert names("zhangwei", actor=worker_b) == ["章伟"]  # a homophone; B sees only B's
    assert set(names("zhangwei", actor=world.street_officer)) == {"张伟", "章伟"}


def test_people_scope(world, worker_a, resident):
    assert set(people_visible_to(worker_a)) == {world.a.head, world.a.spouse, world.a.elder}
    assert set(people_visible_to(resident)) == set()  # residents do not browse the ledger
    assert set(people_visible_to(resident, Right.SELF_SERVICE)) == {world.a.head, world.a.spouse}
    assert set(people_visible_to(world.a.building_leader)) == {world.a.head, world.a.spouse, world.a.elder}
    assert set(people_visible_to(world.b.grid_worker)) == {world.b.head, world.b.spouse, world.b.elder}


def test_cannot_add_a_person_of_another_community_to_a_household(world, worker_a):
    members = world.a.household.members.count()
    residencies = Residency.objects.count()
    with pytest.raises(DomainError) as exc:
        services.household_add_member(
            actor=worker_a, household=world.a.household, person=world.b.head, relation="child"
        )
    assert "person" in exc.value.message_dict
    # A residency is different: someone registered in B who now rents in A is recorded by A (imports do).
    assert world.a.household.members.count() == members
    assert Residency.objects.count() == residencies
