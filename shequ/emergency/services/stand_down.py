"""Stand-down (终止响应) and the after-action review (复盘)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.accounts.selectors import users_of_people
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, require
from shequ.core.rights import Right
from shequ.emergency import hooks, selectors
from shequ.emergency.models import (
    Incident,
    IncidentTask,
    TeamMember,
)
from shequ.emergency.services._common import send_notice, timeline_add


@transaction.atomic
def incident_stand_down(*, actor: Actor, incident: Incident, notes: str = "") -> Incident:
    """终止响应 → 复盘: freeze the figures and the late items; close open tasks as cancelled."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    require(actor, Right.EMERGENCY_MANAGE, incident.community)
    if not incident.is_active:
        raise DomainError(gettext("该事件已终止响应"), field="status")
    now = timezone.now()
    incident.stood_down_at = now
    late = [
        {
            "title": t.title,
            "team": t.team.name if t.team else "",
            "due_at": t.due_at.isoformat(),
            "done_at": t.done_at.isoformat() if t.done_at else None,
        }
        for t in incident.tasks.select_related("team").order_by("due_at")
        if t.was_late
    ]
    figures = selectors.incident_figures(incident)
    incident.status = Incident.Status.STOOD_DOWN
    incident.stood_down_by = actor if getattr(actor, "pk", None) else None
    incident.review_notes = notes or ""
    incident.review_figures = {"figures": figures, "late": late}
    incident.save()
    incident.tasks.filter(status=IncidentTask.Status.OPEN).update(status=IncidentTask.Status.CANCELLED)
    for hook in hooks.incident_hooks("on_incident_stood_down"):
        hook(actor=actor, incident=incident)
    timeline_add(incident, "终止响应,转入复盘", actor=actor, at=now)
    audit_record(
        actor=actor,
        kind="action",
        action="incident_stand_down",
        obj=incident,
        community=incident.community,
        after={"figures": figures, "late": len(late)},
    )
    person_ids = TeamMember.objects.filter(team__incident=incident).values_list("person_id", flat=True)
    send_notice(
        actor=actor,
        incident=incident,
        recipients=users_of_people(person_ids),
        kind="emergency.stood_down",
        title=f"{incident.title} 已终止响应",
        url=f"/emergency/incidents/{incident.pk}/review/",
        dedupe_key=f"incident-{incident.pk}-down",
    )
    return incident


@transaction.atomic
def incident_review_update(*, actor: Actor, incident: Incident, notes: str) -> Incident:
    require(actor, Right.EMERGENCY_MANAGE, incident.community)
    if incident.is_active:
        raise DomainError(gettext("请先终止响应再填写复盘"), field="notes")
    before = {"notes": incident.review_notes}
    incident.review_notes = notes or ""
    incident.save(update_fields=["review_notes", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="incident_review_update",
        obj=incident,
        community=incident.community,
        before=before,
        after={"notes": incident.review_notes},
    )
    return incident
