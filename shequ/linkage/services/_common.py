"""Shared by the linkage services: the model's thresholds, who a row records as its author, and the new-person
path for an import row (used by batch linking and by review)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from shequ.core.errors import DomainError
from shequ.imports import services as imports
from shequ.ledger.models import Person

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor

# Defaults from the engine (docs/linkage.md).
AUTO_LINK_THRESHOLD = 0.95
REVIEW_THRESHOLD = 0.2
MAX_CANDIDATES_PER_ROW = 3
TOO_FEW_RECORDS = "记录太少,无法估计比对模型:已按证件号码、姓名与出生日期精确比对"


def user_or_none(actor: Actor):
    """The user to record as author (started_by, decided_by …): None for the system."""
    return actor if getattr(actor, "is_authenticated", False) else None


def create_person_for_row(*, actor: Actor, row) -> Person:
    """A new person from the row; if the ledger already holds the ID number (found outside the compared scope, or
    created from an earlier row of the same batch), the row is that person."""
    try:
        with transaction.atomic():
            return imports.import_row_create_person(actor=actor, row=row)
    except DomainError as exc:
        existing = (exc.extra or {}).get("existing_person")
        if exc.code == "duplicate_id_number" and existing is not None:
            imports.import_row_attach(
                actor=actor, row=row, person=existing, method="id_exact", probability=1.0
            )
            return existing
        raise
