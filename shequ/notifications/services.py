"""Writes for notifications: notify() (inbox rows + outbox rows in the caller's transaction), marking read,
and sending the outbox exactly once (claim by conditional UPDATE, idempotency key handed to the channel)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from shequ.accounts.models import User
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.notifications.channels import (
    CHANNEL_REGISTRY,
    INBOX,
    ChannelError,
    OutboundMessage,
    get_backend,
)
from shequ.notifications.models import DRILL_MARK, Delivery, Notification
from shequ.notifications.policies import own_notifications_q, require_own_notification

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a runner that died; the delivery may be claimed again. The
# channel receives the same idempotency key, so the provider (and RecordingBackend) drops the repeat.
CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5


def _mark_drill(text: str, is_drill: bool) -> str:
    if is_drill and not text.startswith(DRILL_MARK):
        return DRILL_MARK + text
    return text


@dataclass(frozen=True)
class Message:
    """One message to a set of recipients, for notify_bulk()."""

    recipients: Sequence
    kind: str
    title: str
    body: str = ""
    url: str = ""
    channels: Sequence[str] = (INBOX,)
    is_drill: bool = False
    dedupe_key: str = ""


def _check(message: Message) -> None:
    if not (message.title or "").strip():
        raise DomainError(gettext("消息标题不能为空"), field="title")
    if not message.kind:
        raise DomainError(gettext("请指定消息类型"), field="kind")
    unknown = [c for c in message.channels if c != INBOX and c not in CHANNEL_REGISTRY]
    if unknown:
        raise DomainError(
            gettext("不支持的消息渠道:%(channels)s") % {"channels": gettext("、").join(unknown)},
            field="channels",
        )


@transaction.atomic
def notify(
    *,
    actor: Actor | AnonymousUser,
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    channels: Sequence[str] = (INBOX,),
    is_drill: bool = False,
    dedupe_key: str = "",
) -> list[Notification]:
    """Put a message in each recipient's inbox and queue one outbound Delivery per recipient × channel.

    `actor` is who sends it (a user, SYSTEM for jobs, the anonymous visitor whose request caused it); it is only
    the sender shown, not a permission.
    Runs in the caller's transaction: if the change that causes the message rolls back, so does the message.
    Sending starts after commit (django-tasks); `notifications_drain` picks up anything a crash left behind.
    With a `dedupe_key`, a recipient who already has that key gets nothing new."""
    message = Message(
        recipients=list(recipients),
        kind=kind,
        title=title,
        body=body,
        url=url,
        channels=tuple(channels),
        is_drill=is_drill,
        dedupe_key=dedupe_key,
    )
    return notify_bulk(actor=actor, messages=[message])


@transaction.atomic
def notify_bulk(*, actor: Actor | AnonymousUser, messages: Iterable[Message]) -> list[Notification]:
    """Many messages in one go (e.g. one per community from a periodic scan): one dedupe query, one INSERT of
    notifications, one of deliveries, one audit row, one enqueue — whatever the number of messages."""
    messages = list(messages)
    for message in messages:
        _check(message)
    keys = {m.dedupe_key for m in messages if m.dedupe_key}
    everyone = {u.pk for m in messages for u in m.recipients if u is not None}
    already: set[tuple[int, str]] = set()
    if keys and everyone:
        already = set(
            Notification.objects.filter(recipient_id__in=everyone, dedupe_key__in=keys).values_list(
                "recipient_id", "dedupe_key"
            )
        )
    sender = actor if isinstance(actor, User) and actor.is_authenticated else None  # SYSTEM sends as nobody
    rows: list[tuple[Notification, list[str]]] = []
    for m in messages:
        outbound = [c for c in dict.fromkeys(m.channels) if c != INBOX]
        title = _mark_drill(m.title.strip(), m.is_drill)[:200]
        people = {u.pk: u for u in m.recipients if u is not None and getattr(u, "is_active", True)}
        for pk, user in people.items():
            if m.dedupe_key:
                if (pk, m.dedupe_key) in already:
                    continue
                already.add((pk, m.dedupe_key))
            rows.append(
                (
                    Notification(
                        recipient=user,
                        actor=sender,
                        kind=m.kind[:40],
                        title=title,
                        body=m.body,
                        url=m.url[:300],
                        is_drill=m.is_drill,
                        dedupe_key=m.dedupe_key[:120],
                    ),
                    outbound,
                )
            )
    if not rows:
        return []
    created = Notification.objects.bulk_create([n for n, _ in rows])
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(notification=n, channel=channel, idempotency_key=f"n{n.pk}-{channel}")
            for n, (_, outbound) in zip(created, rows, strict=True)
            for channel in outbound
        ]
    )
    kinds = sorted({m.kind for m in messages})
    audit_record(
        actor=actor,
        kind="create",
        action="notify",
        object_type="notifications.notification",
        object_label=f"{'、'.join(kinds)}: {messages[0].title}"[:200],
        after={
            "recipients": len(created),
            "messages": len(messages),
            "channels": sorted({c for m in messages for c in m.channels}),
        },
    )
    if deliveries:
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _enqueue_deliveries(ids))
    return created


def _enqueue_deliveries(ids: list[int]) -> None:
    from shequ.notifications.tasks import deliver_notifications

    try:
        deliver_notifications.enqueue(delivery_ids=ids)
    except Exception:  # the outbox rows are committed; the periodic drain will send them
        logger.exception("could not enqueue %d deliveries; the drain will pick them up", len(ids))


def _message_text(notification: Notification) -> str:
    text = notification.title
    if notification.body:
        text += "\n" + notification.body
    return _mark_drill(text, notification.is_drill)[:500]


def delivery_send(*, delivery_id: int, backend=None, now=None) -> bool:
    """Claim one delivery and send it. Returns True if this call sent it.

    Not atomic on purpose: the claim must commit before the send, so another runner sees it."""
    now = now or timezone.now()
    claimable = Q(status=Delivery.Status.PENDING) | Q(
        status=Delivery.Status.SENDING, claimed_at__lt=now - CLAIM_LEASE
    )
    claimed = (
        Delivery.objects.filter(claimable, pk=delivery_id)
        .filter(attempts__lt=MAX_ATTEMPTS)
        .update(status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    delivery = Delivery.objects.select_related("notification__recipient__person").get(pk=delivery_id)
    notification = delivery.notification
    message = OutboundMessage(
        channel=delivery.channel,
        idempotency_key=delivery.idempotency_key,
        recipient=notification.recipient,
        text=_message_text(notification),
        is_drill=notification.is_drill,
    )
    mine = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING, claimed_at=now)
    try:
        reference = (backend or get_backend()).send(message)
    except ChannelError as exc:
        final = exc.permanent or delivery.attempts >= MAX_ATTEMPTS
        mine.update(
            status=Delivery.Status.FAILED if final else Delivery.Status.PENDING, last_error=str(exc)[:200]
        )
        return False
    mine.update(status=Delivery.Status.SENT, sent_at=timezone.now(), provider_ref=reference or "")
    return True


def deliveries_drain(*, limit: int = 1000, backend=None, now=None) -> int:
    """Send what is pending, and what a dead runner claimed and never finished. Returns how many were sent."""
    now = now or timezone.now()
    ids = list(
        Delivery.objects.filter(
            Q(status=Delivery.Status.PENDING)
            | Q(status=Delivery.Status.SENDING, claimed_at__lt=now - CLAIM_LEASE),
            attempts__lt=MAX_ATTEMPTS,
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    backend = backend or get_backend()
    return sum(1 for pk in ids if delivery_send(delivery_id=pk, backend=backend, now=now))


def notification_mark_read(*, actor: Actor, notification: Notification) -> Notification:
    """Reading one's own message is not audited: it is no change to anyone's data."""
    require_own_notification(actor, notification)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, actor: Actor) -> int:
    if actor is None:
        raise TypeError("notifications_mark_all_read(): actor is None; pass the acting user")
    return Notification.objects.filter(own_notifications_q(actor), read_at__isnull=True).update(
        read_at=timezone.now()
    )
