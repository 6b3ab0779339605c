"""The imports policies with the shared personas: who gets the pages, and the batch rule's queryset and predicate
agreeing on every persona and batch."""

from __future__ import annotations

import pytest

from shequ.imports import policies, services
from shequ.imports.models import ImportBatch
from shequ.imports.testing import sample_rows, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def _personas(world):
    return {
        "worker_a": world.a.worker,
        "worker_b": world.b.worker,
        "street_officer": world.street_officer,
        "volunteer": world.a.volunteer,
        "resident": world.a.resident,
        "liaison_a": world.a.liaison,
    }


def test_page_predicates_follow_the_rights(world):
    people = _personas(world)
    assert {name for name, u in people.items() if policies.can_import(u)} == {
        "worker_a",
        "worker_b",
        "street_officer",
    }
    assert policies.can_request_extract(people["liaison_a"])
    assert not policies.can_request_extract(people["resident"])
    assert not policies.can_settle_conflicts(people["resident"])
    assert not policies.can_view_owner_report(people["volunteer"])
    assert policies.can_view_provenance(people["worker_a"]) and policies.can_view_stale_households(
        people["worker_a"]
    )


def test_batches_q_and_can_view_batch_are_one_rule(world, survey_a):
    batch = services.batch_upload(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        uploaded=upload("a.xlsx", xlsx_bytes(sample_rows(world.a.compound.name, count=1))),
    )
    for name, user in _personas(world).items():
        listed = ImportBatch.objects.filter(policies.batches_q(user), pk=batch.pk).exists()
        assert listed == policies.can_view_batch(user, batch), name
        assert listed == (name in ("worker_a", "street_officer")), name
