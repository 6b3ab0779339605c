"""The request a signed-in page sees, for typing views: `request.user` is a User (login_required ran) and
`request.htmx` is set (django_htmx's middleware). Annotate `request: AuthedRequest` in views behind login."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from shequ.accounts.models import User


class AuthedRequest(HttpRequest):
    user: User  # type: ignore[assignment]  # narrowed from User | AnonymousUser by login_required
    htmx: HtmxDetails
