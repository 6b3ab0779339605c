"""Linking one import row to a person: provenance (what each source said), the ledger brought up to date,
and the row's own link status."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core import pii
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import require
from shequ.core.pii import unseal
from shequ.core.rights import Right
from shequ.imports.fields import person_value_key, value_key
from shequ.imports.models import (
    OBSERVED_FIELDS,
    DataSource,
    FieldDecision,
    FieldObservation,
    ImportRow,
)
from shequ.ledger import services as ledger
from shequ.ledger.models import GroupTag, Household, HouseholdMember, Person, Residency
from shequ.places.models import Dwelling, Level, Place

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor

logger = logging.getLogger("shequ.imports.services")


def _default_role(source: DataSource) -> str:
    return {
        DataSource.Kind.PROPERTY: Residency.Role.OWNER,
        DataSource.Kind.POLICE: Residency.Role.REGISTERED,
    }.get(source.kind, Residency.Role.OCCUPANT)


def _lives_here(source: DataSource, role: str) -> bool:
    if source.kind in DataSource.OBSERVES_LIVING:
        return True
    return role in (Residency.Role.TENANT, Residency.Role.OCCUPANT)


def _mask_address(label: str) -> str:
    import re

    return re.sub(r"\d+[A-Z]?$", "***", label)


def _observations_for_row(row: ImportRow, secrets_: dict) -> list[tuple[str, str, str, str, str]]:
    """(field, plain value, encrypted value, masked value, key) for each field the row states."""
    clean = row.clean
    out = []
    for field in OBSERVED_FIELDS:
        if field == "id_number":
            if secrets_.get("id"):
                out.append(
                    ("id_number", "", pii.encrypt(secrets_["id"]), clean["id_masked"], clean["id_hash"])
                )
        elif field == "phone":
            if secrets_.get("phone"):
                out.append(
                    ("phone", "", pii.encrypt(secrets_["phone"]), clean["phone_masked"], clean["phone_hash"])
                )
        elif field == "address":
            if clean.get("address"):
                label = clean["address"]
                out.append(("address", label, "", _mask_address(label), value_key("address", label)))
        elif clean.get(field):
            value = str(clean[field])
            shown = {"M": "男", "F": "女"}.get(value, value) if field == "sex" else value
            out.append((field, value, "", shown, value_key(field, value)))
    return out


APPLIED_FIELDS = ("name", "sex", "birth_date", "ethnicity", "phone", "hukou_region")


def _apply_current_values(*, actor: Actor, person: Person, fields: Iterable[str]) -> Person:
    """Bring the person's fields to the winning observation (highest trust, then latest), except fields a worker
    settled. A value the ledger refuses (e.g. a birth date against the ID number) stays a listed conflict."""
    settled = set(
        FieldDecision.objects.filter(person=person, field__in=list(fields)).values_list("field", flat=True)
    )
    changes: dict = {}
    for field in fields:
        if field not in APPLIED_FIELDS or field in settled:
            continue
        winner = (
            FieldObservation.objects.filter(person=person, field=field)
            .select_related("source")
            .order_by("-source__trust_rank", "-observed_on", "-id")
            .first()
        )
        if winner is None or winner.value_key == person_value_key(person, field):
            continue
        changes[field] = observation_value(winner)
    if not changes:
        return person
    try:
        with transaction.atomic():
            return ledger.person_update(actor=actor, person=person, **changes)
    except (DomainError, PermissionDenied):
        # refused by the ledger, or the person is kept by another community: the sources' word stays on record
        return person


def observation_value(observation: FieldObservation):
    if observation.field in ("id_number", "phone"):
        return pii.decrypt(observation.value_encrypted)
    if observation.field == "birth_date":
        return date.fromisoformat(observation.value)
    return observation.value


def _link_household(
    *, actor: Actor, row: ImportRow, person: Person, dwelling: Dwelling, observed_on: date
) -> None:
    clean = row.clean
    relation = clean.get("relation_to_head")
    membership = (
        HouseholdMember.objects.filter(person=person, left_on__isnull=True, household__dwelling=dwelling)
        .select_related("household__dwelling")
        .first()
    )
    household = membership.household if membership else None
    if household is None and (relation or clean.get("household_key")):
        household = (
            Household.objects.filter(dwelling=dwelling, is_active=True)
            .select_related("dwelling")
            .order_by("pk")
            .first()
        )
        if household is None:
            household = ledger.household_create(actor=actor, dwelling=dwelling)
        relation = relation or "relative"
        has_head = household.members.filter(relation="head", left_on__isnull=True).exists()
        if relation == "head" and has_head:
            relation = "relative"
        ledger.household_add_member(actor=actor, household=household, person=person, relation=relation)
    if household is not None:
        ledger.household_confirm(
            actor=actor, household=household, source=row.batch.source.name, on=observed_on
        )


@transaction.atomic
def import_row_attach(
    *, actor: Actor, row: ImportRow, person: Person, method: str, probability: float | None = None
) -> ImportRow:
    """The row is this person: link it, record what the source says (provenance), and bring the ledger up to date
    (current values, residency, household membership and confirmation, group tags). Idempotent per row."""
    batch = row.batch
    require(actor, Right.IMPORTS_RUN, batch.place)
    if row.status != ImportRow.Status.ACCEPTED:
        raise DomainError(gettext("只有校验通过的行可以关联人员"), field="row", code="not_accepted")
    while person.merged_into_id:
        person = person.merged_into
    if row.person_id == person.pk and row.link_status in (ImportRow.Link.LINKED, ImportRow.Link.NEW):
        return row
    source = batch.source
    observed_on = batch.observed_on or timezone.localdate()
    secrets_ = unseal(row.sealed)
    row.person = person
    row.link_status = ImportRow.Link.NEW if method == "new" else ImportRow.Link.LINKED
    row.link_method = method[:30]
    row.match_probability = probability
    row.save(update_fields=["person", "link_status", "link_method", "match_probability"])
    FieldObservation.objects.filter(row=row).delete()  # a re-link replaces this row's own word
    observations = [
        FieldObservation(
            person=person,
            field=field,
            value=value,
            value_encrypted=encrypted,
            value_masked=masked,
            value_key=key,
            source=source,
            batch=batch,
            row=row,
            observed_on=observed_on,
        )
        for field, value, encrypted, masked, key in _observations_for_row(row, secrets_)
    ]
    FieldObservation.objects.bulk_create(observations)
    person = _apply_current_values(actor=actor, person=person, fields=[o.field for o in observations])
    dwelling = Dwelling.objects.select_related("community", "compound").filter(pk=row.dwelling_id).first()
    if dwelling is not None:
        role = row.clean.get("role") or _default_role(source)
        if not Residency.objects.filter(
            person=person, dwelling=dwelling, role=role, until__isnull=True
        ).exists():
            ledger.residency_create(
                actor=actor,
                person=person,
                dwelling=dwelling,
                role=role,
                lives_here=_lives_here(source, role),
                source=source.name,
                audit=False,
            )
        _link_household(actor=actor, row=row, person=person, dwelling=dwelling, observed_on=observed_on)
    for kind in row.clean.get("tags", []):
        if not GroupTag.objects.filter(person=person, kind=kind, until__isnull=True).exists():
            ledger.tag_add(actor=actor, person=person, kind=kind, detail=f"来源:{source.name}", audit=False)
    audit_record(
        actor=actor,
        kind="update",
        action="import_row_attach",
        obj=row,
        object_label=f"{batch.number} 第{row.row_number}行",
        community=batch.place.community,
        street=batch.place.street,
        after={"person": person.name, "method": method, "probability": probability},
    )
    return row


@transaction.atomic
def import_row_create_person(*, actor: Actor, row: ImportRow) -> Person:
    """A new person from the row's values, in the batch's community (or the dwelling's, for a street batch)."""
    batch = row.batch
    require(actor, Right.IMPORTS_RUN, batch.place)
    if row.status != ImportRow.Status.ACCEPTED:
        raise DomainError(gettext("只有校验通过的行可以新建人员"), field="row", code="not_accepted")
    clean = row.clean
    community = batch.place if batch.place.level == Level.COMMUNITY else None
    if community is None and row.dwelling_id:
        community = Place.objects.get(
            pk=Dwelling.objects.filter(pk=row.dwelling_id).values("community_id")[:1]
        )
    if community is None:
        raise DomainError(
            gettext("街道级导入的行没有地址,无法确定登记社区"), field="address", code="no_community"
        )
    secrets_ = unseal(row.sealed)
    fields = {}
    for key in ("ethnicity", "hukou_region"):
        if clean.get(key):
            fields[key] = clean[key]
    person = ledger.person_create(
        actor=actor,
        community=community,
        name=clean.get("name", ""),
        sex=clean.get("sex", ""),
        birth_date=date.fromisoformat(clean["birth_date"]) if clean.get("birth_date") else None,
        id_number=secrets_.get("id", ""),
        phone=secrets_.get("phone", ""),
        phone_is_landline=bool(clean.get("phone_is_landline")),
        **fields,
    )
    import_row_attach(actor=actor, row=row, person=person, method="new", probability=None)
    return person


@transaction.atomic
def import_row_skip(*, actor: Actor, row: ImportRow) -> ImportRow:
    require(actor, Right.IMPORTS_RUN, row.batch.place)
    row.link_status = ImportRow.Link.SKIPPED
    row.save(update_fields=["link_status"])
    audit_record(
        actor=actor,
        kind="update",
        action="import_row_skip",
        obj=row,
        object_label=f"{row.batch.number} 第{row.row_number}行",
        community=row.batch.place.community,
    )
    return row
