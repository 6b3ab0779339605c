"""Who may do what in epidemic operations. Each rule lives here once; where both a list and a single object need it,
its queryset form (`*_q(actor)`) and its predicate (`can_*(actor, obj)`) sit side by side and
`tests/test_checkin_fast.py::test_fast_visibility_never_admits_what_the_querysets_refuse` holds each pair to the same
answer for every persona, incident and person.

The predicates read only the actor's grants (`core.jurisdiction.grants`) and the object's place columns, so the
check-in hot path runs them on the objects its one read loaded (`epidemic.selectors.checkin_context`) without
another statement."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.translation import gettext

from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, covers, grants_with, is_system, scope_q
from shequ.core.rights import Right, Role
from shequ.emergency.selectors import incident_scope_q
from shequ.epidemic.models import CheckIn
from shequ.places.models import Level

if TYPE_CHECKING:
    from shequ.emergency.models import Incident
    from shequ.ledger.models import Person
    from shequ.places.models import Dwelling


# Check-in eligibility -------------------------------------------------------------------------------------------
# Capture workers check in anyone whose home they cover, for the incidents of the communities they hold the capture
# right in; a resident checks in the people of their own home, for their own community's incidents.


def _resident_grants(actor):
    return [g for g in grants_with(actor, Right.SELF_SERVICE) if g.level == "dwelling"]


def checkin_incidents_q(actor: Actor) -> Q:
    """Incidents the actor may check people in for (a filter on Incident)."""
    q = incident_scope_q(actor, Right.EMERGENCY_CAPTURE)
    for g in _resident_grants(actor):
        if g.community_id:
            q |= Q(community_id=g.community_id)
    return q


def can_check_in_for_incident(actor: Actor, incident: Incident) -> bool:
    """checkin_incidents_q as a predicate on one incident."""
    if is_system(actor):
        return True
    for g in grants_with(actor, Right.EMERGENCY_CAPTURE):
        if g.level == "street":
            if incident.street_id == g.target_id:
                return True
        elif g.community_id and incident.community_id == g.community_id:
            return True
    return any(g.community_id and incident.community_id == g.community_id for g in _resident_grants(actor))


def checkin_people_q(actor: Actor) -> Q:
    """People the actor may check in (a filter on ledger.Person; merged-away people are the selector's to drop)."""
    q = scope_q(actor, Right.EMERGENCY_CAPTURE, via="home__", target="dwelling")
    for g in _resident_grants(actor):
        q |= Q(home_id=g.target_id)
    return q


def can_check_in_for_person(actor: Actor, person: Person) -> bool:
    """checkin_people_q as a predicate on one person (their home must be loaded or cached)."""
    home = person.home
    if home is None:
        return False
    if is_system(actor):
        return True
    return covers(actor, Right.EMERGENCY_CAPTURE, home) or any(
        g.target_id == home.pk for g in _resident_grants(actor)
    )


def checkin_channel(actor: Actor, home: Dwelling) -> str:
    """How a check-in the actor may make arrived: a resident for their own home, a building leader, or a worker
    (the system too). Permission is can_check_in_for_person's to decide, not this."""
    if is_system(actor):
        return CheckIn.Channel.WORKER
    if any(g.target_id == home.pk for g in _resident_grants(actor)):
        return CheckIn.Channel.SELF
    roles = {g.role for g in grants_with(actor, Right.EMERGENCY_CAPTURE)}
    return CheckIn.Channel.LEADER if roles == {Role.BUILDING_LEADER.value} else CheckIn.Channel.WORKER


# Managing and capturing -----------------------------------------------------------------------------------------


def can_manage_incident(actor: Actor, incident: Incident) -> bool:
    """Zones, monitoring, contacts and testing rounds of an incident: the manage right over its community."""
    return is_system(actor) or covers(actor, Right.EMERGENCY_MANAGE, incident.community)


def can_record_followup(actor: Actor, contact) -> bool:
    """A follow-up of a contact: capture over the contact's home, or manage over the contact's community."""
    if is_system(actor):
        return True
    home = contact.person.home
    return (home is not None and covers(actor, Right.EMERGENCY_CAPTURE, home)) or covers(
        actor, Right.EMERGENCY_MANAGE, contact.community
    )


# Plan rules -----------------------------------------------------------------------------------------------------

# An incident's scope is set once, at activation, and never changes: it can be kept for the process's life.
_SCOPES: dict[tuple, list[tuple[str, int]]] = {}


def in_scope(incident: Incident, place_like) -> bool:
    """Does a dwelling or place lie in the incident's scope?"""
    if place_like is None or place_like.community_id != incident.community_id:
        return False
    key = (incident.pk, incident.activated_at)  # the activation time guards against a reused primary key
    scope = _SCOPES.get(key)
    if scope is None:
        scope = list(incident.scope_places.values_list("level", "pk"))
        _SCOPES[key] = scope
    for level, pk in scope:
        if level == Level.COMMUNITY or getattr(place_like, f"{level}_id", None) == pk:
            return True
    return False


def fever_threshold(incident: Incident) -> Decimal:
    """The plan's fever threshold (a reading at or over it raises a follow-up task)."""
    try:
        return Decimal(str(incident.param("fever_threshold")))
    except (InvalidOperation, TypeError):
        raise DomainError(
            gettext("预案缺少参数“fever_threshold”(发热体温阈值)"), field="temperature"
        ) from None
