"""System check: every foreign key and one-to-one to ledger.Person or ledger.Household is registered in
ledger.person_relations, so a merge cannot leave a reference behind on the merged-away person."""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps as django_apps
from django.core import checks
from django.db import models

# Apps whose models are not part of the production schema (the benchmark-only app).
IGNORED_APPS = frozenset({"bench", "benchmarks"})


def unregistered_person_references(
    model_list: Iterable[type[models.Model]],
) -> list[tuple[type[models.Model], str]]:
    from shequ.ledger import person_relations
    from shequ.ledger.models import Household, Person

    missing: list[tuple[type[models.Model], str]] = []
    for model in model_list:
        if model._meta.app_label in IGNORED_APPS or model._meta.proxy:
            continue
        for field in model._meta.local_fields:
            if not (field.is_relation and (field.many_to_one or field.one_to_one)):
                continue
            if field.related_model not in (Person, Household):
                continue
            if not person_relations.is_registered(model, field.name):
                missing.append((model, field.name))
    return missing


def _target_label(model: type[models.Model], name: str) -> str:
    related = model._meta.get_field(name).related_model
    return (
        related._meta.label
        if isinstance(related, type) and issubclass(related, models.Model)
        else str(related)
    )


def check_person_relations(app_configs=None, models_=None, **kwargs) -> list[checks.CheckMessage]:
    """shequ.E010: a foreign key or one-to-one to Person or Household that no app registered."""
    if models_ is None:
        if app_configs is None:
            models_ = django_apps.get_models()
        else:
            models_ = [m for config in app_configs for m in config.get_models()]
    return [
        checks.Error(
            f"{model._meta.label}.{name} refers to {_target_label(model, name)} "
            "but is not registered in shequ.ledger.person_relations",
            hint=(
                "Register it in the app's AppConfig.ready() with person_relations.register(...) (moves with the "
                "person on merge) or register_fixed(...) (a record about that very person record)."
            ),
            obj=model,
            id="shequ.E010",
        )
        for model, name in unregistered_person_references(models_)
    ]
