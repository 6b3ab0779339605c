"""What every app's forms share: a service's DomainError (a ValidationError naming its field) shown on the
form, next to the field it names or above the form when the field is not on it."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def apply_domain_error(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's error to the field it names (or to the whole form). An unbound form (the error came
    from another action on the page) has nowhere to hold it; the view's flash message says it then."""
    if not form.is_bound:
        return
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
        return
    for message in error.messages:
        form.add_error(None, message)
