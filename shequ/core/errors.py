"""Errors services raise. Views and the API turn them into messages that name the field and the problem."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A rule of the domain was broken; `field` names the input at fault (or None for the whole form).

    It is a ValidationError so forms and DRF show it like any other field error."""

    def __init__(
        self, message: str, *, field: str | None = None, code: str = "invalid", extra: dict | None = None
    ):
        self.field = field
        self.extra = extra or {}
        if field:
            super().__init__({field: [ValidationError(message, code=code)]})
        else:
            super().__init__(message, code=code)
        self.code = code


def first_message(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        for messages in error.message_dict.values():
            if messages:
                return messages[0]
    return error.messages[0] if error.messages else str(error)
