"""Parsers for what the plan editor sends."""

from __future__ import annotations

import json

from django.utils.translation import gettext

from shequ.core.errors import DomainError


def parse_json_field(text: str, *, field: str):
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise DomainError(gettext("不是有效的 JSON:%(error)s") % {"error": exc}, field=field) from exc
