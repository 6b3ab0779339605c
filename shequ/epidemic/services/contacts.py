"""Close contacts (密接) and their follow-ups, spread over the teams of the contact's building."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, require
from shequ.core.rights import Right
from shequ.emergency.models import Incident, PlanTeam, Team
from shequ.epidemic import policies, selectors
from shequ.epidemic.models import (
    Contact,
    FollowUp,
)
from shequ.epidemic.services._common import _int_param, _require_active
from shequ.ledger.models import Person


def followup_dates(incident: Incident, last_contact_on: date) -> list[date]:
    """Follow-up days over the plan's period at its frequency: last contact + every, + 2·every … ≤ + period."""
    period = _int_param(incident, "followup_days", field="last_contact_on")
    every = _int_param(incident, "followup_every_days", field="last_contact_on")
    if every < 1:
        raise DomainError(gettext("预案的随访间隔须至少为1天"), field="last_contact_on")
    return [last_contact_on + timedelta(days=k) for k in range(every, period + 1, every)]


@transaction.atomic
def contact_add(
    *, actor: Actor, incident: Incident, person: Person, case_label: str, relation: str, last_contact_on: date
) -> Contact:
    home = person.home
    if home is None:
        raise DomainError(gettext("该人员没有登记现住址"), field="person")
    require(actor, Right.EMERGENCY_MANAGE, home)
    _require_active(incident)
    if not policies.in_scope(incident, home):
        raise DomainError(gettext("该人员不在本次响应范围内"), field="person")
    if not (case_label or "").strip():
        raise DomainError(gettext("请填写关联病例"), field="case_label")
    if not (relation or "").strip():
        raise DomainError(gettext("请填写与病例的关系"), field="relation")
    if last_contact_on is None:
        raise DomainError(gettext("请填写末次接触日期"), field="last_contact_on")
    if last_contact_on > timezone.localdate():
        raise DomainError(gettext("末次接触日期不能晚于今天"), field="last_contact_on")
    if Contact.objects.filter(incident=incident, person=person).exists():
        raise DomainError(
            gettext("%(name)s 已登记为密接") % {"name": person.name}, field="person", code="duplicate"
        )
    contact = Contact(
        incident=incident,
        person=person,
        case_label=case_label.strip()[:60],
        relation=relation.strip()[:40],
        last_contact_on=last_contact_on,
        community_id=home.community_id,
        building_id=home.building_id,
    )
    contact.full_clean()
    contact.save()
    followups_generate(contact)
    audit_record(
        actor=actor,
        kind="create",
        action="contact_add",
        obj=contact,
        community=incident.community,
        after={"relation": contact.relation, "last_contact_on": last_contact_on},
    )
    return contact


def followups_generate(contact: Contact) -> list[FollowUp]:
    """Round-robin over the teams covering the contact's building, continuing from the building's last turn so
    successive contacts in one building spread across its teams."""
    incident = contact.incident
    teams = selectors.building_teams(incident, contact.building_id)
    if not teams:
        teams = list(
            Team.objects.filter(
                incident=incident,
                plan_team_code__in=PlanTeam.objects.filter(plan=incident.plan, covers_buildings=True).values(
                    "code"
                ),
            ).order_by("id")
        )
    turn = FollowUp.objects.filter(
        contact__incident=incident, contact__building_id=contact.building_id
    ).count()
    rows = []
    for i, day in enumerate(followup_dates(incident, contact.last_contact_on)):
        team = teams[(turn + i) % len(teams)] if teams else None
        rows.append(FollowUp(contact=contact, due_on=day, team=team))
    return FollowUp.objects.bulk_create(rows)


@transaction.atomic
def followup_record(*, actor: Actor, followup: FollowUp, status: str, result: str = "") -> FollowUp:
    contact = followup.contact
    if not policies.can_record_followup(actor, contact):
        raise PermissionDenied(gettext("不在您的管辖范围内"))
    if status not in (FollowUp.Status.DONE, FollowUp.Status.MISSED):
        raise DomainError(gettext("请选择随访结果(已随访/未联系上)"), field="status")
    followup.status = status
    followup.result = (result or "")[:200]
    followup.done_at = timezone.now()
    followup.save(update_fields=["status", "result", "done_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="followup_record",
        obj=contact,
        community=contact.community,
        after={"due_on": followup.due_on, "status": status},
    )
    return followup
