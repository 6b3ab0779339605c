"""Reads of notifications: a user sees only their own."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.notifications.models import Notification
from shequ.notifications.policies import own_notifications_q


def notifications_for(actor) -> QuerySet[Notification]:
    if not getattr(actor, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(own_notifications_q(actor)).select_related("actor")


def unread_count(actor) -> int:
    if not getattr(actor, "is_authenticated", False):
        return 0
    return Notification.objects.filter(own_notifications_q(actor), read_at__isnull=True).count()


def banners_for(user) -> list[dict]:
    """The unread count, shown on every page (core.context_processors collects banners)."""
    count = unread_count(user)
    if not count:
        return []
    return [
        {
            "text": _("您有 %(n)d 条未读消息") % {"n": count},
            "url": reverse("notifications:inbox") + "?unread=1",
            "level": "info",
        }
    ]
