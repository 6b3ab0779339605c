"""The check-in hot path (POST /api/v1/epidemic/checkins/ with an API token): two statements, the same answers as
the DRF path, and a revoked token or a removed role stops working on the very next request (nothing is cached)."""

import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from shequ.accounts.grants import grants_for_user
from shequ.accounts.models import RoleAssignment
from shequ.core.jurisdiction import SYSTEM, grants
from shequ.core.models import AuditEvent
from shequ.emergency.models import Incident
from shequ.emergency.testing import activate, add_roster
from shequ.epidemic import api, policies, selectors
from shequ.epidemic.models import CheckIn
from shequ.ledger.models import Person

URL = "/api/v1/epidemic/checkins/"
postgres_only = pytest.mark.skipif(not settings.IS_POSTGRES, reason="the one-statement path is PostgreSQL's")


@pytest.fixture
def incident(world):
    add_roster(world.a)
    return activate(world, world.a)


def _client(user) -> Client:
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def _body(incident, person, change: dict | None = None) -> dict:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "incident": incident.pk,
        "person": person.pk,
        "temperature": "36.5",
    }
    return body | (change or {})


def _post(client, body):
    return client.post(URL, body, content_type="application/json")


@postgres_only
def test_a_checkin_costs_two_statements_and_writes_row_and_audit(world, incident):
    client = _client(world.a.worker)
    assert (
        _post(client, _body(incident, world.a.spouse)).status_code == 201
    )  # reads the incident's scope once
    body = _body(incident, world.a.head)
    with CaptureQueriesContext(connection) as ctx:
        r = _post(client, body)
    assert r.status_code == 201, r.content
    # one read (token, user, grants, incident, person) and one write (check-in and its audit row)
    assert len(ctx.captured_queries) == 2
    checkin = CheckIn.objects.get(client_uuid=body["client_uuid"])
    assert r.json() == api.CheckInSerializer(checkin).data
    assert (checkin.person, checkin.incident, checkin.reported_by) == (world.a.head, incident, world.a.worker)
    assert checkin.channel == CheckIn.Channel.WORKER and checkin.dwelling == world.a.head.home
    event = AuditEvent.objects.get(action="checkin_submit", object_id=str(checkin.pk))
    assert event.actor == world.a.worker and event.community_id == incident.community_id
    assert event.street_id == incident.street_id and event.object_label == world.a.head.name
    assert event.object_type == "epidemic.checkin" and event.after == {"on": str(checkin.on), "over": False}


@postgres_only
def test_a_resend_answers_200_with_the_first_record(world, incident):
    client = _client(world.a.worker)
    body = _body(incident, world.a.head)
    first = _post(client, body)
    assert first.status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        again = _post(client, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(ctx.captured_queries) == 3  # read, refused insert, the first record
    assert CheckIn.objects.filter(client_uuid=body["client_uuid"]).count() == 1
    assert AuditEvent.objects.filter(action="checkin_submit").count() == 1


@postgres_only
def test_a_revoked_token_stops_at_once(world, incident):
    client = _client(world.a.worker)
    assert _post(client, _body(incident, world.a.head)).status_code == 201
    Token.objects.filter(user=world.a.worker).delete()
    r = _post(client, _body(incident, world.a.spouse))
    # DRF's answer to a failed token (403, as session authentication comes first and sends no challenge)
    assert r.status_code == 403 and "detail" in r.json()
    assert not CheckIn.objects.filter(person=world.a.spouse).exists()


@postgres_only
def test_a_removed_role_stops_at_once(world, incident):
    client = _client(world.a.worker)
    assert _post(client, _body(incident, world.a.head)).status_code == 201
    RoleAssignment.objects.filter(user=world.a.worker).update(is_active=False)
    r = _post(client, _body(incident, world.a.spouse))
    assert r.status_code == 400 and "incident" in r.json()
    assert not CheckIn.objects.filter(person=world.a.spouse).exists()


@postgres_only
def test_an_inactive_user_is_refused(world, incident):
    client = _client(world.a.worker)
    world.a.worker.is_active = False
    world.a.worker.save(update_fields=["is_active"])
    assert _post(client, _body(incident, world.a.head)).status_code == 403
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"temperature": "热"}, "temperature"),
        ({"temperature": ""}, "temperature"),
        ({"temperature": "45"}, "temperature"),
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
        ({"incident": "x"}, "incident"),
        ({"person": None}, "person"),
        ({"on": "2099-01-01"}, "on"),
        ({"on": "yesterday"}, "on"),
        ({"has_symptoms": "maybe"}, "has_symptoms"),
        ({"symptoms": "咳" * 201}, "symptoms"),
    ],
)
def test_bad_input_gets_the_usual_field_message(world, incident, change, field):
    r = _post(_client(world.a.worker), _body(incident, world.a.head, change))
    assert r.status_code == 400 and field in r.json(), r.content
    assert not CheckIn.objects.exists()


