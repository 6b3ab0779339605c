"""What the living-guarantee services share."""

from __future__ import annotations

from shequ.core.jurisdiction import Actor
from shequ.core.numbers import public_number


def user_or_none(actor: Actor):
    """The user to store on a row (`created_by`, `placed_by` …): nobody when the system acts."""
    return actor if getattr(actor, "is_authenticated", False) else None


def new_number(prefix: str) -> str:
    """A public number (团购 TG…, 订单 DD…, 代购 YP…): prefix, date, six hex digits, e.g. DD20261207-3FA9C2
    (read out on the phone and printed on the bag labels; the columns hold 20 characters)."""
    return public_number(prefix, entropy_bytes=3)
