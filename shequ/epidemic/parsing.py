"""Parsers for what phones and forms send to epidemic operations: a temperature reading, a submission's UUID.

Each raises DomainError naming the field, so a page, the API and the offline queue all show the same message."""

from __future__ import annotations

import uuid as uuidlib
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext

from shequ.core.errors import DomainError

TEMPERATURE_MIN = Decimal("34.0")
TEMPERATURE_MAX = Decimal("43.0")


def parse_temperature(raw, *, field: str = "temperature", required: bool = True) -> Decimal | None:
    if raw is None or str(raw).strip() == "":
        if required:
            raise DomainError(gettext("请填写体温"), field=field, code="required")
        return None
    try:
        value = Decimal(str(raw).strip())
        if not value.is_finite():
            raise ValueError
        value = value.quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise DomainError(gettext("体温“%(value)s”不是数字") % {"value": raw}, field=field) from None
    if not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX:
        raise DomainError(
            gettext("体温%(value)s℃不在合理范围(34.0–43.0℃)内,请核对") % {"value": value}, field=field
        )
    return value


def parse_uuid(raw, *, field: str = "client_uuid") -> uuidlib.UUID:
    try:
        return raw if isinstance(raw, uuidlib.UUID) else uuidlib.UUID(str(raw))
    except (ValueError, TypeError, AttributeError):
        raise DomainError(gettext("提交编号(client_uuid)无效"), field=field) from None
