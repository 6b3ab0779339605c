"""Hooks the domain apps declare on their AppConfig and core collects (core imports no domain app):

- `nav`: navigation entries (core.nav);
- `home_panels`: dotted paths of functions `(user) -> dict` whose result joins the home page's context;
- any other list of dotted paths to functions a lower app asks for (`functions(name)`), e.g. places'
  `dwelling_panels` and `resident_counters`, which ledger provides;
- `audit_objects`: `{object_type: (url name, label)}` — audited objects the audit log can link to and filter by
  (its type filter lists them from the highest app in settings.SHEQU_APPS down);
- `audit_value_labels`: dotted paths of TextChoices whose labels the audit log shows instead of stored values
  (a later one wins where two share a value).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.utils.module_loading import import_string


def app_configs() -> Iterator[AppConfig]:
    """The domain apps' configs, in settings.SHEQU_APPS order."""
    for app in settings.SHEQU_APPS:
        yield apps.get_app_config(app)


@cache
def functions(name: str) -> list[Callable[..., Any]]:
    """The functions every app lists under AppConfig.<name> (dotted paths), in settings.SHEQU_APPS order."""
    return [import_string(path) for config in app_configs() for path in getattr(config, name, [])]


def home_panels() -> list[Callable[[Any], dict]]:
    return functions("home_panels")


@cache
def audit_objects() -> dict[str, tuple[str, Any]]:
    objects: dict[str, tuple[str, Any]] = {}
    for config in reversed(list(app_configs())):
        objects.update(getattr(config, "audit_objects", {}))
    return objects


@cache
def audit_value_labels() -> dict[str, Any]:
    labels: dict[str, Any] = {}
    for config in app_configs():
        for path in getattr(config, "audit_value_labels", []):
            labels.update({str(v): lbl for v, lbl in _resolve(path).choices})
    return labels


def _resolve(path: str) -> Any:
    """An object by dotted path, nested attributes allowed ("shequ.ledger.models.Residency.Role")."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = import_string(".".join(parts[: cut + 1]))
        except ImportError:
            continue
        for name in parts[cut + 1 :]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)
