"""The person-relations registry, tested from the registry itself: for every registered reference to a person,
a row on the duplicate moves to the survivor on merge and back on undo. New relations are covered the day they
are registered (rows are built by model-field introspection; a relation whose model needs more can add a
builder to EXAMPLES). Also: the system check refuses an unregistered foreign key, and one-to-one clashes keep the
survivor's row."""

from __future__ import annotations

import itertools
import uuid

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps
from django.utils import timezone

from shequ.core.jurisdiction import SYSTEM
from shequ.ledger import person_relations
from shequ.ledger.checks import check_person_relations, unregistered_person_references
from shequ.ledger.models import Household, Person
from shequ.linkage import services
from shequ.linkage.testing import duplicate_of

_seq = itertools.count(1)


def _value(field: models.Field):
    """A valid value for a required, non-relation field."""
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.FileField):
        return "tests/example.csv"
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return timezone.localdate()
    if isinstance(field, models.TimeField):
        return timezone.now().time()
    if isinstance(field, models.DurationField):
        return timezone.timedelta(0)
    if isinstance(field, models.DecimalField | models.FloatField):
        return 1
    if isinstance(field, models.IntegerField):
        return next(_seq)
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.CharField | models.TextField):
        text = uuid.uuid4().hex.upper()
        return text[: field.max_length] if field.max_length else text
    raise NotImplementedError(f"no example value for {field!r}")  # pragma: no cover - add a branch


def build(
    model: type[models.Model], overrides: dict, *, people: list[Person], depth: int = 0
) -> models.Model:
    """Save a row of `model` with every required field filled: related rows reuse an existing one (a person of
    `people`, never the pair being merged) or are built the same way."""
    assert depth < 10, f"{model._meta.label}: relation chain too deep"
    values = dict(overrides)
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in values or field.attname in values:
            continue
        if field.null or field.has_default() or getattr(field, "auto_now", False):
            continue
        if getattr(field, "auto_now_add", False):
            continue
        if field.is_relation:
            related = field.related_model
            if related is Person:
                values[field.name] = people[0]
            else:
                existing = None if field.unique else related._default_manager.order_by("pk").first()
                values[field.name] = existing or build(related, {}, people=people, depth=depth + 1)
        elif field.empty_strings_allowed and field.blank:
            continue
        else:
            values[field.name] = _value(field)
    obj = model(**values)
    obj.save()
    return obj


def _merge_pair(world):
    keep = world.a.elder
    drop = duplicate_of(keep, name="李秀英乙")
    return keep, drop


MOVING = [r.key for r in person_relations.person_relations()]


def test_every_reference_to_a_person_is_registered():
    assert check_person_relations() == []
    assert {
        "residencies",
        "import_rows",
        "livelihood.CareSelection.person",
        "epidemic.Monitoring.person",
    } <= set(MOVING)


@pytest.mark.parametrize("key", MOVING)
def test_a_row_on_the_duplicate_moves_on_merge_and_back_on_undo(world, key):
    relation = person_relations.get(key)
    assert relation is not None
    keep, drop = _merge_pair(world)
    row = build(relation.model, {relation.field: drop}, people=[world.b.head])
    before = set(relation.rows_of(drop.pk).values_list("pk", flat=True))
    assert row.pk in before

    merge = services.person_merge(actor=SYSTEM, keep=keep, drop=drop)

    assert relation.model._default_manager.filter(pk=row.pk, **{relation.attname: keep.pk}).exists()
    assert merge.moved[key] and row.pk in merge.moved[key]
    assert merge.summary.get(str(relation.label), 0) >= 1

    services.merge_undo(actor=SYSTEM, merge=merge)

    assert set(relation.rows_of(drop.pk).values_list("pk", flat=True)) == before
    assert relation.model._default_manager.filter(pk=row.pk, **{relation.attname: drop.pk}).exists()


