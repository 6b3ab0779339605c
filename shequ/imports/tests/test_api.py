"""The imports API: the same flow as the pages, scoped the same way."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.core import pii
from shequ.imports.models import Extract, ImportBatch, ImportRow
from shequ.imports.testing import run_batch, sample_rows, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_upload_map_run_and_read_rows(world, client_a, survey_a):
    content = xlsx_bytes(sample_rows(world.a.compound.name, count=2))
    response = client_a.post(
        "/api/v1/import-batches/",
        {"source": survey_a.pk, "place": world.a.community.pk, "file": SimpleUploadedFile("a.xlsx", content)},
    )
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["status"] == "uploaded" and batch["mapping"]["公民身份号码"] == "id_number"
    url = f"/api/v1/import-batches/{batch['id']}/"
    preview = client_a.get(url + "preview/").json()
    assert len(preview) == 4 and preview[0]["ok"] and not preview[2]["ok"]
    response = client_a.post(url + "mapping/", {"mapping": batch["mapping"]}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "mapped"
    assert client_a.post(url + "run/").status_code == 202
    progress = client_a.get(url + "progress/").json()
    assert progress["status"] == "done" and progress["progress"] == 100
    rejected = client_a.get(url + "rows/?status=rejected").json()
    assert rejected["count"] == 2 and rejected["results"][0]["reasons"]
    assert client_a.get(url + "error-report/").status_code == 200
    # the same file again: a 400 naming the file, with the earlier batch's number
    again = client_a.post(
        "/api/v1/import-batches/",
        {"source": survey_a.pk, "place": world.a.community.pk, "file": SimpleUploadedFile("a.xlsx", content)},
    )
    assert again.status_code == 400 and "file" in again.json()
    assert again.json()["detail_extra"]["batch_number"] == batch["number"]


def test_rows_api_has_no_plain_pii(world, client_a, survey_a):
    rows = sample_rows(world.a.compound.name, count=2, bad=False)
    batch = run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="a.xlsx",
        content=xlsx_bytes(rows),
    )
    body = client_a.get(f"/api/v1/import-batches/{batch.pk}/rows/").content.decode()
    for r in rows:
        assert r[3] not in body and r[4] not in body


@pytest.fixture
def batch_b(world):
    from shequ.imports import services
    from shequ.imports.models import DataSource

    source = services.source_create(
        actor=world.b.worker, owner=world.b.community, name="B走访", kind=DataSource.Kind.SURVEY
    )
    return run_batch(
        actor=world.b.worker,
        source=source,
        place=world.b.community,
        name="b.xlsx",
        content=xlsx_bytes(sample_rows(world.b.compound.name, prefix="乙方", count=1)),
    )


@pytest.mark.parametrize("suffix", ["", "preview/", "progress/", "rows/", "error-report/"])
def test_other_communitys_batch_is_404(world, client_a, batch_b, suffix):
    assert client_a.get(f"/api/v1/import-batches/{batch_b.pk}/{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", ["mapping/", "run/"])
def test_other_communitys_batch_cannot_be_changed(world, client_a, batch_b, suffix):
    before = (batch_b.status, ImportRow.objects.count())
    response = client_a.post(
        f"/api/v1/import-batches/{batch_b.pk}/{suffix}", {"mapping": {}}, content_type="application/json"
    )
    assert response.status_code == 404
    batch_b.refresh_from_db()
    assert (batch_b.status, ImportRow.objects.count()) == before


def test_upload_into_other_community_is_refused(world, client_a, survey_a):
    response = client_a.post(
        "/api/v1/import-batches/",
        {
            "source": survey_a.pk,
            "place": world.b.community.pk,
            "file": SimpleUploadedFile("a.xlsx", xlsx_bytes(sample_rows(world.b.compound.name))),
        },
    )
    assert response.status_code == 400 and "place" in response.json()
    assert not ImportBatch.objects.exists()


def test_list_is_scoped(world, client_a, batch_b):
    assert batch_b.number not in client_a.get("/api/v1/import-batches/").content.decode()


def test_conflicts_settle_api(world, client_a, client_b, police, survey_a):
    elder = world.a.elder
    plain = pii.decrypt(elder.id_number_encrypted)
    address = f"{world.a.compound.name}3栋2单元502"
    run_batch(
        actor=world.a.worker,
        source=police,
        place=world.a.community,
        name="p.xlsx",
        content=xlsx_bytes([["1", "曾秀英", "女", plain, "13911110000", address, "", ""]]),
    )
    run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="s.xlsx",
        content=xlsx_bytes([["1", "曾秀英", "女", plain, "13922220000", address, "", ""]]),
    )
    conflicts = client_a.get("/api/v1/conflicts/").json()
    assert [(c["name"], c["field"]) for c in conflicts] == [("曾秀英", "phone")]
    assert client_b.get("/api/v1/conflicts/").json() == []
    obs = next(v for v in conflicts[0]["values"] if v["source"] == survey_a.name)
    data = {"person": elder.pk, "field": "phone", "observation": obs["observation"]}
    assert (
        client_b.post("/api/v1/conflicts/settle/", data, content_type="application/json").status_code == 400
    )
    elder.refresh_from_db()
    assert elder.phone_masked == "139****0000"
    assert (
        client_a.post("/api/v1/conflicts/settle/", data, content_type="application/json").status_code == 200
    )
    elder.refresh_from_db()
    assert elder.phone_masked == "139****0000" or pii.decrypt(elder.phone_encrypted) == "13922220000"


def test_reports_api_scoped(world, client_a):
    owners = client_a.get("/api/v1/reports/owner-occupant/").json()
    assert owners and all(world.b.compound.name not in line["address"] for line in owners)
    stale = client_a.get("/api/v1/reports/stale-households/?days=30").json()
    assert stale["count"] == 2
    assert client_a.get("/api/v1/reports/stale-households/?days=7").status_code == 400
    assert client_a.get("/api/v1/reports/stale-households/?before=notadate").status_code == 400


def test_extract_api_masked_and_logged(world, client_for):
    client = client_for(world.a.liaison)
    response = client.post(
        "/api/v1/extracts/",
        {"place": world.a.community.pk, "columns": ["name", "phone", "id_number"], "purpose": "民政核对"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["masked"] and {r["name"] for r in body["rows"]} >= {"张伟", "李娜"}
    assert pii.decrypt(world.a.head.phone_encrypted) not in response.content.decode()
    assert Extract.objects.count() == 1
    assert client.get("/api/v1/extracts/").json()["count"] == 1
    other = client.post(
        "/api/v1/extracts/",
        {"place": world.b.community.pk, "columns": ["name"], "purpose": "越权"},
        content_type="application/json",
    )
    assert other.status_code == 400 and Extract.objects.count() == 1
    xlsx = client.post(
        "/api/v1/extracts/",
        {"place": world.a.community.pk, "columns": ["name"], "purpose": "民政核对", "format": "xlsx"},
        content_type="application/json",
    )
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]
