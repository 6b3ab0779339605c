"""Model instances for hot paths, made without Model.__init__.

Model.__init__ runs per field a descriptor check, a default look-up and a setattr, and sends pre_init/post_init; a
check-in request makes a handful of instances and paid ~15 % of its CPU time for them (bench/emergency). The two
functions below make the same instances by writing the instance's __dict__ directly: `loaded` is Model.from_db for
the columns of a raw row (the others stay deferred and load on first use, as with .only()), `unsaved` is
Model(**fields) for concrete fields given by attname (the others take their defaults).

Both fall back to the ordinary constructor whenever a pre_init or post_init receiver is connected for the model, so
nothing that listens to those signals can be bypassed. Not only the hot path uses them: core.audit.audit_event makes
every audit row in the system with `unsaved`. core/tests/test_instances.py compares both with Django's own path."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=models.Model)
_DEFAULTS: dict[type, list[tuple[str, Any]]] = {}


def _signalled(model: type[models.Model]) -> bool:
    # no receivers at all (the usual case) is a cheap test; has_listeners walks the receivers
    if not (pre_init.receivers or post_init.receivers):
        return False
    return pre_init.has_listeners(model) or post_init.has_listeners(model)


def loaded(model: type[M], db: str, attnames: list[str], values) -> M:
    """What model.from_db(db, attnames, values) returns (values already converted from the database; attnames in
    the model's field order, as from_db takes them)."""
    if _signalled(model):
        return model.from_db(db, attnames, list(values))
    obj = model.__new__(model)
    obj.__dict__.update(zip(attnames, values, strict=True))
    state = obj._state = ModelState()
    state.adding = False
    state.db = db
    return obj


def _defaults(model: type[models.Model]) -> list[tuple[str, Any]]:
    cached = _DEFAULTS.get(model)
    if cached is None:
        cached = _DEFAULTS[model] = [(f.attname, f) for f in model._meta.concrete_fields]
    return cached


def unsaved(model: type[M], **fields) -> M:
    """What model(**fields) returns, for concrete fields given by attname (`person_id`, not `person`)."""
    if _signalled(model):
        return model(**fields)
    obj = model.__new__(model)
    values = obj.__dict__
    for attname, field in _defaults(model):
        values[attname] = fields.pop(attname) if attname in fields else field.get_default()
    if fields:
        raise TypeError(f"{model.__name__} got unexpected keyword arguments: {', '.join(sorted(fields))}")
    obj._state = ModelState()
    return obj
