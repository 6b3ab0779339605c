"""The start-up check refuses the development secrets when DEBUG is off."""

from __future__ import annotations

from django.core.checks import run_checks
from django.test import override_settings

from shequ.core.checks import development_keys_check
from shequ.env import DEV_DATA_KEY, DEV_HASH_KEY, DEV_SECRET_KEY

REAL = {
    "SECRET_KEY": "a-real-secret-key-of-enough-length-0123456789",
    "SHEQU_DATA_KEYS": ["cmVhbC1kYXRhLWtleS0zMi1ieXRlcy1sb25nLi4uLi4="],
    "SHEQU_HASH_KEY": "a-real-hash-key",
}


def _ids(**overrides) -> list[str]:
    with override_settings(**{**REAL, **overrides}):
        return [str(e.id) for e in development_keys_check()]


def test_real_keys_pass_with_debug_off():
    assert _ids(DEBUG=False, TESTING=False) == []


def test_each_default_key_is_an_error_with_debug_off():
    assert _ids(DEBUG=False, TESTING=False, SECRET_KEY=DEV_SECRET_KEY) == ["shequ.E001"]
    assert _ids(DEBUG=False, TESTING=False, SHEQU_DATA_KEYS=["x", DEV_DATA_KEY]) == ["shequ.E002"]
    assert _ids(DEBUG=False, TESTING=False, SHEQU_HASH_KEY=DEV_HASH_KEY) == ["shequ.E003"]
    every = {"SECRET_KEY": DEV_SECRET_KEY, "SHEQU_DATA_KEYS": [DEV_DATA_KEY], "SHEQU_HASH_KEY": DEV_HASH_KEY}
    assert _ids(DEBUG=False, TESTING=False, **every) == ["shequ.E001", "shequ.E002", "shequ.E003"]


def test_debug_and_test_runs_may_use_the_development_keys():
    every = {"SECRET_KEY": DEV_SECRET_KEY, "SHEQU_DATA_KEYS": [DEV_DATA_KEY], "SHEQU_HASH_KEY": DEV_HASH_KEY}
    assert _ids(DEBUG=True, TESTING=False, **every) == []
    assert _ids(DEBUG=False, TESTING=True, **every) == []


def test_the_check_is_registered():
    with override_settings(DEBUG=False, TESTING=False, SECRET_KEY=DEV_SECRET_KEY):
        assert "shequ.E001" in [e.id for e in run_checks()]