def test_other_communitys_person_or_incident_is_a_400_and_writes_nothing(world, incident, monkeypatch):
    reads = []
    context = selectors.checkin_context
    monkeypatch.setattr(selectors, "checkin_context", lambda **kw: reads.append(kw) or context(**kw))
    client = _client(world.b.worker)
    r = _post(client, _body(incident, world.a.head))
    assert r.status_code == 400 and "incident" in r.json()
    own = _client(world.a.worker)
    r = _post(own, _body(incident, world.b.head))
    assert r.status_code == 400 and "person" in r.json()
    assert not CheckIn.objects.exists()
    if settings.IS_POSTGRES:
        # the short path read once per request and declined; the DRF path answered without a second try
        assert len(reads) == 2


def test_a_resident_checks_in_own_household_only(world, incident):
    client = _client(world.a.resident)
    r = _post(client, _body(incident, world.a.head))
    assert r.status_code == 201 and r.json()["channel"] == CheckIn.Channel.SELF
    elder_home = world.a.elder.home
    if elder_home is not None and elder_home.pk != world.a.head.home_id:
        assert _post(client, _body(incident, world.a.elder)).status_code == 400


def test_second_checkin_of_the_day_names_the_person(world, incident):
    client = _client(world.a.worker)
    assert _post(client, _body(incident, world.a.head)).status_code == 201
    r = _post(client, _body(incident, world.a.head))
    assert r.status_code == 400 and "已打卡" in r.json()["person"][0]


@postgres_only
def test_grants_read_with_the_checkin_equal_grants_for_user(world):
    users = [
        world.a.worker,
        world.a.grid_worker,
        world.a.building_leader,
        world.a.resident,
        world.street_officer,
    ]
    RoleAssignment.objects.create(
        user=world.a.worker, role="volunteer", place=world.b.community, is_active=False
    )
    for user in users:
        context = selectors.checkin_context(
            token_key=Token.objects.get_or_create(user=user)[0].key, incident_id=0, person_id=0
        )
        assert context is not None
        fetched_user, fetched, incident, person = context
        assert fetched_user == user and incident is None and person is None
        assert fetched == grants_for_user(user)


def test_fast_visibility_never_admits_what_the_querysets_refuse(world, incident):
    """Each check-in rule's predicate (the hot path and the service) and its queryset (the pages and the DRF path)
    give the same answer: for every persona, every incident and every person, in both directions."""
    activate(world, world.b)
    users = [
        world.a.worker,
        world.a.grid_worker,
        world.a.building_leader,
        world.a.volunteer,
        world.a.liaison,
        world.a.resident,
        world.b.worker,
        world.b.resident,
        world.street_officer,
    ]
    for user in users:
        grants(user)
        visible_incidents = set(selectors.checkin_incidents_for(user).values_list("pk", flat=True))
        visible_people = set(selectors.checkin_people_for(user).values_list("pk", flat=True))
        assert visible_incidents == set(
            Incident.objects.filter(policies.checkin_incidents_q(user)).values_list("pk", flat=True)
        )
        for inc in Incident.objects.all():
            assert policies.can_check_in_for_incident(user, inc) == (inc.pk in visible_incidents), (user, inc)
        for person in Person.objects.select_related("home").filter(merged_into__isnull=True):
            assert policies.can_check_in_for_person(user, person) == (person.pk in visible_people), (
                user,
                person,
            )
    # and it admits the common case: a worker for the own community, a resident for the own home
    assert policies.can_check_in_for_incident(world.a.worker, incident)
    assert policies.can_check_in_for_person(world.a.worker, world.a.head)
    assert policies.can_check_in_for_person(world.a.resident, world.a.head)
    assert not policies.can_check_in_for_person(world.b.worker, world.a.head)
    assert policies.can_check_in_for_person(SYSTEM, world.a.head)


@postgres_only
@pytest.mark.parametrize(
    ("accept", "fast"),
    [
        ("", True),
        ("application/json, text/plain, */*", True),
        ("*/*", True),
        ("text/html,application/xhtml+xml", False),
        ("application/xml", False),
    ],
)
def test_only_plain_json_answers_take_the_short_path(world, incident, accept, fast):
    client = _client(world.a.worker)
    assert _post(client, _body(incident, world.a.spouse)).status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        r = client.post(
            URL, _body(incident, world.a.head), content_type="application/json", HTTP_ACCEPT=accept
        )
    assert r.status_code in (201, 406)
    assert (len(ctx.captured_queries) == 2) is fast
