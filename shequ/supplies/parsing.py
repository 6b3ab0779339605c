"""Quantities of supplies from user input (a form field, an API body): parsed and checked against the item, with
the field named when refused. No database access."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext

from shequ.core.errors import DomainError
from shequ.supplies.models import Item

MAX_QUANTITY = Decimal("1000000000")


def decimal_places(value: Decimal) -> int:
    """Digits after the point of a finite number as written (1.50 has two)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def parse_quantity(item: Item, raw, *, field: str = "quantity", allow_zero: bool = False) -> Decimal:
    """A quantity of `item` from user input: a number, positive, whole for countable items (口罩 are counted in
    pieces), at most three decimals for measured ones (消毒液 in litres)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise DomainError(gettext("请填写数量"), field=field, code="required")
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(gettext("数量必须是数字"), field=field, code="not_a_number") from None
    if not value.is_finite():
        raise DomainError(gettext("数量必须是数字"), field=field, code="not_a_number")
    if value < 0:
        raise DomainError(gettext("数量不能为负数"), field=field, code="negative")
    if value == 0 and not allow_zero:
        raise DomainError(gettext("数量必须大于0"), field=field, code="zero")
    if item.is_countable and value != value.to_integral_value():
        raise DomainError(
            gettext("%(item)s按%(unit)s计数,数量必须是整数") % {"item": item.name, "unit": item.unit},
            field=field,
            code="fractional_countable",
        )
    if decimal_places(value) > 3:
        raise DomainError(gettext("数量最多保留三位小数"), field=field, code="too_precise")
    if value > MAX_QUANTITY:
        raise DomainError(gettext("数量过大"), field=field, code="too_large")
    return value


def parse_norm(raw, *, field: str = "daily_norm_per_person", max_places: int | None = None) -> Decimal:
    """A consumption norm (per person per day): a number, not negative, with at most `max_places` decimals."""
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(gettext("人均日消耗必须是数字"), field=field) from None
    if not value.is_finite() or value < 0:
        raise DomainError(gettext("人均日消耗不能为负数"), field=field)
    if max_places is not None and decimal_places(value) > max_places:
        raise DomainError(gettext("人均日消耗最多保留四位小数"), field=field)
    return value


def format_quantity(value: Decimal) -> str:
    """A quantity as people write it: no trailing zeros, never an exponent (100, 0.5, 12.25)."""
    return f"{Decimal(value).normalize():f}"
