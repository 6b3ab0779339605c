"""Settings for the test suite (pytest's DJANGO_SETTINGS_MODULE): the production settings, read as a test run."""

from shequ.env import env_default

env_default("SHEQU_TESTING", "1")

from shequ.settings import *  # noqa: E402, F403
