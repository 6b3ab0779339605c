"""Public reference numbers shown to people (批次号, 订单号, 核对单号): a prefix, the local date and random
hex digits. One format everywhere: PREFIX + YYYYMMDD + '-' + hex. Uniqueness is the model's unique
constraint; the entropy makes a clash on one day vanishingly unlikely (the caller may retry on IntegrityError)."""

from __future__ import annotations

import secrets

from django.utils import timezone


def public_number(prefix: str, *, entropy_bytes: int = 4) -> str:
    """E.g. public_number("DR") → "DR20261207-3FA9C21B". `entropy_bytes` hex-encoded, upper case."""
    return f"{prefix}{timezone.localdate():%Y%m%d}-{secrets.token_hex(entropy_bytes).upper()}"
