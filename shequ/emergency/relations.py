"""emergency's references to a ledger person, registered in EmergencyConfig.ready() (see
ledger/person_relations.py). A team holds a person once: the survivor's post wins over the duplicate's."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shequ.emergency.models import IncidentTask, TeamMember
from shequ.ledger import person_relations as pr


def register() -> None:
    pr.register(TeamMember, "person", label=_("应急队员"))
    pr.register(IncidentTask, "person", label=_("应急任务"))
