"""Residency: who stands in which relation to a dwelling, moves, and the person's home derived from it."""

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
from shequ.ledger.models import Person, Residency
from shequ.places.models import Dwelling


def person_refresh_home(person: Person) -> None:
    current = (
        Residency.objects.filter(person=person, lives_here=True, until__isnull=True)
        .select_related("dwelling")
        .order_by("-since", "-id")
        .first()
    )
    home = current.dwelling if current else None
    Person.objects.filter(pk=person.pk).update(home=home, home_compound=home.compound if home else None)
    person.home = home
    person.home_compound = home.compound if home else None


@transaction.atomic
def residency_create(
    *,
    actor: Actor,
    person: Person,
    dwelling: Dwelling,
    role: str,
    lives_here: bool = True,
    since: date | None = None,
    until: date | None = None,
    source: str = "",
    audit: bool = True,
) -> Residency:
    """Record that a person stands in `role` to a dwelling. Moving someone into a dwelling outside the actor's
    jurisdiction is refused and changes nothing."""
    if not policies.can_edit_at(actor, dwelling):
        raise DomainError(
            gettext("该房屋不在您的管辖范围内,不能登记入住"), field="dwelling", code="outside_jurisdiction"
        )
    if role not in Residency.Role.values:
        raise DomainError(gettext("请选择居住关系"), field="role")
    if since and until and until < since:
        raise DomainError(gettext("结束日期不能早于起始日期"), field="until")
    if since and since > timezone.localdate():
        raise DomainError(gettext("起始日期不能晚于今天"), field="since")
    if Residency.objects.filter(person=person, dwelling=dwelling, role=role, until__isnull=True).exists():
        raise DomainError(
            gettext("%(name)s 已以该身份登记在此房屋") % {"name": person.name}, field="role", code="duplicate"
        )
    residency = Residency(
        person=person,
        dwelling=dwelling,
        role=role,
        lives_here=lives_here,
        since=since,
        until=until,
        source=source[:60],
    )
    residency.full_clean()
    residency.save()
    if lives_here and until is None:
        person_refresh_home(person)
    if audit:
        audit_record(
            actor=actor,
            kind="create",
            action="residency_create",
            obj=residency,
            community=dwelling.community,
            after={
                "person": person.name,
                "dwelling": dwelling.address,
                "role": role,
                "lives_here": lives_here,
                "since": since,
            },
        )
    return residency


@transaction.atomic
def residency_end(*, actor: Actor, residency: Residency, until: date | None = None) -> Residency:
    require(actor, Right.LEDGER_EDIT, residency.dwelling)
    until = until or timezone.localdate()
    if residency.since and until < residency.since:
        raise DomainError(gettext("结束日期不能早于起始日期"), field="until")
    residency.until = until
    residency.save(update_fields=["until", "updated_at"])
    person_refresh_home(residency.person)
    audit_record(
        actor=actor,
        kind="update",
        action="residency_end",
        obj=residency,
        community=residency.dwelling.community,
        after={"until": until},
    )
    return residency


@transaction.atomic
def person_move(
    *,
    actor: Actor,
    person: Person,
    dwelling: Dwelling,
    role: str = Residency.Role.OCCUPANT,
    on: date | None = None,
    source: str = "",
) -> Residency:
    """Move a person: their current lived-in residencies end, a new one starts."""
    if not policies.can_edit_at(actor, dwelling):
        raise DomainError(
            gettext("该房屋不在您的管辖范围内,不能迁入"), field="dwelling", code="outside_jurisdiction"
        )
    on = on or timezone.localdate()
    for old in Residency.objects.filter(person=person, lives_here=True, until__isnull=True).select_related(
        "dwelling"
    ):
        residency_end(actor=actor, residency=old, until=max(on, old.since or on))
    return residency_create(actor=actor, person=person, dwelling=dwelling, role=role, since=on, source=source)
