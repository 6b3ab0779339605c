"""Who may do what in emergency operation. Services, views and the API call these; each rule lives here once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shequ.core.jurisdiction import Actor, covers, has_right, is_system
from shequ.core.rights import Right

if TYPE_CHECKING:
    from shequ.emergency.models import Incident, IncidentTask, PlanTemplate


def can_view_emergency(actor: Actor) -> bool:
    """Holds the view right somewhere: may open the emergency pages (each object is scoped by its selector)."""
    return is_system(actor) or has_right(actor, Right.EMERGENCY_VIEW)


def can_manage_anywhere(actor: Actor) -> bool:
    """Holds the manage right somewhere: may copy plans and activate (the place is checked on the action)."""
    return is_system(actor) or has_right(actor, Right.EMERGENCY_MANAGE)


def can_edit_plan(actor: Actor, plan: PlanTemplate) -> bool:
    """A community's own plan, by someone managing that community (the library is copied, never edited)."""
    return bool(plan.community_id) and (
        is_system(actor) or covers(actor, Right.EMERGENCY_MANAGE, plan.community)
    )


def can_manage_incident(actor: Actor, incident: Incident) -> bool:
    """Teams, tasks, stand-down and review of an incident: the manage right over its community."""
    return is_system(actor) or covers(actor, Right.EMERGENCY_MANAGE, incident.community)


def can_work_task(actor: Actor, task: IncidentTask) -> bool:
    """A task is worked by its incident's managers, the members of its team, or who captures in its building."""
    if is_system(actor) or can_manage_incident(actor, task.incident):
        return True
    person_id = getattr(actor, "person_id", None)
    if task.team_id and person_id and task.team.members.filter(person_id=person_id).exists():
        return True
    return bool(task.building_id and covers(actor, Right.EMERGENCY_CAPTURE, task.building))