def test_one_to_one_clash_keeps_the_survivors_row_and_undo_restores(world):
    from shequ.livelihood.models import CareSelection

    keep, drop = _merge_pair(world)
    mine = build(CareSelection, {"person": keep}, people=[world.b.head])
    theirs = build(CareSelection, {"person": drop}, people=[world.b.head])

    merge = services.person_merge(actor=SYSTEM, keep=keep, drop=drop)

    key = "livelihood.CareSelection.person"
    assert CareSelection.objects.get(person=keep).pk == mine.pk
    assert CareSelection.objects.get(pk=theirs.pk).person_id == drop.pk  # left with the merged-away record
    assert merge.moved[key] == []
    assert merge.moved["notes"][key] == {"kept_on_drop": [[theirs.pk, mine.pk]]}

    services.merge_undo(actor=SYSTEM, merge=merge)
    assert CareSelection.objects.get(pk=mine.pk).person_id == keep.pk
    assert CareSelection.objects.get(pk=theirs.pk).person_id == drop.pk


def test_conditional_unique_clash_only_when_both_rows_are_active(world):
    from shequ.livelihood.models import Pairing

    keep, drop = _merge_pair(world)
    helper = world.b.head
    mine = build(Pairing, {"resident": keep, "helper": helper, "is_active": True}, people=[helper])
    active = build(Pairing, {"resident": drop, "helper": helper, "is_active": True}, people=[helper])
    ended = build(Pairing, {"resident": drop, "helper": helper, "is_active": False}, people=[helper])

    merge = services.person_merge(actor=SYSTEM, keep=keep, drop=drop)

    assert merge.moved["livelihood.Pairing.resident"] == [ended.pk]
    assert Pairing.objects.get(pk=active.pk).resident_id == drop.pk
    assert Pairing.objects.get(pk=mine.pk).resident_id == keep.pk
    services.merge_undo(actor=SYSTEM, merge=merge)
    assert set(Pairing.objects.filter(resident=drop).values_list("pk", flat=True)) == {active.pk, ended.pk}


@isolate_apps("shequ.ledger")
def test_system_check_refuses_an_unregistered_reference():
    class Visitor(models.Model):
        person = models.ForeignKey(Person, on_delete=models.CASCADE)
        home = models.OneToOneField(Household, on_delete=models.CASCADE)

        class Meta:
            app_label = "ledger"

        def __str__(self) -> str:
            return "visitor"

    errors = check_person_relations(models_=[Visitor])
    assert {e.id for e in errors} == {"shequ.E010"}
    assert len(errors) == 2
    assert "ledger.Visitor.person" in errors[0].msg

    person_relations.register(Visitor, "person", label="来访")
    person_relations.register_fixed(Visitor, "home", reason="test")
    try:
        assert check_person_relations(models_=[Visitor]) == []
    finally:
        person_relations.unregister(Visitor, "person")
        person_relations.unregister(Visitor, "home")


def test_the_check_is_registered_and_covers_the_installed_models():
    from django.core import checks

    assert check_person_relations in checks.registry.registry.get_checks()
    assert unregistered_person_references(apps.get_models()) == []


def test_merge_and_undo_lock_people_in_one_order(world, monkeypatch):
    import shequ.linkage.services.merge as merge_module
    from shequ.ledger import lock_objects

    calls = []

    def spy(pks):
        calls.append(list(pks))
        return lock_objects.people_for_update(pks)

    monkeypatch.setattr(merge_module, "people_for_update", spy)
    keep, drop = _merge_pair(world)
    merge = services.person_merge(actor=SYSTEM, keep=keep, drop=drop)
    services.merge_undo(actor=SYSTEM, merge=merge)
    assert len(calls) == 2 and {frozenset(c) for c in calls} == {frozenset([keep.pk, drop.pk])}
    assert list(lock_objects.people_for_update([max(keep.pk, drop.pk), min(keep.pk, drop.pk)])) == sorted(
        [keep.pk, drop.pk]
    )
