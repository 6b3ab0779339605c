"""core.registry collects the apps' AppConfig hooks; core itself imports no domain app."""

from __future__ import annotations

from shequ.core import registry


def test_home_panels_and_dwelling_hooks_come_from_the_apps():
    names = [f"{f.__module__}.{f.__name__}" for f in registry.home_panels()]
    assert names == [
        "shequ.places.panels.risk_panel",
        "shequ.ledger.panels.ledger_panel",
        "shequ.ledger.panels.own_households_panel",
    ]
    assert [f.__name__ for f in registry.functions("resident_counters")] == ["resident_counts_by_place"]
    assert [f.__name__ for f in registry.functions("dwelling_panels")] == ["dwelling_panel"]
    assert registry.functions("no_such_hook") == []


def test_audit_objects_and_value_labels():
    assert list(registry.audit_objects()) == [
        "ledger.person",
        "ledger.household",
        "places.place",
        "places.dwelling",
    ]
    assert registry.audit_objects()["ledger.person"][0] == "ledger:person"
    labels = registry.audit_value_labels()
    assert str(labels["owner"]) and str(labels["alone_elderly"])
