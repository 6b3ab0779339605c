"""The PostgreSQL fast path (forked validation workers + COPY) stores the same rows as the ORM path."""

from __future__ import annotations

import pytest
from django.conf import settings

from shequ.imports import fastpath, services
from shequ.imports.models import ImportRow
from shequ.imports.testing import sample_rows, upload, xlsx_bytes

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not settings.IS_POSTGRES, reason="COPY is PostgreSQL's"),
    pytest.mark.django_db,
]


def _mapped_batch(world, source, name, content):
    batch = services.batch_upload(
        actor=world.a.worker, source=source, place=world.a.community, uploaded=upload(name, content)
    )
    return services.batch_set_mapping(actor=world.a.worker, batch=batch, mapping=batch.mapping)


def _rows(batch):
    return [
        (r.row_number, r.status, r.raw, r.clean, r.reasons, r.dwelling_id, r.link_status)
        for r in ImportRow.objects.filter(batch=batch).order_by("row_number")
    ]


def test_fast_path_matches_orm_path(world, survey_a, monkeypatch):
    rows = sample_rows(world.a.compound.name, count=6) + sample_rows(
        world.a.compound.name, count=2, bad=False
    )
    slow = _mapped_batch(world, survey_a, "a.xlsx", xlsx_bytes(rows))
    services.batch_validate(batch=slow)
    monkeypatch.setattr(fastpath, "CHUNK_ROWS", 3)
    fast = _mapped_batch(world, survey_a, "b.xlsx", xlsx_bytes(rows, title="另一份"))
    progress = []
    counts, notes, skipped = fastpath.copy_validate(
        fast, workers=2, earlier=set(), on_progress=lambda f, c: progress.append(f)
    )
    slow_rows = _rows(slow)
    assert [r[1:] for r in _rows(fast)] == [r[1:] for r in slow_rows]
    assert counts == {
        "total": slow.total,
        "accepted": slow.accepted,
        "rejected": slow.rejected,
        "duplicates": slow.duplicates,
    }
    assert counts["duplicates"] == 2  # the repeated rows inside the file
    assert progress == sorted(progress) and len(progress) >= 3
    assert skipped and any("标题" in n for n in notes)


def test_copy_statement_names_the_model_columns_and_leaves_out_only_nullable_ones():
    statement = fastpath.copy_statement()
    assert statement.startswith(f'COPY "{ImportRow._meta.db_table}" (') and statement.endswith(" FROM STDIN")
    written = {ImportRow._meta.get_field(name).column for name in fastpath.COPY_FIELDS}
    assert all(f'"{column}"' in statement for column in written)
    left_out = [f for f in ImportRow._meta.concrete_fields if f.column not in written and not f.primary_key]
    assert left_out and all(f.null for f in left_out)  # stored NULL, as the ORM path leaves them


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_pool_forks_with_the_connection_closed(world, survey_a, monkeypatch):
    from django.db import connection

    closed = []
    real_close = connection.close
    monkeypatch.setattr(connection, "close", lambda: (closed.append(True), real_close())[1])
    batch = _mapped_batch(world, survey_a, "a.xlsx", xlsx_bytes(sample_rows(world.a.compound.name, count=4)))
    counts, _notes, _skipped = fastpath.copy_validate(batch, workers=2, earlier=set())
    assert closed == [True]
    assert ImportRow.objects.filter(batch=batch).count() == counts["total"] > 4  # stored, and committed
