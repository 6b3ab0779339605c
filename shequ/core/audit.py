"""The one way to write the audit log. Called inside the service's transaction, so the event and the change
commit or roll back together. Values given here must already be masked."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from shequ.core import instances
from shequ.core.middleware import current_request_meta
from shequ.core.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def audit_event(
    *,
    actor,
    kind: str,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    community=None,
    street=None,
    before: dict | None = None,
    after: dict | None = None,
    field: str = "",
    reason: str = "",
    community_id: int | None = None,
    street_id: int | None = None,
) -> AuditEvent:
    """The audit row, not yet saved (audit_record saves it; insert_with_audit writes it with its object).
    community_id/street_id may stand for community/street when only the ids are at hand (hot paths)."""
    meta = current_request_meta()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:200]
        if community is None:
            community = getattr(obj, "audit_community", None)
    # ids rather than instances: the row is all that is needed, and assigning related instances costs (hot paths)
    if street is not None:
        street_id = getattr(street, "pk", None)
    elif community is not None:
        street_id = getattr(community, "street_id", None)
    if community is not None:
        community_id = getattr(community, "pk", None)
    return instances.unsaved(
        AuditEvent,
        actor_id=actor.pk if getattr(actor, "is_authenticated", False) else None,
        actor_label=(getattr(actor, "display_label", "") or getattr(actor, "username", "") or "system")[:150],
        kind=kind,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        community_id=community_id,
        street_id=street_id,
        field=field,
        reason=reason,
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
        ip=meta.get("ip"),
        user_agent=meta.get("user_agent", ""),
    )


def audit_record(*, actor, kind: str, action: str, **fields: Any) -> AuditEvent:
    """Write one audit row (the other fields as audit_event takes them)."""
    event = audit_event(actor=actor, kind=kind, action=action, **fields)
    event.save(force_insert=True)
    return event


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


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys that changed, for a compact audit row."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
