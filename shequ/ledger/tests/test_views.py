"""Pages of the household ledger: every view is scoped (another community's object → 404, nothing changed),
forms name the field and the problem, list pages pin their query counts, and no page shows an ID number in
clear unless it was revealed."""

from datetime import date

import pytest
from django.urls import reverse

from shequ.core import idnumbers, pii
from shequ.core.jurisdiction import SYSTEM
from shequ.core.models import AuditEvent
from shequ.ledger import services
from shequ.ledger.models import Duty, GroupTag, HouseholdMember, Need, Person, Residency


def plain_id(person: Person) -> str:
    return pii.decrypt(person.id_number_encrypted)


def plain_phone(person: Person) -> str:
    return pii.decrypt(person.phone_encrypted)


def edit_data(person: Person, **overrides) -> dict:
    data = {
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "id_type": person.id_type,
        "id_number": "",
        "phone": "",
        "ethnicity": person.ethnicity,
        "hukou_region": person.hukou_region,
        "hukou_is_local": "on" if person.hukou_is_local else "",
        "political_status": person.political_status,
        "education": person.education,
        "occupation": person.occupation,
        "notes": person.notes,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""} | {
        k: "" for k in ("id_number", "phone") if k not in data
    }


def assert_no_clear_ids(html: str, *people: Person) -> None:
    for p in people:
        number = plain_id(p)
        if number:
            assert number not in html, f"unmasked ID number of {p.name} in page"
        phone = plain_phone(p)
        if phone:
            assert phone not in html, f"unmasked phone of {p.name} in page"


# Search -------------------------------------------------------------------------------------------------------


