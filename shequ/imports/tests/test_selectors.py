"""The reads the pages and the API go through: a batch's rows not imported, the observation a worker picks when
settling a conflict (only the person's own, of that field), and a liaison's own extracts."""

from __future__ import annotations

import pytest

from shequ.core import pii
from shequ.imports import selectors, services
from shequ.imports.models import ImportRow
from shequ.imports.testing import run_batch, sample_rows, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_rows_not_imported_are_the_rejected_and_duplicate_rows_in_file_order(world, survey_a):
    batch = run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="a.xlsx",
        content=xlsx_bytes(sample_rows(world.a.compound.name, count=4)),
    )
    rows = list(selectors.rows_not_imported(batch))
    assert rows and [r.row_number for r in rows] == sorted(r.row_number for r in rows)
    assert {r.status for r in rows} <= {ImportRow.Status.REJECTED, ImportRow.Status.DUPLICATE}
    assert len(rows) == batch.rejected + batch.duplicates


def test_observation_of_answers_only_for_the_persons_own_field(world, survey_a):
    elder, other = world.a.elder, world.a.head
    address = f"{world.a.compound.name}3栋2单元502"
    plain = pii.decrypt(elder.id_number_encrypted)
    run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="s.xlsx",
        content=xlsx_bytes([["1", "曾秀英", "女", plain, "13922220000", address, "", ""]]),
    )
    observation = elder.observations.get(field="phone", source=survey_a)
    assert selectors.observation_of(elder, pk=observation.pk, field="phone") == observation
    assert selectors.observation_of(elder, pk=observation.pk, field="name") is None
    assert selectors.observation_of(other, pk=observation.pk, field="phone") is None


def test_extracts_requested_by_are_the_actors_own(world):
    liaison_a, liaison_b = world.a.liaison, world.b.liaison
    services.extract_create(actor=liaison_a, place=world.a.community, columns=["name"], purpose="随访")
    services.extract_create(actor=liaison_b, place=world.b.community, columns=["name"], purpose="随访")
    mine = list(selectors.extracts_requested_by(liaison_a))
    assert [e.requested_by for e in mine] == [liaison_a]
