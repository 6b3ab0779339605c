"""Adjusting an incident's teams by hand: add, move or remove a member."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from shequ.accounts.selectors import users_of_people
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, require
from shequ.core.rights import Right
from shequ.emergency.models import (
    Team,
    TeamMember,
)
from shequ.emergency.services._common import _require_active, send_notice, timeline_add
from shequ.ledger.models import Person
from shequ.places.models import Place


@transaction.atomic
def team_member_add(
    *,
    actor: Actor,
    team: Team,
    person: Person,
    post: str,
    responsibility: str = "",
    place: Place | None = None,
) -> TeamMember:
    incident = team.incident
    require(actor, Right.EMERGENCY_MANAGE, incident.community)
    _require_active(incident)
    if not (post or "").strip():
        raise DomainError(gettext("请填写岗位"), field="post")
    home_community = person.home.community_id if person.home_id else None
    if incident.community_id not in (person.community_id, home_community):
        raise DomainError(gettext("该人员不在本社区"), field="person")
    if place is not None and place.community_id != incident.community_id:
        raise DomainError(gettext("岗位地点须在本社区内"), field="place")
    if TeamMember.objects.filter(team__incident=incident, person=person).exists():
        raise DomainError(
            gettext("%(name)s 已在本次响应中有岗位,请先调整原岗位") % {"name": person.name},
            field="person",
            code="duplicate",
        )
    member = TeamMember(
        team=team,
        person=person,
        post=post.strip()[:40],
        responsibility=responsibility[:200],
        place=place,
        is_manual=True,
    )
    member.full_clean()
    member.save()
    timeline_add(incident, f"{team.name}增加成员{person.name}({member.post})", actor=actor)
    audit_record(
        actor=actor,
        kind="update",
        action="team_member_add",
        obj=team,
        community=incident.community,
        after={"person": person.name, "post": member.post},
    )
    send_notice(
        actor=actor,
        incident=incident,
        recipients=users_of_people([person.pk]),
        kind="emergency.post",
        title=f"您被安排到{team.name}:{member.post}",
        body=member.responsibility,
        url=f"/emergency/incidents/{incident.pk}/",
    )
    return member


@transaction.atomic
def team_member_update(
    *,
    actor: Actor,
    member: TeamMember,
    team: Team | None = None,
    post: str | None = None,
    responsibility: str | None = None,
    place: Place | None = None,
) -> TeamMember:
    incident = member.team.incident
    require(actor, Right.EMERGENCY_MANAGE, incident.community)
    _require_active(incident)
    before = {"team": member.team.name, "post": member.post, "responsibility": member.responsibility}
    if team is not None:
        if team.incident_id != incident.pk:
            raise DomainError(gettext("只能调到本次响应的小组"), field="team")
        member.team = team
    if post is not None:
        if not post.strip():
            raise DomainError(gettext("请填写岗位"), field="post")
        member.post = post.strip()[:40]
    if responsibility is not None:
        member.responsibility = responsibility[:200]
    if place is not None:
        if place.community_id != incident.community_id:
            raise DomainError(gettext("岗位地点须在本社区内"), field="place")
        member.place = place
    member.is_manual = True
    member.full_clean()
    member.save()
    timeline_add(incident, f"调整{member.person.name}:{member.team.name}·{member.post}", actor=actor)
    audit_record(
        actor=actor,
        kind="update",
        action="team_member_update",
        obj=member.team,
        community=incident.community,
        before=before,
        after={"team": member.team.name, "post": member.post, "responsibility": member.responsibility},
    )
    return member


@transaction.atomic
def team_member_remove(*, actor: Actor, member: TeamMember) -> None:
    incident = member.team.incident
    require(actor, Right.EMERGENCY_MANAGE, incident.community)
    _require_active(incident)
    timeline_add(incident, f"{member.team.name}移除成员{member.person.name}", actor=actor)
    audit_record(
        actor=actor,
        kind="update",
        action="team_member_remove",
        obj=member.team,
        community=incident.community,
        before={"person": member.person.name, "post": member.post},
    )
    member.delete()
