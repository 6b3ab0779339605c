"""Helpers shared by the emergency services: the timeline, notices to the people on duty, the active check."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.emergency.models import (
    Incident,
    TimelineEntry,
)
from shequ.notifications.services import notify as _notify


def _actor_label(actor: Actor | None) -> str:
    return (getattr(actor, "display_label", "") or "系统") if actor is not None else "系统"


def timeline_add(incident: Incident, text: str, *, actor: Actor | None = None, at=None) -> TimelineEntry:
    return TimelineEntry.objects.create(
        incident=incident, text=text[:300], actor_label=_actor_label(actor), at=at or timezone.now()
    )


def send_notice(
    *,
    actor: Actor,
    incident: Incident,
    recipients,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
) -> None:
    """Every message of a drill says so in its title (演练)."""
    recipients = [u for u in recipients if u is not None]
    if not recipients:
        return
    if incident.is_drill and not title.startswith("【演练】"):
        title = f"【演练】{title}"
    _notify(
        actor=actor,
        recipients=recipients,
        kind=kind,
        title=title,
        body=body,
        url=url,
        is_drill=incident.is_drill,
        dedupe_key=dedupe_key,
    )


def _require_active(incident: Incident) -> None:
    if not incident.is_active:
        raise DomainError(gettext("该事件已终止响应,不能再修改"), field="incident")
