"""Pages every user shares: the home page for the user's roles, the audit log, health check and error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shequ.core.jurisdiction import grants


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from shequ.ledger.selectors import age_pyramid, ledger_counts, vulnerable_by_compound

    context = {"has_grants": bool(grants(request.user))}
    if context["has_grants"]:
        context.update(
            pyramid=age_pyramid(actor=request.user),
            vulnerable=vulnerable_by_compound(actor=request.user),
            counts=ledger_counts(actor=request.user),
        )
    return render(request, "core/home.html", context)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "未找到"}, status=404)
    return render(
        request, "core/error.html", {"code": 404, "title": "页面不存在或不在您的管辖范围内"}, status=404
    )


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "没有权限"}, status=403)
    return render(request, "core/error.html", {"code": 403, "title": "您没有执行此操作的权限"}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "服务器出错,请稍后再试"}, status=500)
    return render(request, "core/error.html", {"code": 500, "title": "服务器出错,请稍后再试"}, status=500)
