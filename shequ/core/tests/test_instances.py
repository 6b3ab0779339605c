"""core.instances (model instances without Model.__init__) and insert_with_audit's parameters must equal what
Django's own constructor and get_db_prep_save make: the check-in hot path relies on both."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models.signals import post_init

from shequ.core import instances
from shequ.core.audit import audit_event
from shequ.core.hotpath.insert import _insert_params, _insert_sql
from shequ.core.models import AuditEvent
from shequ.epidemic.models import CheckIn
from shequ.places.models import Place


def _values(obj) -> dict:
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}


def _checkin_fields(**change) -> dict:
    return {
        "client_uuid": uuid.uuid4(),
        "incident_id": 7,
        "is_drill": False,
        "person_id": 11,
        "dwelling_id": 13,
        "community_id": 3,
        "building_id": 5,
        "on": datetime.date(2026, 12, 7),
        "temperature": Decimal("36.5"),
        "has_symptoms": False,
        "symptoms": "",
        "is_over_threshold": False,
        "channel": CheckIn.Channel.SELF,
        "reported_by_id": 2,
    } | change


def test_unsaved_equals_the_constructor():
    fields = _checkin_fields()
    fast, slow = instances.unsaved(CheckIn, **dict(fields)), CheckIn(**dict(fields))
    assert _values(fast) == _values(slow)
    assert fast._state.adding and fast._state.db is None
    assert fast.pk is None


def test_unsaved_fills_defaults_and_refuses_unknown_names():
    event = instances.unsaved(AuditEvent, kind="create", action="x", object_type="t")
    assert _values(event) == _values(AuditEvent(kind="create", action="x", object_type="t"))
    assert event.before == {} and event.before is not AuditEvent().before
    with pytest.raises(TypeError, match="nonsense"):
        instances.unsaved(AuditEvent, nonsense=1)


@pytest.mark.django_db
def test_loaded_equals_from_db_and_defers_the_rest(world):
    place = world.a.building
    # in the model's field order, as from_db takes them
    names = [
        f.attname
        for f in Place._meta.concrete_fields
        if f.attname in ("id", "name", "community_id", "street_id")
    ]
    values = [getattr(place, name) for name in names]
    fast, slow = instances.loaded(Place, "default", names, values), Place.from_db("default", names, values)
    assert _values(fast) == _values(slow)
    assert not fast._state.adding and fast._state.db == "default"
    assert fast.get_deferred_fields() == slow.get_deferred_fields()
    assert fast.level == place.level  # a deferred field loads on first use, as after .only()


def test_a_connected_init_signal_is_never_bypassed():
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=CheckIn)
    try:
        made = instances.unsaved(CheckIn, **_checkin_fields())
        got = instances.loaded(CheckIn, "default", ["id", "symptoms"], [1, ""])
    finally:
        post_init.disconnect(receiver, sender=CheckIn)
    assert seen == [made, got]


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="insert_with_audit's one statement is PostgreSQL's"
)
@pytest.mark.parametrize(
    "change",
    [
        {},
        {"symptoms": "咳嗽", "has_symptoms": True, "reported_by_id": None},
        # not the types the fast way takes: they go through get_db_prep_save
        {"temperature": "36.5", "incident_id": "7", "on": "2026-12-07"},
    ],
)
def test_insert_parameters_equal_get_db_prep_save(change):
    checkin = instances.unsaved(CheckIn, **_checkin_fields(**change))
    event = audit_event(
        actor=None,
        kind="create",
        action="checkin_submit",
        object_type="epidemic.checkin",
        object_label="张*",
        community_id=3,
        street_id=1,
        after={"on": datetime.date(2026, 12, 7), "over": False},
    )
    _, fields = _insert_sql(checkin, event, connection)
    fast = _insert_params(checkin, event, fields, connection)
    slow = [
        f.get_db_prep_save(
            f.pre_save(checkin if f.model is CheckIn else event, add=True), connection=connection
        )
        for f, _ in fields
    ]
    assert len(fast) == len(slow)
    for f_and_types, a, b in zip(fields, fast, slow, strict=True):
        field = f_and_types[0]
        if getattr(field, "auto_now_add", False):  # now, at two slightly different moments
            assert type(a) is type(b)
            continue
        # JSON values are wrapped by the backend; compare what they carry
        assert getattr(a, "obj", a) == getattr(b, "obj", b), field.attname
        assert type(a) is type(b), field.attname


def test_audit_event_takes_ids_or_places_alike():
    community = Place(pk=3, street_id=1)
    by_place = audit_event(actor=None, kind="create", action="x", object_type="t", community=community)
    by_ids = audit_event(actor=None, kind="create", action="x", object_type="t", community_id=3, street_id=1)
    assert (by_place.community_id, by_place.street_id) == (by_ids.community_id, by_ids.street_id) == (3, 1)


def test_the_tuples_ok_status_is_libpqs():
    psycopg = pytest.importorskip("psycopg")
    from shequ.core import sql

    assert sql._TUPLES_OK == psycopg.pq.ExecStatus.TUPLES_OK
