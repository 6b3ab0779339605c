"""Incident hooks: apps that act on incidents name a hook module in their AppConfig (`incident_hooks = "..."`), and
emergency calls its functions by name: `on_incident_activated(actor, incident, buildings)`,
`on_incident_stood_down(actor, incident)` and `incident_figures(incident)` (epidemic does). Emergency never imports
those apps."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module

from django.apps import apps as django_apps


def incident_hooks(name: str) -> Iterator:
    """Each installed app's hook function of that name, in app order."""
    for config in django_apps.get_app_configs():
        module = getattr(config, "incident_hooks", None)
        if module:
            hook = getattr(import_module(module), name, None)
            if hook is not None:
                yield hook
