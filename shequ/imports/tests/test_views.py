"""Pages: the upload → map → preview → import → results flow, reports, extracts, and the authorisation of every
page (another community's batch or person → 404, nothing changed)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shequ.core import pii
from shequ.core.models import AuditEvent
from shequ.imports.models import ColumnMapping, Extract, ImportBatch, ImportRow
from shequ.imports.testing import run_batch, sample_rows, xlsx_bytes
from shequ.ledger.models import Person

pytestmark = pytest.mark.django_db


def _upload(client, source, place, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("imports:index"),
        {"source": source.pk, "place": place.pk, "file": SimpleUploadedFile(name, content)},
    )


def test_full_flow_through_the_pages(world, client_a, survey_a):
    response = client_a.get(reverse("imports:index"))
    assert response.status_code == 200 and "上传名单" in response.content.decode()
    content = xlsx_bytes(sample_rows(world.a.compound.name, count=3))
    response = _upload(client_a, survey_a, world.a.community, "走访.xlsx", content)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("imports:batch", args=[batch.pk])
    page = client_a.get(response.url).content.decode()
    assert "确认字段对应" in page and 'value="id_number" selected' in page
    mapping = {f"col_{i}": (batch.mapping[h] or "") for i, h in enumerate(batch.headers)}
    client_a.post(reverse("imports:mapping", args=[batch.pk]), mapping)
    page = client_a.get(reverse("imports:batch", args=[batch.pk])).content.decode()
    assert "预览" in page and "校验位不正确" in page and "开始导入" in page
    assert "居民甲" in page
    client_a.post(reverse("imports:run", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "done"
    page = client_a.get(reverse("imports:batch", args=[batch.pk])).content.decode()
    assert 'id="rejected-count">2<' in page and "没有9栋" in page
    for row in ImportRow.objects.filter(batch=batch):
        sealed = pii.unseal(row.sealed)
        for plain in (sealed["id"], sealed["phone"]):
            assert not plain or plain not in page
    report = client_a.get(reverse("imports:error_report", args=[batch.pk]))
    assert report.status_code == 200
    lines = list(load_workbook(io.BytesIO(report.content)).active.iter_rows(values_only=True))
    assert len(lines) == 3 and lines[0][-1] == "错误原因"
    progress = client_a.get(reverse("imports:progress", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert (
        progress.status_code == 200
        and progress["HX-Refresh"] == "true"
        and "100%" in progress.content.decode()
    )


def test_same_file_twice_shows_the_earlier_batch(world, client_a, survey_a):
    content = xlsx_bytes(sample_rows(world.a.compound.name, count=1))
    first = run_batch(
        actor=world.a.worker, source=survey_a, place=world.a.community, name="a.xlsx", content=content
    )
    response = _upload(client_a, survey_a, world.a.community, "a.xlsx", content)
    page = response.content.decode()
    assert response.status_code == 200 and first.number in page and "已经从" in page
    assert ImportBatch.objects.count() == 1


def test_mapping_error_is_shown(world, client_a, survey_a):
    _upload(client_a, survey_a, world.a.community, "a.xlsx", xlsx_bytes(sample_rows(world.a.compound.name)))
    batch = ImportBatch.objects.get()
    response = client_a.post(reverse("imports:mapping", args=[batch.pk]), {"col_0": "notes"}, follow=True)
    assert "必须有一列对应“姓名”" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "uploaded" and not ColumnMapping.objects.exists()


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
        content=xlsx_bytes(sample_rows(world.b.compound.name, prefix="乙方", count=2)),
    )


@pytest.mark.parametrize("name", ["batch", "progress", "error_report"])
def test_other_communitys_batch_is_404(world, client_a, batch_b, name):
    assert client_a.get(reverse(f"imports:{name}", args=[batch_b.pk])).status_code == 404


@pytest.mark.parametrize("name", ["mapping", "run"])
def test_other_communitys_batch_cannot_be_changed(world, client_a, batch_b, name):
    before = (batch_b.status, batch_b.mapping, ImportRow.objects.count(), Person.objects.count())
    assert client_a.post(reverse(f"imports:{name}", args=[batch_b.pk]), {"col_0": "name"}).status_code == 404
    batch_b.refresh_from_db()
    assert (batch_b.status, batch_b.mapping, ImportRow.objects.count(), Person.objects.count()) == before


def test_batches_list_is_scoped(world, client_a, client_officer, batch_b):
    assert batch_b.number not in client_a.get(reverse("imports:index")).content.decode()
    assert batch_b.number in client_officer.get(reverse("imports:index")).content.decode()


def test_people_without_import_right_get_404(world, client_for, batch_b):
    for user in (world.a.grid_worker, world.a.volunteer, world.a.resident, world.a.liaison):
        assert client_for(user).get(reverse("imports:index")).status_code == 404


def test_provenance_partial_and_scope(world, client_a, client_b, police):
    plain = pii.decrypt(world.a.head.id_number_encrypted)
    rows = [["1", "张伟", "男", plain, "13900000001", f"{world.a.compound.name}3栋2单元501", "", "户籍"]]
    run_batch(
        actor=world.a.worker, source=police, place=world.a.community, name="p.xlsx", content=xlsx_bytes(rows)
    )
    url = reverse("imports:provenance", args=[world.a.head.pk])
    partial = client_a.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="provenance"' in partial and "公安户籍" in partial and "139****0001" in partial
    assert plain not in partial and "13900000001" not in partial
    assert "<html" not in partial
    assert "<html" in client_a.get(url).content.decode()
    assert client_b.get(url).status_code == 404


def test_conflicts_page_and_settle(world, client_a, client_b, police, survey_a):
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
    page = client_a.get(reverse("imports:conflicts")).content.decode()
    assert "曾秀英" in page and "139****0000" in page
    assert "曾秀英" not in client_b.get(reverse("imports:conflicts")).content.decode()
    obs = elder.observations.get(field="phone", source=survey_a)
    url = reverse("imports:settle", args=[elder.pk])
    assert client_b.post(url, {"field": "phone", "observation": obs.pk}).status_code == 404
    elder.refresh_from_db()
    assert elder.phone_masked == "139****0000"
    client_a.post(url, {"field": "phone", "observation": obs.pk, "note": "本人确认"})
    elder.refresh_from_db()
    assert elder.phone_masked == "139****0000" or pii.decrypt(elder.phone_encrypted) == "13922220000"
    assert pii.decrypt(elder.phone_encrypted) == "13922220000"
    assert "没有待处理的冲突" in client_a.get(reverse("imports:conflicts")).content.decode()


def test_owner_report_page_and_excel(world, client_a, client_b):
    page = client_a.get(reverse("imports:owners")).content.decode()
    assert (
        "居住人不在业主名单" in page and world.a.compound.name in page and world.b.compound.name not in page
    )
    xlsx = client_a.get(reverse("imports:owners") + "?format=xlsx")
    lines = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert lines[0] == ("房屋", "情况", "业主", "实际居住人") and len(lines) >= 2
    assert all(world.b.compound.name not in (line[0] or "") for line in lines)


def test_stale_page(world, client_a):
    page = client_a.get(reverse("imports:stale") + "?days=30").content.decode()
    assert "从未核实" in page and world.a.compound.name in page and world.b.compound.name not in page
    assert client_a.get(reverse("imports:stale") + "?days=abc").status_code == 200


def test_extract_for_liaison_masked_and_logged(world, client_for):
    client = client_for(world.a.liaison)
    assert client.get(reverse("imports:extracts")).status_code == 200
    response = client.post(
        reverse("imports:extracts"),
        {
            "place": world.a.community.pk,
            "columns": ["name", "id_number", "phone", "address"],
            "purpose": "疫苗接种核对",
        },
    )
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    lines = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert lines[0] == ("姓名", "证件号码", "联系电话", "现住址")
    body = " ".join(str(c) for line in lines for c in line)
    assert "张伟" in body and "章伟" not in body
    assert pii.decrypt(world.a.head.id_number_encrypted) not in body
    assert pii.decrypt(world.a.head.phone_encrypted) not in body
    extract = Extract.objects.get()
    assert extract.is_masked and extract.row_count == len(lines) - 1
    assert AuditEvent.objects.filter(action="extract_create", reason="疫苗接种核对").exists()
    # B's community is not a choice: a form error, nothing logged
    response = client.post(
        reverse("imports:extracts"),
        {"place": world.b.community.pk, "columns": ["name"], "purpose": "越权提取"},
    )
    assert response.status_code == 200 and Extract.objects.count() == 1


def test_extracts_page_needs_the_right(world, client_a):
    assert client_a.get(reverse("imports:extracts")).status_code == 404


def test_missing_file_is_a_message_not_a_500(world, client_a, survey_a):
    _upload(client_a, survey_a, world.a.community, "a.xlsx", xlsx_bytes(sample_rows(world.a.compound.name)))
    batch = ImportBatch.objects.get()
    client_a.post(
        reverse("imports:mapping", args=[batch.pk]),
        {f"col_{i}": (batch.mapping[h] or "") for i, h in enumerate(batch.headers)},
    )
    batch.file.delete(save=False)
    page = client_a.get(reverse("imports:batch", args=[batch.pk]))
    assert page.status_code == 200 and "无法读取" in page.content.decode()
    api = client_a.get(f"/api/v1/import-batches/{batch.pk}/preview/")
    assert api.status_code == 400 and "file" in api.json()
    from shequ.imports import services

    services.batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == "failed" and "无法读取" in batch.error


def test_running_batch_shows_a_polling_progress_bar(world, client_a, survey_a):
    _upload(client_a, survey_a, world.a.community, "a.xlsx", xlsx_bytes(sample_rows(world.a.compound.name)))
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(status="validating", progress=42, phase="校验中")
    page = client_a.get(reverse("imports:batch", args=[batch.pk])).content.decode()
    progress_url = reverse("imports:progress", args=[batch.pk])
    assert f'hx-get="{progress_url}"' in page and 'value="42"' in page
    partial = client_a.get(progress_url, HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in partial and "42%" in partial.content.decode()


def test_batch_list_query_count_does_not_grow(world, client_a, survey_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(i):
        rows = sample_rows(world.a.compound.name, count=1, bad=False)
        rows[0][1] = f"居民{i}号"
        run_batch(
            actor=world.a.worker,
            source=survey_a,
            place=world.a.community,
            name=f"{i}.xlsx",
            content=xlsx_bytes(rows, title=f"第{i}批"),
        )

    def count():
        with CaptureQueriesContext(connection) as ctx:
            client_a.get(reverse("imports:index"))
        return len(ctx.captured_queries)

    add(0)
    client_a.get(reverse("imports:index"))
    one = count()
    add(1)
    add(2)
    assert count() == one <= 16
    assert client_a.get(reverse("imports:index")).content.decode().count("/imports/batches/") >= 3
