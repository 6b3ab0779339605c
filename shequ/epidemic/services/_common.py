"""Helpers shared by the epidemic services: incident checks, plan parameters, the follow-up task for a reading."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.emergency import services as emergency
from shequ.emergency.models import Incident, IncidentTask
from shequ.epidemic import selectors
from shequ.ledger.models import Person
from shequ.places.models import Place


def _require_active(incident: Incident) -> None:
    if not incident.is_active:
        raise DomainError(gettext("该事件已终止响应"), field="incident")


def _int_param(incident: Incident, key: str, *, field: str) -> int:
    value = incident.param(key)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError(
            gettext("预案缺少参数“%(key)s”,请在预案中补充") % {"key": key}, field=field
        ) from None


def _reading_task(
    *, actor: Actor, incident: Incident, person: Person, building_id, temperature, what: str
) -> IncidentTask:
    teams = selectors.building_teams(incident, building_id)
    hours = int(incident.param("reading_followup_hours", 2) or 2)
    return emergency.task_create(
        actor=actor,
        incident=incident,
        title=f"跟进{what}异常:{person.name} {temperature or ''}℃".replace(" ℃", ""),
        due_at=timezone.now() + timedelta(hours=hours),
        team=teams[0] if teams else None,
        source=IncidentTask.Source.READING,
        building=Place(pk=building_id) if building_id else None,
        person=person,
        check=False,
    )
