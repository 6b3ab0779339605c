"""Pages every user shares: the home page for the user's roles, the audit log, health check and error pages."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shequ.core import registry, selectors
from shequ.core.jurisdiction import grants, has_right
from shequ.core.models import AuditEvent
from shequ.core.nav import nav_for
from shequ.core.rights import Right

logger = logging.getLogger(__name__)

AUDIT_PER_PAGE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's home page: each app's panel (AppConfig.home_panels) for the user's scope."""
    user = request.user
    context: dict = {"has_grants": bool(grants(user))}
    for panel in registry.home_panels():
        context.update(panel(user))
    context["features"] = nav_for(user)
    return render(request, "core/home.html", context)


class _Page:
    """A page of a long list without counting it (the audit log grows without bound)."""

    def __init__(self, rows: list, number: int, has_next: bool):
        self.object_list, self.number = rows, number
        self.has_previous_page, self.has_next_page = number > 1, has_next

    def __iter__(self):
        return iter(self.object_list)


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """审计日志 — read-only, street officers (right audit.view), filtered by kind, actor, date and object."""
    user = request.user
    if not has_right(user, Right.AUDIT_VIEW):
        raise PermissionDenied
    params = request.GET
    kind = params.get("kind", "")
    actor = params.get("actor", "").strip()[:60]
    obj = params.get("object", "").strip()[:60]
    object_type = params.get("type", "")
    objects = registry.audit_objects()
    date_from, date_to = params.get("from", ""), params.get("to", "")
    qs, errors = selectors.audit_events_visible_to(
        user,
        kind=kind,
        who=actor,
        obj=obj,
        object_type=object_type if object_type in objects else "",
        date_from=date_from,
        date_to=date_to,
    )
    try:
        number = max(1, int(params.get("page", "1")))
    except ValueError:
        number = 1
    offset = (number - 1) * AUDIT_PER_PAGE
    rows = list(qs.order_by("-at", "-id")[offset : offset + AUDIT_PER_PAGE + 1])
    page = _Page(rows[:AUDIT_PER_PAGE], number, len(rows) > AUDIT_PER_PAGE)
    for event in page.object_list:
        url_name = objects[event.object_type][0] if event.object_type in objects else ""
        event.link = url_name if url_name and event.object_id.isdigit() else ""
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "kinds": AuditEvent.Kind.choices,
            "kind": kind,
            "actor": actor,
            "object": obj,
            "type": object_type,
            "types": [(object_type, label) for object_type, (_url, label) in objects.items()],
            "date_from": date_from,
            "date_to": date_to,
            "errors": errors,
        },
    )


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("未找到")}, status=404)
    return render(
        request, "core/error.html", {"code": 404, "title": _("页面不存在或不在您的管辖范围内")}, status=404
    )


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("没有权限")}, status=403)
    return render(request, "core/error.html", {"code": 403, "title": _("您没有执行此操作的权限")}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("服务器出错,请稍后再试")}, status=500)
    try:
        return render(
            request, "core/error.html", {"code": 500, "title": _("服务器出错,请稍后再试")}, status=500
        )
    except Exception:  # the page itself failed (e.g. the database is down): a plain page, never a trace
        logger.exception("error page failed to render")
        return HttpResponseServerError(
            "<!doctype html><meta charset=utf-8><title>500</title><h1>服务器出错,请稍后再试</h1>"
            '<p><a href="/">返回首页</a></p>'
        )
