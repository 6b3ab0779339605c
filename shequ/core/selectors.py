"""Reads of core's own records (the audit log), scoped to the actor."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from shequ.core.jurisdiction import scope_q
from shequ.core.models import AuditEvent
from shequ.core.rights import Right


def audit_events_visible_to(
    user,
    *,
    kind: str = "",
    who: str = "",
    obj: str = "",
    object_type: str = "",
    date_from: str = "",
    date_to: str = "",
) -> tuple[QuerySet[AuditEvent], list[str]]:
    """Audit events under the places the user audits, filtered by kind, who acted (name or username), the
    object's label, its type and a local date range (年-月-日, both ends included). Returns the queryset and the
    messages for filters that could not be read (the rest still apply)."""
    qs = AuditEvent.objects.filter(scope_q(user, Right.AUDIT_VIEW))
    if kind in AuditEvent.Kind.values:
        qs = qs.filter(kind=kind)
    if who:
        qs = qs.filter(Q(actor_label__icontains=who) | Q(actor__username=who))
    if obj:
        qs = qs.filter(object_label__icontains=obj)
    if object_type:
        qs = qs.filter(object_type=object_type)
    errors: list[str] = []
    tz = timezone.get_current_timezone()
    for label, raw, op in (("from", date_from, "gte"), ("to", date_to, "lt")):
        if not raw:
            continue
        day = parse_date(raw) if len(raw) == 10 else None
        if day is None:
            errors.append(_("日期格式不正确,应为 年-月-日"))
            continue
        if label == "to":
            day += timedelta(days=1)
        qs = qs.filter(**{f"at__{op}": timezone.make_aware(datetime.combine(day, time.min), tz)})
    return qs, errors
