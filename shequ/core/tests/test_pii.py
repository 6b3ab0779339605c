"""Personal-data cryptography: the fast keyed hasher agrees with `keyed_hash`, sealed documents use distinct
nonces, open after a key rotation, and answer {} (never an exception) for a retired key or a tampered token."""

from __future__ import annotations

import pytest

from shequ.core import pii


@pytest.fixture
def fresh_keys():
    pii.keys_changed()
    yield
    pii.keys_changed()


def test_keyed_hasher_matches_keyed_hash():
    hasher = pii.keyed_hasher()
    for kind, value in (
        ("id", "110105197005040011"),
        ("phone", "13800138000"),
        ("row", "1\x1ename=张伟\x1ephone=13800138000"),
        ("obs", "x" * 500),
    ):
        assert hasher(kind, value) == pii.keyed_hash(kind, value)
    assert hasher("id", "") == pii.keyed_hash("id", "") == ""


def test_keyed_hasher_follows_a_changed_key(settings, fresh_keys):
    before = pii.keyed_hasher()("id", "110105197005040011")
    settings.SHEQU_HASH_KEY = "another-key-" * 10  # longer than a SHA-256 block: hashed first, as HMAC says
    pii.keys_changed()
    after = pii.keyed_hasher()("id", "110105197005040011")
    assert after != before and after == pii.keyed_hash("id", "110105197005040011")


def test_sealed_documents_use_distinct_nonces_and_open_after_rotation(settings, fresh_keys):
    tokens = [pii.seal('{"id": "110105197005040011"}') for _ in range(50)]
    assert pii.unseal(pii.encrypt('{"raw": [], "id": "1", "phone": ""}'))["id"] == "1"  # older Fernet rows
    assert len(set(tokens)) == 50 and all(t.startswith(pii.SEAL_PREFIX) for t in tokens)
    assert "110105197005040011" not in "".join(tokens)
    old_keys = list(settings.SHEQU_DATA_KEYS)
    new_key = "bmV3LWtleS1mb3ItdGVzdHMtMzItYnl0ZXMtbG9uZyE="
    settings.SHEQU_DATA_KEYS = [new_key, *old_keys]  # rotation: a new key first, the old one still opens
    pii.keys_changed()
    assert pii.unseal(tokens[0])["id"] == "110105197005040011"
    assert not pii.seal("x").startswith(tokens[0][:8])  # sealed under the new key id
    settings.SHEQU_DATA_KEYS = [new_key]  # the old key retired: the row no longer opens, nothing crashes
    pii.keys_changed()
    assert pii.unseal(tokens[0]) == {}
    settings.SHEQU_DATA_KEYS = old_keys
    pii.keys_changed()
    tampered = tokens[1][:-6] + ("AAAAAA" if not tokens[1].endswith("AAAAAA") else "BBBBBB")
    assert pii.unseal(tampered) == {}
    assert pii.unseal("") == {} and pii.unseal("s1.!!!") == {}