def test_search_by_pinyin_is_scoped(world, client_a):
    # 张伟 (A) and 章伟 (B) share the pinyin zhangwei; a worker of A finds only A's.
    response = client_a.get(reverse("ledger:search"), {"q": "zhangwei"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "张伟" in html and "章伟" not in html
    assert_no_clear_ids(html, world.a.head)


def test_search_officer_sees_both_communities(world, client_officer):
    html = client_officer.get(reverse("ledger:search"), {"q": "zw"}).content.decode()
    assert "张伟" in html and "章伟" in html


@pytest.mark.parametrize(
    ("query_of", "expect"),
    [
        (lambda w: plain_phone(w.a.head)[-4:], "张伟"),
        (lambda w: plain_phone(w.a.spouse), "李娜"),
        (lambda w: plain_id(w.a.elder), "曾秀英"),
        (lambda w: "阳光花园3栋2单元501", "张伟"),
        (lambda w: "曾秀", "曾秀英"),
    ],
)
def test_search_kinds(world, client_a, query_of, expect):
    html = client_a.post(reverse("ledger:search"), {"q": query_of(world)}).content.decode()
    assert expect in html
    assert_no_clear_ids(html, world.a.head, world.a.spouse, world.a.elder)


def test_search_other_community_id_finds_nothing(world, client_a):
    html = client_a.post(reverse("ledger:search"), {"q": plain_id(world.b.head)}).content.decode()
    assert "章伟" not in html and "未找到" in html


def test_search_messages_for_empty_and_invalid_id(world, client_a):
    assert "输入姓名" in client_a.get(reverse("ledger:search")).content.decode()
    bad = plain_id(world.a.head)[:-1] + ("0" if plain_id(world.a.head)[-1] != "0" else "1")
    html = client_a.post(reverse("ledger:search"), {"q": bad}).content.decode()
    assert "校验位不正确" in html and bad not in html


def test_search_htmx_returns_only_the_results(world, client_a):
    response = client_a.post(reverse("ledger:search"), {"q": "zw"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "张伟" in html and "<html" not in html


def test_search_query_count(world, client_a, django_assert_max_num_queries):
    for i in range(15):
        services.person_create(actor=SYSTEM, community=world.a.community, name=f"张{i}", sex="M")
    with django_assert_max_num_queries(12):
        response = client_a.get(reverse("ledger:search"), {"q": "zhang"})
    assert response.status_code == 200


def test_search_needs_ledger_right(world, client_for, anon_client):
    assert client_for(world.a.volunteer).get(reverse("ledger:search"), {"q": "zw"}).status_code == 404
    assert anon_client.get(reverse("ledger:search")).status_code == 302


# Person page, edit, reveal ------------------------------------------------------------------------------------


def test_person_page_masks_and_is_scoped(world, client_a):
    response = client_a.get(reverse("ledger:person", args=[world.a.head.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert world.a.head.id_number_masked in html and world.a.head.phone_masked in html
    assert_no_clear_ids(html, world.a.head)
    assert client_a.get(reverse("ledger:person", args=[world.b.head.pk])).status_code == 404


def test_person_page_hides_reveal_without_right(world, client_for):
    liaison = client_for(world.a.liaison)
    html = liaison.get(reverse("ledger:person", args=[world.a.head.pk])).content.decode()
    assert "查看明文" not in html and "修改信息" not in html
    response = liaison.post(
        reverse("ledger:person_reveal", args=[world.a.head.pk]), {"field": "id_number", "reason": "核查"}
    )
    assert response.status_code == 403
    assert plain_id(world.a.head) not in response.content.decode()
    assert not AuditEvent.objects.filter(kind="reveal").exists()


def test_person_edit_changes_phone_through_the_service(world, client_a):
    person = world.a.head
    url = reverse("ledger:person_edit", args=[person.pk])
    assert client_a.get(url).status_code == 200
    response = client_a.post(url, edit_data(person, phone="13711112222"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert plain_phone(person) == "13711112222"
    event = AuditEvent.objects.get(action="person_update", object_id=str(person.pk))
    assert event.field == "phone" and event.after == {"phone": "137****2222"}


def test_person_edit_untouched_form_changes_nothing(world, client_a):
    person = world.a.head
    response = client_a.post(reverse("ledger:person_edit", args=[person.pk]), edit_data(person))
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="person_update").exists()


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"phone": "12345"}, "phone", "手机号格式不正确"),
        ({"id_number": "BAD_CHECK"}, "id_number", "校验"),
        ({"birth_date": "1980-01-01"}, "birth_date", "出生日期"),
        ({"name": ""}, "name", ""),
    ],
)
def test_person_edit_errors_are_shown_and_change_nothing(world, client_a, override, field, message):
    person = world.a.head
    if override.get("id_number") == "BAD_CHECK":
        good = plain_id(person)
        override = {"id_number": good[:-1] + ("1" if good[-1] != "1" else "2")}
    before = (person.name, person.phone_hash, person.id_number_hash, person.birth_date)
    response = client_a.post(reverse("ledger:person_edit", args=[person.pk]), edit_data(person, **override))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors.get(field), form.errors
    if message:
        assert message in " ".join(form.errors[field])
        assert message in response.content.decode()
    person.refresh_from_db()
    assert (person.name, person.phone_hash, person.id_number_hash, person.birth_date) == before
    assert not AuditEvent.objects.filter(action="person_update").exists()


def test_person_edit_duplicate_id_links_to_the_existing_person(world, client_a):
    person, other = world.a.head, world.a.spouse
    response = client_a.post(
        reverse("ledger:person_edit", args=[other.pk]),
        edit_data(other, id_number=plain_id(person), sex="M", birth_date=""),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "已登记" in html
    assert reverse("ledger:person", args=[person.pk]) in html
    other.refresh_from_db()
    assert other.id_number_hash != person.id_number_hash


def test_person_edit_other_community_is_404_and_unchanged(world, client_b):
    person = world.a.head
    response = client_b.post(
        reverse("ledger:person_edit", args=[person.pk]), edit_data(person, phone="13711112222")
    )
    assert response.status_code == 404
    person.refresh_from_db()
    assert plain_phone(person) != "13711112222"


def test_person_edit_view_only_role_is_403(world, client_for):
    person = world.a.head
    client = client_for(world.a.building_leader)
    response = client.post(
        reverse("ledger:person_edit", args=[person.pk]), edit_data(person, phone="13711112222")
    )
    assert response.status_code == 403
    person.refresh_from_db()
    assert plain_phone(person) != "13711112222"


def test_reveal_shows_the_value_once_and_audits(world, client_a):
    person = world.a.head
    url = reverse("ledger:person_reveal", args=[person.pk])
    response = client_a.post(
        url, {"field": "id_number", "reason": "办理高龄补贴核对"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert plain_id(person) in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(kind="reveal")
    assert (event.field, event.reason, event.object_id) == ("id_number", "办理高龄补贴核对", str(person.pk))
    # The person page afterwards is masked again.
    assert_no_clear_ids(client_a.get(reverse("ledger:person", args=[person.pk])).content.decode(), person)


def test_reveal_without_reason_is_refused(world, client_a):
    person = world.a.head
    response = client_a.post(
        reverse("ledger:person_reveal", args=[person.pk]),
        {"field": "phone", "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写查看原因" in html and plain_phone(person) not in html
    assert not AuditEvent.objects.filter(kind="reveal").exists()


def test_reveal_without_htmx_renders_the_page(world, client_a):
    person = world.a.spouse
    response = client_a.post(
        reverse("ledger:person_reveal", args=[person.pk]), {"field": "phone", "reason": "联系核实"}
    )
    assert response.status_code == 200 and plain_phone(person) in response.content.decode()


def test_reveal_other_community_is_404_and_not_logged(world, client_b):
    response = client_b.post(
        reverse("ledger:person_reveal", args=[world.a.head.pk]), {"field": "id_number", "reason": "看看"}
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(kind="reveal").exists()


def test_person_create(world, client_a):
    number = idnumbers.make("110105", date(1990, 2, 3), 55, female=True)
    response = client_a.post(
        reverse("ledger:person_create"),
        {
            "community": world.a.community.pk,
            "name": "赵敏",
            "id_type": "resident",
            "id_number": number,
            "phone": "13612345678",
            "hukou_is_local": "on",
            "ethnicity": "汉族",
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(name="赵敏")
    assert person.birth_date == date(1990, 2, 3) and person.sex == "F"


def test_person_create_duplicate_id_points_to_existing(world, client_a):
    response = client_a.post(
        reverse("ledger:person_create"),
        {
            "community": world.a.community.pk,
            "name": "张伟伟",
            "id_type": "resident",
            "id_number": plain_id(world.a.head),
            "hukou_is_local": "on",
        },
    )
    assert response.status_code == 400
    assert reverse("ledger:person", args=[world.a.head.pk]) in response.content.decode()
    assert not Person.objects.filter(name="张伟伟").exists()


def test_person_create_in_other_community_is_refused(world, client_a):
    response = client_a.post(
        reverse("ledger:person_create"),
        {
            "community": world.b.community.pk,
            "name": "越界",
            "sex": "M",
            "id_type": "resident",
            "hukou_is_local": "on",
        },
    )
    assert response.status_code == 400 and response.context["form"].errors.get("community")
    assert not Person.objects.filter(name="越界").exists()


def test_person_create_into_household_is_all_or_nothing(world, client_a, client_b):
    household = world.a.household
    url = reverse("ledger:person_create") + f"?household={household.pk}"
    data = {
        "household": household.pk,
        "community": world.a.community.pk,
        "name": "张小伟",
        "sex": "M",
        "birth_date": "2012-06-01",
        "id_type": "resident",
        "hukou_is_local": "on",
        "join-relation": "child",
        "join-role": "occupant",
    }
    # Another community's household: 404, nobody created.
    assert client_b.post(url, data).status_code == 404
    assert not Person.objects.filter(name="张小伟").exists()
    assert client_a.post(url, data).status_code == 302
    person = Person.objects.get(name="张小伟")
    assert HouseholdMember.objects.filter(household=household, person=person, relation="child").exists()
    assert Residency.objects.filter(person=person, dwelling=household.dwelling, role="occupant").exists()


def test_person_move_into_other_jurisdiction_is_refused(world, client_a):
    person = world.a.spouse
    url = reverse("ledger:person_move", args=[person.pk])
    assert client_a.get(url).status_code == 200
    response = client_a.post(url, {"dwelling": world.b.dwellings[2].pk, "role": "occupant"})
    assert response.status_code == 400
    assert "不在您的管辖范围内" in response.content.decode()
    assert not Residency.objects.filter(person=person, dwelling=world.b.dwellings[2]).exists()
    response = client_a.post(url, {"dwelling": world.a.dwellings[2].pk, "role": "tenant"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.home_id == world.a.dwellings[2].pk


def test_dwelling_pick_is_scoped(world, client_a):
    html = client_a.get(reverse("ledger:dwelling_pick"), {"q": "老街小区3栋"}).content.decode()
    assert "老街小区" not in html
    html = client_a.get(reverse("ledger:dwelling_pick"), {"q": "阳光花园3栋2单元"}).content.decode()
    assert "阳光花园3栋2单元601" in html


def test_person_pick_is_scoped(world, client_a):
    html = client_a.post(reverse("ledger:person_pick"), {"q": "zw"}).content.decode()
    assert "张伟" in html and "章伟" not in html


# The household page -------------------------------------------------------------------------------------------


def test_household_page_shows_everything_masked(world, client_a):
    a = world.a
    services.residency_create(
        actor=SYSTEM, person=a.elder, dwelling=a.dwellings[0], role=Residency.Role.TENANT
    )
    Residency.objects.filter(person__in=[a.head, a.spouse], role="owner").update(lives_here=False)
    services.need_create(actor=SYSTEM, household=a.household, kind="meals", detail="午餐")
    services.tag_add(
        actor=SYSTEM, person=a.spouse, kind="chronic", since=date(2020, 1, 1), until=date(2021, 1, 1)
    )
    response = client_a.get(reverse("ledger:household", args=[a.household.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "张伟",
        "李娜",
        "户主",
        "配偶",
        "产权人不在此居住",
        "实际居住者非产权人",
        "助餐",
        "慢性病",
        "变更记录",
    ):
        assert text in html, text
    assert a.head.id_number_masked in html
    assert_no_clear_ids(html, a.head, a.spouse, a.elder)


def test_household_page_other_community_is_404(world, client_a, client_b):
    assert client_a.get(reverse("ledger:household", args=[world.b.household.pk])).status_code == 404
    assert client_b.get(reverse("ledger:household", args=[world.a.household.pk])).status_code == 404


def test_household_page_query_count(world, client_a, django_assert_max_num_queries):
    for i in range(5):
        p = services.person_create(actor=SYSTEM, community=world.a.community, name=f"成员{i}", sex="F")
        services.household_add_member(actor=SYSTEM, household=world.a.household, person=p, relation="child")
        services.residency_create(actor=SYSTEM, person=p, dwelling=world.a.dwellings[0], role="occupant")
        services.tag_add(actor=SYSTEM, person=p, kind="infant")
    with django_assert_max_num_queries(25):
        response = client_a.get(reverse("ledger:household", args=[world.a.household.pk]))
    assert response.status_code == 200


def test_resident_sees_own_household_only_read_only(world, client_for):
    client = client_for(world.a.resident)
    response = client.get(reverse("ledger:my_household"))
    assert response.status_code == 302
    html = client.get(response.url).content.decode()
    assert "张伟" in html and "添加成员" not in html and "变更记录" not in html
    assert_no_clear_ids(html, world.a.head, world.a.spouse)
    assert client.get(reverse("ledger:household", args=[world.b.household.pk])).status_code == 404
    response = client.post(reverse("ledger:need_add", args=[world.a.household.pk]), {"kind": "meals"})
    assert response.status_code == 404
    assert not Need.objects.exists()


def test_household_actions_for_the_worker(world, client_a):
    a = world.a
    h = a.household
    newcomer = services.person_create(actor=SYSTEM, community=a.community, name="王小二", sex="M")
    assert client_a.get(reverse("ledger:member_add", args=[h.pk])).status_code == 200
    r = client_a.post(reverse("ledger:member_add", args=[h.pk]), {"person": newcomer.pk, "relation": "child"})
    assert r.status_code == 302
    r = client_a.post(
        reverse("ledger:residency_add", args=[h.pk]),
        {"person": newcomer.pk, "role": "occupant", "lives_here": "on"},
    )
    assert r.status_code == 302
    r = client_a.post(
        reverse("ledger:tag_add", args=[h.pk]), {"person": newcomer.pk, "kind": "left_behind_child"}
    )
    assert r.status_code == 302
    tag = GroupTag.objects.get(person=newcomer)
    assert tag.recorded_by == a.worker
    assert client_a.post(reverse("ledger:tag_end", args=[h.pk, tag.pk])).status_code == 302
    r = client_a.post(reverse("ledger:need_add", args=[h.pk]), {"kind": "care", "detail": "每周探访"})
    assert r.status_code == 302
    need = Need.objects.get(household=h)
    r = client_a.post(reverse("ledger:need_status", args=[h.pk, need.pk]), {"status": "in_progress"})
    assert r.status_code == 302
    r = client_a.post(reverse("ledger:household_confirm", args=[h.pk]), {"source": "入户走访"})
    assert r.status_code == 302
    h.refresh_from_db()
    need.refresh_from_db()
    tag.refresh_from_db()
    assert need.status == "in_progress" and tag.until is not None and h.last_confirmed_on is not None
    member = HouseholdMember.objects.get(household=h, person=newcomer)
    assert client_a.post(reverse("ledger:member_remove", args=[h.pk, member.pk])).status_code == 302
    residency = Residency.objects.get(person=newcomer, until__isnull=True)
    assert client_a.post(reverse("ledger:residency_end", args=[h.pk, residency.pk])).status_code == 302


def test_household_form_errors_are_shown(world, client_a):
    h = world.a.household
    r = client_a.post(
        reverse("ledger:tag_add", args=[h.pk]),
        {"person": world.a.head.pk, "kind": "disabled", "grade": "五级"},
    )
    assert r.status_code == 400 and "残疾等级" in r.content.decode()
    r = client_a.post(
        reverse("ledger:member_add", args=[h.pk]), {"person": world.a.head.pk, "relation": "child"}
    )
    assert r.status_code == 400 and "已是本户成员" in r.content.decode()
    r = client_a.post(
        reverse("ledger:member_add", args=[h.pk]), {"person": world.b.head.pk, "relation": "child"}
    )
    assert r.status_code == 400 and "不在您的管辖范围内" in r.content.decode()
    r = client_a.post(
        reverse("ledger:residency_add", args=[h.pk]), {"person": world.a.head.pk, "role": "owner"}
    )
    assert r.status_code == 400 and "已以该身份登记" in r.content.decode()
    assert not GroupTag.objects.filter(person=world.a.head).exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("member_add", lambda w: {"person": w.a.elder.pk, "relation": "parent"}),
        ("residency_add", lambda w: {"person": w.a.head.pk, "role": "tenant"}),
        ("tag_add", lambda w: {"person": w.a.head.pk, "kind": "dibao"}),
        ("need_add", lambda w: {"kind": "meals"}),
        ("household_confirm", lambda w: {"source": "走访"}),
    ],
)
def test_household_actions_other_community_404_nothing_changed(world, client_b, name, data):
    h = world.a.household
    counts = (
        HouseholdMember.objects.count(),
        Residency.objects.count(),
        GroupTag.objects.count(),
        Need.objects.count(),
    )
    events = AuditEvent.objects.count()
    response = client_b.post(reverse(f"ledger:{name}", args=[h.pk]), data(world))
    assert response.status_code == 404
    h.refresh_from_db()
    assert h.last_confirmed_on is None
    assert counts == (
        HouseholdMember.objects.count(),
        Residency.objects.count(),
        GroupTag.objects.count(),
        Need.objects.count(),
    )
    assert AuditEvent.objects.count() == events


def test_household_item_actions_other_community_404(world, client_b):
    a = world.a
    need = services.need_create(actor=SYSTEM, household=a.household, kind="meals")
    tag = GroupTag.objects.get(person=a.elder)
    elder_household = a.elder.memberships.get().household
    member = HouseholdMember.objects.get(household=a.household, person=a.spouse)
    residency = Residency.objects.get(person=a.spouse)
    for url in (
        reverse("ledger:need_status", args=[a.household.pk, need.pk]),
        reverse("ledger:tag_end", args=[elder_household.pk, tag.pk]),
        reverse("ledger:member_remove", args=[a.household.pk, member.pk]),
        reverse("ledger:residency_end", args=[a.household.pk, residency.pk]),
    ):
        assert client_b.post(url, {"status": "closed"}).status_code == 404, url
    need.refresh_from_db()
    tag.refresh_from_db()
    member.refresh_from_db()
    residency.refresh_from_db()
    assert need.status == "open" and tag.until is None and member.left_on is None and residency.until is None


def test_household_create_from_dwelling(world, client_a, client_b):
    dwelling = world.a.dwellings[2]
    assert client_b.post(reverse("ledger:household_create"), {"dwelling": dwelling.pk}).status_code == 404
    assert not dwelling.households.exists()
    assert client_a.post(reverse("ledger:household_create"), {"dwelling": dwelling.pk}).status_code == 302
    assert dwelling.households.count() == 1


# Duty roster --------------------------------------------------------------------------------------------------


def test_duty_roster_assign_and_end(world, client_a, client_b, django_assert_max_num_queries):
    a = world.a
    for i in range(5):
        p = services.person_create(actor=SYSTEM, community=a.community, name=f"志愿者{i}", sex="M")
        services.duty_assign(actor=SYSTEM, person=p, kind="volunteer", place=a.compound)
    with django_assert_max_num_queries(12):
        response = client_a.get(reverse("ledger:duties"))
    assert response.status_code == 200 and "志愿者4" in response.content.decode()
    assert client_a.get(reverse("ledger:duty_assign")).status_code == 200
    url = reverse("ledger:duty_assign") + f"?place={a.building.pk}"
    assert client_a.get(url).status_code == 200
    r = client_a.post(url, {"place": a.building.pk, "person": a.head.pk, "kind": "building_leader"})
    assert r.status_code == 302
    duty = Duty.objects.get(person=a.head)
    assert duty.place == a.building
    # Worker B cannot see, assign at or end A's duties.
    assert "张伟" not in client_b.get(reverse("ledger:duties")).content.decode()
    r = client_b.post(url, {"place": a.building.pk, "person": world.b.head.pk, "kind": "building_leader"})
    assert r.status_code == 404
    assert client_b.post(reverse("ledger:duty_end", args=[duty.pk])).status_code == 404
    duty.refresh_from_db()
    assert duty.is_active
    assert client_a.post(reverse("ledger:duty_end", args=[duty.pk])).status_code == 302
    duty.refresh_from_db()
    assert not duty.is_active


def test_duty_assign_errors(world, client_a):
    a = world.a
    url = reverse("ledger:duty_assign") + f"?place={a.compound.pk}"
    r = client_a.post(url, {"place": a.compound.pk, "kind": "volunteer"})
    assert r.status_code == 400 and "请先搜索并选择人员" in r.content.decode()
    services.duty_assign(actor=SYSTEM, person=a.head, kind="volunteer", place=a.compound)
    r = client_a.post(url, {"place": a.compound.pk, "person": a.head.pk, "kind": "volunteer"})
    assert r.status_code == 400 and "已在此地点担任此职责" in r.content.decode()
    assert Duty.objects.filter(person=a.head).count() == 1


def test_edit_form_renders_dates_as_date_inputs_accept_them(world, client_a):
    html = client_a.get(reverse("ledger:person_edit", args=[world.a.head.pk])).content.decode()
    assert 'type="date"' in html and 'value="1970-05-04"' in html


def test_occupant_flag_only_when_no_owner_lives_there(world, client_a):
    a = world.a
    services.residency_create(
        actor=SYSTEM, person=a.elder, dwelling=a.dwellings[0], role=Residency.Role.TENANT
    )
    html = client_a.get(reverse("ledger:household", args=[a.household.pk])).content.decode()
    assert "实际居住者非产权人" not in html  # the owners live here; a lodger of theirs is no risk flag


def test_view_only_roles_see_no_room_no_health_detail_no_history(world, client_for):
    a = world.a
    services.tag_add(actor=SYSTEM, person=a.head, kind="chronic", detail="糖尿病")
    html = client_for(a.liaison).get(reverse("ledger:household", args=[a.household.pk])).content.decode()
    assert "阳光花园3栋2单元***" in html and "阳光花园3栋2单元501" not in html
    assert "糖尿病" not in html and "慢性病" not in html and "健康信息(已隐藏)" in html
    assert "变更记录" not in html
    html = client_for(a.liaison).get(reverse("ledger:person", args=[a.head.pk])).content.decode()
    assert "糖尿病" not in html and "阳光花园3栋2单元501" not in html
