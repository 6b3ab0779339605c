"""Households: create, members, confirmation."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, require
from shequ.core.rights import Right
from shequ.ledger import policies
from shequ.ledger.models import Household, HouseholdMember, Person, Relation
from shequ.places.models import Dwelling


@transaction.atomic
def household_create(
    *,
    actor: Actor,
    dwelling: Dwelling,
    head: Person | None = None,
    kind: str = Household.Kind.FAMILY,
    audit: bool = True,
) -> Household:
    require(actor, Right.LEDGER_EDIT, dwelling)
    household = Household(dwelling=dwelling, kind=kind, head=head)
    household.full_clean()
    household.save()
    if head is not None:
        HouseholdMember.objects.create(household=household, person=head, relation=Relation.HEAD)
    if audit:
        audit_record(
            actor=actor,
            kind="create",
            action="household_create",
            obj=household,
            community=dwelling.community,
            after={"dwelling": dwelling.address, "head": str(head or "")},
        )
    return household


@transaction.atomic
def household_add_member(
    *, actor: Actor, household: Household, person: Person, relation: str, joined_on: date | None = None
) -> HouseholdMember:
    require(actor, Right.LEDGER_EDIT, household.dwelling)
    policies.require_person_visible(actor, person)
    if relation not in Relation.values:
        raise DomainError(gettext("请选择与户主关系"), field="relation")
    if household.members.filter(person=person, left_on__isnull=True).exists():
        raise DomainError(gettext("%(name)s 已是本户成员") % {"name": person.name}, field="person")
    if (
        relation == Relation.HEAD
        and household.members.filter(relation=Relation.HEAD, left_on__isnull=True).exists()
    ):
        raise DomainError(gettext("本户已有户主;请先变更户主"), field="relation")
    member = HouseholdMember(household=household, person=person, relation=relation, joined_on=joined_on)
    member.full_clean()
    member.save()
    if relation == Relation.HEAD:
        Household.objects.filter(pk=household.pk).update(head=person)
    audit_record(
        actor=actor,
        kind="update",
        action="household_add_member",
        obj=household,
        community=household.dwelling.community,
        after={"member": person.name, "relation": relation},
    )
    return member


@transaction.atomic
def household_remove_member(
    *, actor: Actor, member: HouseholdMember, left_on: date | None = None
) -> HouseholdMember:
    require(actor, Right.LEDGER_EDIT, member.household.dwelling)
    member.left_on = left_on or timezone.localdate()
    member.save(update_fields=["left_on", "updated_at"])
    if member.household.head_id == member.person_id:
        Household.objects.filter(pk=member.household_id).update(head=None)
    audit_record(
        actor=actor,
        kind="update",
        action="household_remove_member",
        obj=member.household,
        community=member.household.dwelling.community,
        before={"member": member.person.name},
        after={"left_on": member.left_on},
    )
    return member


@transaction.atomic
def household_confirm(
    *, actor: Actor, household: Household, source: str, on: date | None = None
) -> Household:
    """Record that the household's facts were confirmed (by a visit, a source import …) on a date."""
    require(actor, Right.LEDGER_EDIT, household.dwelling)
    before = {"last_confirmed_on": household.last_confirmed_on, "source": household.last_confirmed_source}
    household.last_confirmed_on = on or timezone.localdate()
    household.last_confirmed_source = source[:60]
    household.save(update_fields=["last_confirmed_on", "last_confirmed_source", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="household_confirm",
        obj=household,
        community=household.dwelling.community,
        before=before,
        after={"last_confirmed_on": household.last_confirmed_on, "source": source},
    )
    return household
