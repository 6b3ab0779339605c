"""Who may do what in the household ledger: the rules the services enforce and the views and API show."""

from __future__ import annotations

from django.utils.translation import gettext

from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, covers, has_right, is_system
from shequ.core.rights import Right
from shequ.ledger.models import Household, Person
from shequ.ledger.selectors import person_scope_q
from shequ.places.policies import can_edit_ledger_at


def can_create_person(actor: Actor) -> bool:
    return has_right(actor, Right.LEDGER_EDIT)


def can_edit_at(actor: Actor, place_like) -> bool:
    """May write ledger records at this Place or Dwelling."""
    return can_edit_ledger_at(actor, place_like)


def can_edit_person(actor: Actor, person: Person) -> bool:
    return can_edit_ledger_at(actor, person.home or person.community)


def can_edit_household(actor: Actor, household: Household) -> bool:
    return can_edit_ledger_at(actor, household.dwelling)


def can_reveal_person(actor: Actor, person: Person) -> bool:
    return covers(actor, Right.PII_REVEAL, person.home or person.community) or covers(
        actor, Right.PII_REVEAL, person.community
    )


def can_see_person(actor: Actor, person: Person) -> bool:
    if is_system(actor):
        return True
    return Person.objects.filter(pk=person.pk).filter(person_scope_q(actor, Right.LEDGER_VIEW)).exists()


def require_person_visible(actor: Actor, person: Person) -> None:
    """A person the actor cannot see may not be attached to anything (defence in depth: views and the API
    already resolve people through the scoped selector)."""
    if not can_see_person(actor, person):
        raise DomainError(gettext("该人员不在您的管辖范围内"), field="person", code="outside_jurisdiction")
