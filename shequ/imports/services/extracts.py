"""Extracts of chosen columns for departments (data sharing), logged."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.numbers import public_number
from shequ.imports import policies
from shequ.imports.fields import EXTRACT_COLUMNS
from shequ.imports.models import (
    Extract,
)
from shequ.imports.services._common import user_or_none
from shequ.places.models import Place

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor

logger = logging.getLogger("shequ.imports.services")


@transaction.atomic
def extract_create(
    *, actor: Actor, place: Place, columns: list[str], purpose: str, fmt: str = "xlsx"
) -> Extract:
    """Log an extract of chosen columns for a place in the actor's jurisdiction. Values are masked unless the actor
    may reveal personal data there (department liaisons may not). The rows come from selectors.extract_rows."""
    policies.require_extract(actor, place)
    columns = [c for c in columns if c in EXTRACT_COLUMNS]
    if not columns:
        raise DomainError(gettext("请至少选择一列"), field="columns", code="required")
    purpose = (purpose or "").strip()
    if len(purpose) < 2:
        raise DomainError(gettext("请填写用途"), field="purpose", code="required")
    from shequ.imports.selectors import extract_people

    is_masked = policies.extract_is_masked(actor, place)
    extract = Extract.objects.create(
        number=public_number("TQ", entropy_bytes=3),
        requested_by=user_or_none(actor),
        department=getattr(actor, "department", "")[:60],
        place=place,
        columns=columns,
        purpose=purpose[:200],
        row_count=extract_people(actor=actor, place=place).count(),
        is_masked=is_masked,
        fmt=fmt,
    )
    audit_record(
        actor=actor,
        kind="export",
        action="extract_create",
        obj=extract,
        community=place.community,
        street=place.street,
        reason=purpose[:300],
        after={"columns": columns, "rows": extract.row_count, "masked": is_masked},
    )
    return extract
