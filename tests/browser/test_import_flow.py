"""A community worker imports a door-to-door survey list: upload the Excel file (title row, totals row), check the
suggested column mapping, read the preview with each row's problems, import, see the rejected rows with their
reasons, and download the error report to correct them."""

from __future__ import annotations

import io
import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402
from openpyxl import load_workbook  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from shequ.imports.models import ImportBatch  # noqa: E402
from shequ.imports.testing import sample_rows, xlsx_bytes  # noqa: E402
from shequ.ledger.models import Person  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _patient_assertions():
    """The import runs inside the request here; on a loaded machine that takes more than the default 5 s."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


def test_worker_imports_a_survey_and_downloads_the_error_report(browser_world, new_page, login, live_server):
    world = browser_world
    page = new_page(390, 844)  # a phone-sized screen
    page.set_default_timeout(60_000)
    page = login(page, "worker_a")
    page.click("text=菜单")
    page.click("nav#mainnav >> text=数据导入")
    expect(page.locator("h1")).to_contain_text("数据导入")

    content = xlsx_bytes(sample_rows(world.a.compound.name, count=3))
    page.select_option("select[name=source]", label="入户走访")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "入户走访名单.xlsx", "mimeType": "application/vnd.ms-excel", "buffer": content}],
    )
    page.click("#upload-form button[type=submit]")

    # The mapping step, suggested from the headers.
    expect(page.locator("h1")).to_contain_text("导入批次")
    expect(page.locator("#notes")).to_contain_text("标题")
    expect(page.locator("select[aria-label='公民身份号码']")).to_have_value("id_number")
    expect(page.locator("select[aria-label='现住址']")).to_have_value("address")
    page.click("#mapping-form button[type=submit]")

    # The preview: the wrong check digit and the unknown building are shown before anything is imported.
    preview = page.locator("#preview")
    expect(preview).to_contain_text("校验位不正确")
    expect(preview).to_contain_text("没有9栋")
    assert not Person.objects.filter(name="居民甲").exists()
    page.click("#run-form button[type=submit]")

    # Results: counts, the rejected rows with reasons, and the Excel error report.
    expect(page.locator("#rejected-count")).to_have_text("2")
    expect(page.locator("#accepted-count")).to_have_text("3")
    rejected = page.locator("#rejected")
    expect(rejected).to_contain_text("错号")
    expect(rejected).to_contain_text("没有9栋")
    with page.expect_download() as download_info:
        page.click("#error-report")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    lines = list(load_workbook(io.BytesIO(download.path().read_bytes())).active.iter_rows(values_only=True))
    assert lines[0][-1] == "错误原因" and len(lines) == 3
    assert any("校验位" in (line[-1] or "") for line in lines[1:])
    assert Person.objects.filter(name="居民甲", community=world.a.community).exists()
    assert ImportBatch.objects.get().status == "done"
    assert page.js_errors == []
