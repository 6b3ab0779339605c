"""The cross-cutting tests use the same personas and world as the app tests (shequ/conftest.py)."""

import logging

import pytest

from shequ.conftest import *  # noqa: F403


@pytest.fixture(autouse=True)
def quiet_request_log():
    """The walks make thousands of refused requests on purpose; Django would log each 404/403 with a traceback.
    Server errors are still logged."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security", "django.server")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
