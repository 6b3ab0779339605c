"""One statement for a row and its audit event (ADR 0006): `insert_with_audit`, for a hot path such as the
daily check-in. It re-does Model.save's field preparation only where Django provably changes nothing
(`_plain_types`); core/tests/test_instances.py compares its parameters with Django's own path."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from shequ.core.models import AuditEvent

_INSERT_SQL: dict[tuple, tuple[str, list]] = {}


def _insert_sql(obj: models.Model, event: AuditEvent, connection) -> tuple[str, list]:
    """The statement for insert_with_audit and the fields whose values it takes, made once per model and field
    set (the same text every time, so PostgreSQL keeps it prepared)."""
    # the field set differs only by whether obj's primary key is given
    key = (connection.alias, type(obj), getattr(obj, obj._meta.pk.attname) is None)
    cached = _INSERT_SQL.get(key)
    if cached is not None:
        return cached
    fields = [
        f for f in obj._meta.local_concrete_fields if not (f.primary_key and getattr(obj, f.attname) is None)
    ]
    ev_fields = [f for f in event._meta.local_concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    pk = obj._meta.pk

    def mark(f):
        if f.attname == "object_id":
            return f"CAST(new.{qn(pk.column)} AS varchar(40))"
        return f"CAST(%s AS {f.cast_db_type(connection)})"

    sql = (
        f"WITH new AS (INSERT INTO {qn(obj._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608 — names from _meta
        f"SELECT {', '.join(f'CAST(%s AS {f.cast_db_type(connection)})' for f in fields)} "
        f"ON CONFLICT DO NOTHING RETURNING {qn(pk.column)}) "
        f"INSERT INTO {qn(event._meta.db_table)} ({', '.join(qn(f.column) for f in ev_fields)}) "
        f"SELECT {', '.join(mark(f) for f in ev_fields)} FROM new "
        f"RETURNING {qn(event._meta.pk.column)}, {qn('object_id')}"
    )
    taken = fields + [f for f in ev_fields if f.attname != "object_id"]
    cached = (sql, [(f, _plain_types(f, connection)) for f in taken])
    _INSERT_SQL[key] = cached
    return cached


def _insert_params(obj: models.Model, event: AuditEvent, fields: list, connection) -> list:
    """The statement's parameters: each field's get_db_prep_save(pre_save(...)), skipped where _plain_types says
    the attribute goes to psycopg as it is."""
    params = []
    obj_values, event_values, model = obj.__dict__, event.__dict__, type(obj)
    now = None
    for f, plain_types in fields:
        if plain_types is not None:
            values = obj_values if f.model is model else event_values
            if plain_types is _NOW:
                # auto_now(_add): what pre_save does (timezone.now(), kept on the instance); one moment for both rows
                now = now or timezone.now()
                values[f.attname] = now
                params.append(now)
                continue
            value = values.get(f.attname, _MISSING)
            if type(value) in plain_types or (plain_types is _TEXT and isinstance(value, str)):
                params.append(value)
                continue
        instance = obj if f.model is model else event
        params.append(f.get_db_prep_save(f.pre_save(instance, add=True), connection=connection))
    return params


_MISSING = object()
_NONE = type(None)
_TEXT = (
    str,
    _NONE,
)  # also str subclasses (TextChoices members): CharField.to_python returns any str as it is
_NOW = (datetime.datetime,)  # an auto_now/auto_now_add DateTimeField: set to timezone.now() (USE_TZ: aware)


def _plain_types(field: Any, connection) -> tuple[type, ...] | None:
    """The value types that field.get_db_prep_save(field.pre_save(...)) hands to psycopg unchanged on PostgreSQL, so
    insert_with_audit can skip both calls for them (about a tenth of a check-in's CPU time): the attribute as it
    is, for field classes whose pre_save and preparation Django does not vary. None: always prepare
    (datetimes, JSON, auto_now, subclasses). core/tests/test_instances.py checks both ways agree."""
    from django.db.models import fields as f

    kind = type(field)
    if kind is f.DateField and not (field.auto_now or field.auto_now_add):
        return (datetime.date, _NONE)  # exactly date: a datetime is a subclass and is prepared
    if kind is f.DateTimeField and (field.auto_now or field.auto_now_add) and settings.USE_TZ:
        return _NOW
    if type(field).pre_save is not models.Field.pre_save:
        return None
    if kind is f.DecimalField:
        return (Decimal, _NONE)
    if kind is f.GenericIPAddressField:
        return (_NONE,)
    if kind is models.ForeignKey:
        target = field.target_field
        return _plain_types(target, connection) if type(target) is not models.ForeignKey else None
    if kind in (f.CharField, f.TextField, f.SlugField, f.EmailField):
        return _TEXT
    if kind in (
        f.IntegerField,
        f.BigIntegerField,
        f.SmallIntegerField,
        f.PositiveIntegerField,
        f.PositiveBigIntegerField,
        f.PositiveSmallIntegerField,
        f.AutoField,
        f.BigAutoField,
    ):
        return (int, _NONE)
    if kind is f.BooleanField:
        return (bool, _NONE)
    if kind is f.UUIDField and connection.features.has_native_uuid_field:
        return (uuid.UUID, _NONE)
    return None


def insert_with_audit(obj: models.Model, event: AuditEvent) -> bool:
    """Insert obj and its audit row (whose object_id becomes obj's new id) together, or neither.

    False, with nothing written, when a row equal under one of obj's unique constraints exists already. On
    PostgreSQL this is one prepared statement (a data-modifying WITH, atomic by itself), so a hot path such as a
    check-in pays one round trip instead of BEGIN, two INSERTs and COMMIT; elsewhere a transaction does the same."""
    from django.db import IntegrityError, connections, router, transaction

    from shequ.core import sql as prepared

    connection = connections[router.db_for_write(type(obj))]
    if connection.vendor != "postgresql" or connection.alias != "default":
        try:
            with transaction.atomic(using=connection.alias):
                obj.save(force_insert=True)
                event.object_id = str(obj.pk)
                event.save(force_insert=True)
        except IntegrityError:
            return False
        return True
    sql, fields = _insert_sql(obj, event, connection)
    rows = prepared.fetch(sql, _insert_params(obj, event, fields, connection))
    if not rows:
        return False
    pk = obj._meta.pk
    event.pk, event.object_id = rows[0]
    setattr(obj, pk.attname, pk.to_python(event.object_id))
    for instance in (obj, event):
        instance._state.adding = False
        instance._state.db = connection.alias
    return True
