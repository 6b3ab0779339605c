"""Keeps the current request's IP and user agent where the audit writer can read them."""

from __future__ import annotations

import contextvars

_request_meta: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "shequ_request_meta", default=None
)


def current_request_meta() -> dict:
    return _request_meta.get() or {}


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
        token = _request_meta.set(
            {"ip": ip or None, "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200]}
        )
        try:
            return self.get_response(request)
        finally:
            _request_meta.reset(token)
