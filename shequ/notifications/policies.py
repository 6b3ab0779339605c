"""Who may see and handle a message: only its recipient. One rule, as a queryset filter and a predicate."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext

from shequ.core.jurisdiction import NOTHING, Actor


def own_notifications_q(actor) -> Q:
    """The actor's own messages (nothing for the anonymous and for SYSTEM, which has no inbox)."""
    if not getattr(actor, "is_authenticated", False):
        return NOTHING
    return Q(recipient_id=actor.pk)


def is_own_notification(actor, notification) -> bool:
    return getattr(actor, "is_authenticated", False) and notification.recipient_id == actor.pk


def require_own_notification(actor: Actor, notification) -> None:
    if actor is None:
        raise TypeError("actor is None; pass the acting user")
    if not is_own_notification(actor, notification):
        raise PermissionDenied(gettext("只能处理自己的消息"))
