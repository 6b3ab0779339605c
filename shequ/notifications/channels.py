"""Outbound channels behind one interface: SMS, chat-group webhook (企业微信/钉钉 群机器人), and the
RecordingBackend that records instead of sending (the default, for intranets and tests).

The backend is chosen by `settings.SHEQU_NOTIFICATION_BACKEND` (a dotted path). Phones are decrypted here, at
send time, and never logged or stored in clear."""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from shequ.core import phones, pii

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "shequ.notifications.channels.RecordingBackend"
OUTBOUND_CHANNELS = ("sms", "chat")
INBOX = "inbox"


@dataclass(frozen=True)
class OutboundMessage:
    channel: str
    idempotency_key: str
    recipient: object  # accounts.User
    text: str
    is_drill: bool = False


class ChannelError(Exception):
    """A send failed. `permanent` failures (no phone on file) are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def recipient_phone(user) -> str:
    """The recipient's mobile, decrypted from the ledger person linked to the account ("" if none)."""
    person = getattr(user, "person", None)
    if person is None:
        return ""
    return pii.decrypt(getattr(person, "phone_encrypted", ""))


class Channel(Protocol):
    name: str

    def send(self, message: OutboundMessage) -> str:
        """Send once; return the provider's reference. The idempotency key goes to the provider."""


def _post_json(url: str, payload: dict, *, idempotency_key: str, timeout: float = 10.0) -> dict:
    request = urllib.request.Request(  # noqa: S310 - URL comes from settings, not from users
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": idempotency_key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read()
    except OSError as exc:  # network errors: transient, retried
        raise ChannelError(f"gateway unreachable: {type(exc).__name__}") from exc
    try:
        return json.loads(body or b"{}")
    except ValueError:
        return {}


class SmsChannel:
    """短信 — an HTTP SMS gateway taking {phone, text, idempotency_key} (settings.SHEQU_SMS_GATEWAY_URL)."""

    name = "sms"

    def __init__(self, gateway_url: str | None = None, signature: str | None = None):
        self.gateway_url = gateway_url or settings.SHEQU_SMS_GATEWAY_URL
        self.signature = signature or settings.SHEQU_SMS_SIGNATURE

    def send(self, message: OutboundMessage) -> str:
        phone = recipient_phone(message.recipient)
        if not phones.MOBILE_RE.fullmatch(phone or ""):
            raise ChannelError("no mobile on file", permanent=True)
        if not self.gateway_url:
            raise ChannelError("SMS gateway not configured", permanent=True)
        answer = _post_json(
            self.gateway_url,
            {
                "phone": phone,
                "text": f"【{self.signature}】{message.text}",
                "idempotency_key": message.idempotency_key,
            },
            idempotency_key=message.idempotency_key,
        )
        return str(answer.get("id", ""))[:120]


class ChatGroupChannel:
    """群消息 — a chat-group robot webhook (企业微信 format; 钉钉 accepts the same text shape), mentioning the
    recipient by mobile when one is on file (settings.SHEQU_CHAT_WEBHOOK_URL)."""

    name = "chat"

    def __init__(self, webhook_url: str | None = None):
        self.webhook_url = webhook_url or settings.SHEQU_CHAT_WEBHOOK_URL

    def send(self, message: OutboundMessage) -> str:
        if not self.webhook_url:
            raise ChannelError("chat webhook not configured", permanent=True)
        phone = recipient_phone(message.recipient)
        payload = {
            "msgtype": "text",
            "text": {"content": message.text, "mentioned_mobile_list": [phone] if phone else []},
        }
        answer = _post_json(self.webhook_url, payload, idempotency_key=message.idempotency_key)
        return str(answer.get("msgid", ""))[:120]


CHANNEL_REGISTRY: dict[str, type] = {"sms": SmsChannel, "chat": ChatGroupChannel}


class LiveBackend:
    """Sends through the real channel of each message."""

    def send(self, message: OutboundMessage) -> str:
        channel_class = CHANNEL_REGISTRY.get(message.channel)
        if channel_class is None:
            raise ChannelError(f"unknown channel {message.channel}", permanent=True)
        return channel_class().send(message)


class RecordingBackend:
    """Records what would be sent (RecordedMessage), once per idempotency key. The phone is kept masked."""

    def send(self, message: OutboundMessage) -> str:
        from shequ.notifications.models import RecordedMessage

        if message.channel not in CHANNEL_REGISTRY:
            raise ChannelError(f"unknown channel {message.channel}", permanent=True)
        phone = recipient_phone(message.recipient)
        record, _created = RecordedMessage.objects.get_or_create(
            idempotency_key=message.idempotency_key,
            defaults={
                "channel": message.channel,
                "recipient": message.recipient,
                "phone_masked": phones.mask(phone),
                "text": message.text,
            },
        )
        return f"rec-{record.pk}"


def get_backend():
    path = settings.SHEQU_NOTIFICATION_BACKEND or DEFAULT_BACKEND
    return import_string(path)()
