"""Messages with values (temperatures, names, dates, team codes, labels of ids not found) follow the language: the
English catalogue renders them in English with the values in place, and the Chinese source stays as it was."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from shequ.cases import services as cases
from shequ.cases.models import Case
from shequ.core.divisions import validate_division_code
from shequ.core.errors import DomainError
from shequ.emergency.services import plans as emergency_plans
from shequ.emergency.testing import activate, add_roster
from shequ.epidemic import parsing as epidemic_parsing
from shequ.epidemic import services as epidemic
from shequ.imports.parsing import FileFormatError, read_table
from shequ.ledger import services as ledger
from shequ.notifications.services import Message, notify_bulk


def _message(error: pytest.ExceptionInfo, field: str) -> str:
    return error.value.message_dict[field][0]


@pytest.fixture
def incident(world):
    add_roster(world.a)
    return activate(world, world.a)


def _check_in_twice(world, incident):
    person = world.a.head
    epidemic.checkin_submit(
        actor=world.a.worker, incident=incident, person=person, client_uuid=uuid.uuid4(), temperature="36.5"
    )
    with pytest.raises(DomainError) as again:
        epidemic.checkin_submit(
            actor=world.a.worker,
            incident=incident,
            person=person,
            client_uuid=uuid.uuid4(),
            temperature="36.6",
        )
    return _message(again, "person")


def test_service_errors_with_values_read_in_english(world, incident):
    today = timezone.localdate()
    with translation.override("en"):
        with pytest.raises(DomainError) as not_a_number:
            epidemic_parsing.parse_temperature("abc")
        with pytest.raises(DomainError) as too_hot:
            epidemic_parsing.parse_temperature("45")
        with pytest.raises(DomainError) as twice:
            emergency_plans._validate_teams([{"code": "t1", "name": "甲"}, {"code": "t1", "name": "乙"}])
        with pytest.raises(DomainError) as channel:
            notify_bulk(
                actor=world.a.worker,
                messages=[Message(recipients=[world.a.worker], kind="test", title="x", channels=("fax",))],
            )
        duplicate = _check_in_twice(world, incident)
    assert _message(not_a_number, "temperature") == "Temperature “abc” is not a number"
    assert _message(too_hot, "temperature") == (
        "A temperature of 45.0 ℃ is outside the plausible range (34.0–43.0 ℃); please check it"
    )
    assert _message(twice, "teams") == "Team code “t1” is used twice"
    assert _message(channel, "channels") == "Unsupported message channels: fax"
    # The date reads as English month and day, not 03月05日.
    assert duplicate == f"{world.a.head.name} has already checked in on {today:%B} {today.day}"


def test_api_and_page_errors_read_in_english(world, incident):
    api = Client(HTTP_ACCEPT_LANGUAGE="en")
    api.force_login(world.a.worker)
    r = api.post(
        "/api/v1/epidemic/checkins/",
        {
            "client_uuid": str(uuid.uuid4()),
            "incident": incident.pk,
            "person": world.b.head.pk,
            "temperature": "36.5",
        },
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["person"] == ["Resident does not exist or is outside your jurisdiction"]
    household = world.a.household
    r = api.post(
        reverse("ledger:member_add", args=[household.pk]), {"person": world.a.head.pk, "relation": "child"}
    )
    assert r.status_code == 400
    assert f"{world.a.head.name} is already a member of this household" in r.content.decode()


def test_upload_errors_read_in_english():
    with translation.override("en"):
        with pytest.raises(FileFormatError) as unsupported:
            read_table(b"%PDF-1.4", "x.pdf")
        with pytest.raises(FileFormatError) as empty:
            read_table(b"\n\n,,\n", "empty.csv")
    assert unsupported.value.message == "“.pdf” files are not supported; please upload .xlsx, .xls or .csv"
    assert empty.value.message == "The file contains no data"
    with translation.override("zh-hans"), pytest.raises(FileFormatError) as chinese:
        read_table(b"%PDF-1.4", "x.pdf")
    assert chinese.value.message == "不支持“.pdf”文件,请上传 .xlsx、.xls 或 .csv"


def test_the_chinese_source_is_unchanged(world, incident):
    today = timezone.localdate()
    with translation.override("zh-hans"):
        with pytest.raises(DomainError) as not_a_number:
            epidemic_parsing.parse_temperature("abc")
        with pytest.raises(DomainError) as twice:
            emergency_plans._validate_teams([{"code": "t1", "name": "甲"}, {"code": "t1", "name": "乙"}])
        duplicate = _check_in_twice(world, incident)
    assert _message(not_a_number, "temperature") == "体温“abc”不是数字"
    assert _message(twice, "teams") == "小组编码“t1”重复"
    assert duplicate == f"{world.a.head.name} {today.month}月{today.day}日已打卡"


def _plain_errors(world) -> dict[str, str]:
    """Errors whose text has no values: a ledger rule, an ID number checked in core.idnumbers (its message is
    kept Chinese there and translated where the ledger shows it), a household rule, two refusals of the request
    workflow and a division code."""
    side = world.a
    out = {}
    with pytest.raises(DomainError) as nameless:
        ledger.person_create(actor=side.worker, community=side.community, name=" ", sex="M")
    out["name"] = _message(nameless, "name")
    with pytest.raises(DomainError) as bad_id:
        ledger.person_create(actor=side.worker, community=side.community, name="王五", id_number="12345")
    out["id_number"] = _message(bad_id, "id_number")
    with pytest.raises(DomainError) as relation:
        ledger.household_add_member(
            actor=side.worker, household=side.household, person=side.elder, relation="x"
        )
    out["relation"] = _message(relation, "relation")
    with pytest.raises(PermissionDenied) as anonymous:
        cases.case_submit(
            actor=AnonymousUser(), category=None, title="路灯坏了", channel=Case.Channel.RESIDENT
        )
    out["login"] = str(anonymous.value)
    with pytest.raises(PermissionDenied) as catalogue:
        cases.service_item_create(actor=side.resident, street=world.street, name="开证明")
    out["catalogue"] = str(catalogue.value)
    with pytest.raises(ValidationError) as division:
        validate_division_code("1101", level="street")
    out["division"] = division.value.messages[0]
    return out


def test_plain_service_errors_read_in_english(world):
    with translation.override("en"):
        errors = _plain_errors(world)
    assert errors == {
        "name": "Please enter the name",
        "id_number": "The ID number must be 18 characters (the last may be X) or 15 digits",
        "relation": "Please choose the relation to the head of household",
        "login": "Please log in first",
        "catalogue": "You cannot edit this service catalogue",
        "division": "The division code must be 12 digits",
    }


def test_plain_service_errors_keep_their_chinese_source(world):
    with translation.override("zh-hans"):
        errors = _plain_errors(world)
    assert errors == {
        "name": "请填写姓名",
        "id_number": "证件号码应为18位(最后一位可为X)或15位数字",
        "relation": "请选择与户主关系",
        "login": "请先登录",
        "catalogue": "您不能编辑该服务目录",
        "division": "区划代码应为12位数字",
    }


def test_api_refusals_without_values_read_in_english(world):
    api = Client(HTTP_ACCEPT_LANGUAGE="en")
    r = api.post("/api/v1/auth/token/", {"username": "nobody", "password": "wrong"})
    assert r.status_code == 400
    assert r.json()["non_field_errors"] == ["Wrong username or password"]
    api.force_login(world.a.worker)
    r = api.post(
        "/api/v1/cases/catalogue/",
        {"kind": "service", "code": "proof", "name": "开证明"},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["community"] == [
        "Only the street can add items for the whole street; please choose a community"
    ]
