"""The one way to write the audit log. Called inside the service's transaction, so the event and the change
commit or roll back together. Values given here must already be masked.

audit_event makes its row with core.instances.unsaved (Model(**fields) without Model.__init__, ADR 0006) for every
audit row in the system, not only on the hot path; core/tests/test_instances.py compares it with Django's own path.
A hot path writes its row and the audit row in one statement with core.hotpath.insert.insert_with_audit."""

from __future__ import annotations

from typing import Any

from django.db import models

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


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys that changed, for a compact audit row."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
