"""Settling a conflict between sources about one field of a person."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.imports import policies
from shequ.imports.models import (
    FieldDecision,
    FieldObservation,
)
from shequ.imports.services._common import user_or_none
from shequ.imports.services.rows import observation_value
from shequ.ledger import services as ledger
from shequ.ledger.models import Person

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor

logger = logging.getLogger("shequ.imports.services")


@transaction.atomic
def conflict_settle(
    *, actor: Actor, person: Person, field: str, observation: FieldObservation, note: str = ""
) -> FieldDecision:
    """A worker picks which source is right about a field: the person takes that value (through the ledger's
    person_update) and the decision is kept, so later imports do not overwrite it."""
    policies.require_settle_conflict(actor, person)
    if observation.person_id != person.pk or observation.field != field:
        raise DomainError(gettext("所选的值不属于该人员的这一项"), field="observation")
    if field == "address":
        raise DomainError(gettext("住址请通过“迁入/变更住址”办理"), field="field")
    value = observation_value(observation)
    try:
        ledger.person_update(actor=actor, person=person, **{field: value})
    except DomainError as exc:
        raise DomainError(exc.messages[0], field="observation", code=exc.code) from exc
    decision = FieldDecision.objects.create(
        person=person,
        field=field,
        chosen=observation,
        value_masked=observation.value_masked,
        value_key=observation.value_key,
        note=(note or "").strip()[:200],
        decided_by=user_or_none(actor),
    )
    audit_record(
        actor=actor,
        kind="update",
        action="conflict_settle",
        obj=person,
        field=field,
        after={"value": observation.value_masked, "source": observation.source.name, "note": decision.note},
    )
    return decision
