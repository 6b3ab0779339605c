"""An incident's tasks: created by hand or by another app (a reading's follow-up), and completed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.accounts.selectors import users_of_people
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, require
from shequ.core.rights import Right
from shequ.emergency import policies
from shequ.emergency.models import (
    Incident,
    IncidentTask,
    Team,
)
from shequ.emergency.services._common import _require_active, send_notice, timeline_add
from shequ.ledger.models import Person
from shequ.places.models import Place


@transaction.atomic
def task_create(
    *,
    actor: Actor,
    incident: Incident,
    title: str,
    due_at,
    team: Team | None = None,
    source: str = IncidentTask.Source.MANUAL,
    building: Place | None = None,
    person: Person | None = None,
    checklist: list[str] | None = None,
    check: bool = True,
) -> IncidentTask:
    """A task of the incident. check=False when the caller has made its own check (epidemic's follow-up task for
    a reading, raised by a capture worker who holds no manage right)."""
    if check:
        require(actor, Right.EMERGENCY_MANAGE, incident.community)
    _require_active(incident)
    if not (title or "").strip():
        raise DomainError(gettext("请填写任务名称"), field="title")
    if due_at is None:
        raise DomainError(gettext("请填写截止时间"), field="due_at")
    if team is not None and team.incident_id != incident.pk:
        raise DomainError(gettext("只能派给本次响应的小组"), field="team")
    task = IncidentTask(
        incident=incident,
        team=team,
        source=source,
        title=title.strip()[:200],
        due_at=due_at,
        building=building,
        person=person,
        checklist=[{"text": c, "done": False} for c in (checklist or [])],
    )
    task.full_clean()
    task.save()
    audit_record(
        actor=actor,
        kind="create",
        action="task_create",
        obj=task,
        community=incident.community,
        after={"title": task.title, "due_at": due_at, "team": str(team or "")},
    )
    if team is not None:
        person_ids = team.members.values_list("person_id", flat=True)
        send_notice(
            actor=actor,
            incident=incident,
            recipients=users_of_people(person_ids),
            kind="emergency.task",
            title=f"新任务:{task.title}",
            url=f"/emergency/incidents/{incident.pk}/",
            dedupe_key=f"task-{task.pk}",
        )
    return task


@transaction.atomic
def task_complete(
    *, actor: Actor, task: IncidentTask, checklist_done: list[int] | None = None
) -> IncidentTask:
    task = (
        IncidentTask.objects.select_for_update(of=("self",))
        .select_related("incident", "team")
        .get(pk=task.pk)
    )
    if not policies.can_work_task(actor, task):
        raise PermissionDenied(gettext("不在您的管辖范围内"))
    if task.status != IncidentTask.Status.OPEN:
        raise DomainError(gettext("该任务已完成或已取消"), field="status")
    task.status = IncidentTask.Status.DONE
    task.done_at = timezone.now()
    task.done_by = actor if getattr(actor, "pk", None) else None
    task.checklist = (
        [{**c, "done": True} for c in task.checklist]
        if checklist_done is None
        else [{**c, "done": i in checklist_done} for i, c in enumerate(task.checklist)]
    )
    task.save(update_fields=["status", "done_at", "done_by", "checklist", "updated_at"])
    late = "(逾期)" if task.done_at > task.due_at else ""
    timeline_add(task.incident, f"完成任务:{task.title}{late}", actor=actor, at=task.done_at)
    audit_record(
        actor=actor,
        kind="update",
        action="task_complete",
        obj=task,
        community=task.incident.community,
        after={"status": task.status},
    )
    return task
