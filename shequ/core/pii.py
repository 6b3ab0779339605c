"""Personal data at rest: encryption (Fernet, rotatable), keyed look-up hashes, masking, and the log filter
that keeps ID numbers and phones out of application logs. See docs/adr/0004-personal-data-encryption.md."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.SHEQU_DATA_KEYS])


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:  # a key that was rotated out: never crash a page over it
        return ""


def keyed_hash(kind: str, value: str) -> str:
    """HMAC-SHA256 of a canonical value, namespaced by kind so an ID hash never equals a phone hash."""
    if not value:
        return ""
    key = settings.SHEQU_HASH_KEY.encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


_ID_RE = re.compile(
    r"(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dA-Za-z])|(?<!\d)(\d{6})(\d{6})(\d{3})(?!\d)"
)
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def scrub(text: str) -> str:
    """Mask anything that looks like an ID number or a mobile number in free text."""
    text = _ID_RE.sub(lambda m: (m.group(1) or m.group(4))[:3] + "***********", text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


class PiiLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        scrubbed = scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True
