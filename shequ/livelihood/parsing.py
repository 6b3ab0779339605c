"""Prices and piece counts of the living guarantee from user input (a form field, an API body): parsed, checked,
refused with the field named. No database access."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext

from shequ.core.errors import DomainError

MAX_PRICE = Decimal("100000")
MAX_COUNT = 10000


def parse_price(raw, field: str) -> Decimal:
    """A price in yuan: not negative, at most two decimals."""
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(gettext("价格必须是数字"), field=field) from None
    if not value.is_finite() or value < 0:
        raise DomainError(gettext("价格不能为负数"), field=field)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise DomainError(gettext("价格最多两位小数"), field=field)
    if value > MAX_PRICE:
        raise DomainError(gettext("价格过高"), field=field)
    return value


def parse_count(raw, field: str, *, label: str, allow_zero: bool = True) -> int:
    """A whole number of pieces from user input: refused if negative, fractional or not a number (empty is 0)."""
    text = str(raw if raw is not None else "").strip()
    if text == "":
        return 0
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise DomainError(
            gettext("%(label)s的数量必须是数字") % {"label": label}, field=field, code="not_a_number"
        ) from None
    if not value.is_finite():
        raise DomainError(
            gettext("%(label)s的数量必须是数字") % {"label": label}, field=field, code="not_a_number"
        )
    if value < 0:
        raise DomainError(
            gettext("%(label)s的数量不能为负数") % {"label": label}, field=field, code="negative"
        )
    if value != value.to_integral_value():
        raise DomainError(
            gettext("%(label)s按件购买,数量必须是整数") % {"label": label},
            field=field,
            code="fractional_countable",
        )
    if value == 0 and not allow_zero:
        raise DomainError(gettext("%(label)s的数量必须大于0") % {"label": label}, field=field, code="zero")
    if value > MAX_COUNT:
        raise DomainError(gettext("%(label)s的数量过大") % {"label": label}, field=field, code="too_large")
    return int(value)
