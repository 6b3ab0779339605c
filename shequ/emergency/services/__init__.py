"""Writes for emergency operation, one module per topic: plan copies and versions, activation (teams from the
roster, tasks, notifications), team adjustments, task completion, stand-down and the after-action review.
`from shequ.emergency import services` keeps working: the public names are re-exported here."""

from shequ.emergency.services._common import send_notice, timeline_add
from shequ.emergency.services.activation import DUTY_PRIORITY, form_teams, incident_activate
from shequ.emergency.services.plans import emergency_kind_create, plan_copy, plan_revise
from shequ.emergency.services.stand_down import incident_review_update, incident_stand_down
from shequ.emergency.services.tasks import task_complete, task_create
from shequ.emergency.services.teams import team_member_add, team_member_remove, team_member_update

__all__ = [
    "DUTY_PRIORITY",
    "emergency_kind_create",
    "form_teams",
    "incident_activate",
    "incident_review_update",
    "incident_stand_down",
    "plan_copy",
    "plan_revise",
    "send_notice",
    "task_complete",
    "task_create",
    "team_member_add",
    "team_member_remove",
    "team_member_update",
    "timeline_add",
]
