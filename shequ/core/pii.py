"""Personal data at rest, all its cryptography in one module: field encryption (Fernet, rotatable), the sealed
documents of import rows (AES-256-GCM under HKDF-derived keys), keyed look-up hashes (HMAC-SHA256), masking, and
the log filter that keeps ID numbers and phones out of application logs. See docs/adr/0004-personal-data.md."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import logging
import os
import re
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
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


class KeyedHasher:
    """`keyed_hash` with the key absorbed once: each value hashes on a copy of a keyed HMAC-SHA256 state, which
    skips the key schedule per call (~1.0 µs a hash against ~1.3 µs for `hmac.new`); it matters at three hashes
    a row on the import hot path. The same results as `keyed_hash` (`core/tests/test_pii.py`)."""

    __slots__ = ("_keyed",)

    def __init__(self, key: bytes) -> None:
        self._keyed = hmac.new(key, digestmod="sha256")

    def __call__(self, kind: str, value: str) -> str:
        if not value:
            return ""
        state = self._keyed.copy()
        state.update(f"{kind}:{value}".encode())
        return state.hexdigest()


@lru_cache(maxsize=1)
def keyed_hasher() -> KeyedHasher:
    """The KeyedHasher for SHEQU_HASH_KEY (cached per process: see `keys_changed`)."""
    return KeyedHasher(settings.SHEQU_HASH_KEY.encode())


# Sealed documents ------------------------------------------------------------------------------------------------
# An import row keeps its original cells and plain ID number and phone in one sealed JSON document. Sealing runs
# once a row on a million-row file, so it is AES-256-GCM (~1 µs) rather than Fernet (~10 µs); the keys come from
# the same SHEQU_DATA_KEYS list, so there is still one key list to rotate.

SEAL_PREFIX = "s1."


@lru_cache(maxsize=1)
def _seal_keys() -> tuple[tuple[bytes, AESGCM], ...]:
    """(key id, AESGCM) per SHEQU_DATA_KEYS entry, the first one seals: AES-256 keys derived with HKDF from the
    Fernet keys, so rotating SHEQU_DATA_KEYS rotates these too. The HKDF info string predates this module and
    must not change (it names where sealing began); see docs/adr/0004-personal-data.md."""
    keys = []
    for key in settings.SHEQU_DATA_KEYS:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"shequ.imports.seal.v1").derive(
            base64.urlsafe_b64decode(key)
        )
        keys.append((hmac.digest(derived, b"key-id", "sha256")[:4], AESGCM(derived)))
    return tuple(keys)


class _Nonces:
    """96-bit AES-GCM nonces: 8 random bytes drawn per process (again after a fork) + a 32-bit counter, so no
    nonce repeats within a process and two processes collide only if their random prefixes do (2^-64)."""

    def __init__(self) -> None:
        self._pid = -1
        self._prefix = b""
        self._counter = itertools.count()

    def next(self) -> bytes:
        n = next(self._counter)
        if self._pid != os.getpid() or n >= 1 << 32:
            self._pid, self._prefix, self._counter = os.getpid(), os.urandom(8), itertools.count(1)
            n = 0
        return self._prefix + n.to_bytes(4, "big")


_NONCES = _Nonces()


def seal(text: str) -> str:
    """The text (a JSON document) sealed with AES-256-GCM under the first data key:
    "s1." + base64url(key id 4 B + nonce 12 B + ciphertext + tag). Callers may build the JSON text themselves
    (the import fast path assembles it column by column); `unseal` parses it."""
    key_id, aead = _seal_keys()[0]
    nonce = _NONCES.next()
    return (
        SEAL_PREFIX
        + base64.urlsafe_b64encode(key_id + nonce + aead.encrypt(nonce, text.encode(), None)).decode()
    )


def _open_sealed(token: str) -> str:
    if not token.startswith(SEAL_PREFIX):
        return decrypt(token)  # documents sealed before 2026-12 are Fernet tokens
    try:
        blob = base64.urlsafe_b64decode(token[len(SEAL_PREFIX) :])
    except ValueError:
        return ""
    key_id, nonce, body = blob[:4], blob[4:16], blob[16:]
    for known_id, aead in _seal_keys():
        if known_id == key_id:
            try:
                return aead.decrypt(nonce, body, None).decode()
            except InvalidTag:
                return ""
    return ""  # sealed under a key that was rotated out


def keys_changed() -> None:
    """Forget the keys derived from SHEQU_DATA_KEYS and SHEQU_HASH_KEY (a test that overrides them calls this)."""
    _fernet.cache_clear()
    _seal_keys.cache_clear()
    keyed_hasher.cache_clear()


def unseal(token: str) -> dict[str, Any]:
    """The JSON document a token seals; {} for an empty token, a tampered one, or one sealed under a key that was
    rotated out (never crash a page over it)."""
    text = _open_sealed(token) if token else ""
    return json.loads(text) if text else {}


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
