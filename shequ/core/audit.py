"""The one way to write the audit log. Called inside the service's transaction, so the event and the change
commit or roll back together. Values given here must already be masked."""

from __future__ import annotations

from typing import Any

from django.db import models

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
) -> AuditEvent:
    """The audit row, not yet saved (audit_record saves it; insert_with_audit writes it with its object)."""
    meta = current_request_meta()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:200]
        if community is None:
            community = getattr(obj, "audit_community", None)
    # ids rather than instances: the row is all that is needed, and assigning related instances costs (hot paths)
    street_id = getattr(street, "pk", None)
    if community is not None and street is None:
        street_id = getattr(community, "street_id", None)
    return AuditEvent(
        actor_id=actor.pk if getattr(actor, "is_authenticated", False) else None,
        actor_label=(getattr(actor, "display_label", "") or getattr(actor, "username", "") or "system")[:150],
        kind=kind,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        community_id=getattr(community, "pk", None),
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
    fields = [
        f for f in obj._meta.local_concrete_fields if not (f.primary_key and getattr(obj, f.attname) is None)
    ]
    ev_fields = [f for f in event._meta.local_concrete_fields if not f.primary_key]
    key = (connection.alias, type(obj), tuple(f.attname for f in fields))
    cached = _INSERT_SQL.get(key)
    if cached is not None:
        return cached
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
    cached = (sql, fields + [f for f in ev_fields if f.attname != "object_id"])
    _INSERT_SQL[key] = cached
    return cached


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
    params = [
        f.get_db_prep_save(
            f.pre_save(obj if f.model is type(obj) else event, add=True), connection=connection
        )
        for f in fields
    ]
    rows = prepared.fetch(sql, params)
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
