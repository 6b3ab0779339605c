"""Template helpers shared by every app."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def yesno_cn(value) -> str:
    if value is None:
        return "未知"
    return "是" if value else "否"


@register.simple_tag
def risk_badge(place) -> str:
    """三无小区 is shown as a risk point wherever a compound appears."""
    if getattr(place, "is_three_without", False):
        return format_html(
            '<span class="badge badge-risk" title="{}">三无小区</span>', "无物业管理、无保安、无封闭围合"
        )
    return ""


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs) -> str:
    """The current query string with some parameters replaced (for pagination links with filters)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    return params.urlencode()
