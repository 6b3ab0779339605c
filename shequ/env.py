"""Small typed readers for settings taken from the environment (healthchecks style)."""

import os

# The development defaults of the three secrets. settings.py falls back to them; core.checks refuses to start
# with any of them when DEBUG is off.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
DEV_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktMzItYnl0ZXMtbG9uZyE="
DEV_HASH_KEY = "dev-only-hash-key"


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_default(name: str, value: str) -> None:
    """Set a variable unless the environment already has it (for a settings module that derives from another)."""
    os.environ.setdefault(name, value)
