"""A resident on a phone submits a request with a photo; the building leader cannot solve it and sends it up;
the community blows the whistle; the department liaison reports; the worker resolves; the resident rates it."""

from __future__ import annotations

import os
from datetime import timedelta

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402
from django.utils import timezone  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from shequ.cases.models import Case  # noqa: E402

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_request_from_phone_to_rating(browser_world, new_page, login, live_server):
    from shequ.cases.testing import catalogue

    world = browser_world
    items = catalogue(world)
    base = live_server.url

    # 1. The resident, on a phone, submits a request with a photo.
    resident = login(new_page(**PHONE), "resident_a")
    resident.goto(f"{base}/cases/submit/")
    resident.select_option("select[name=category]", str(items["water"].pk))
    resident.fill("input[name=title]", "3栋2单元楼道水管爆裂漏水")
    resident.fill("textarea[name=description]", "水一直在流,楼梯很滑")
    resident.set_input_files(
        "input[name=photo]", files=[{"name": "leak.png", "mimeType": "image/png", "buffer": PNG}]
    )
    resident.click("main form.card button[type=submit]")
    expect(resident.locator("#case-status")).to_contain_text("待受理")
    case = Case.objects.get()
    assert case.attachments.count() == 1 and case.level == "compound"
    assert case.assigned_to == world.a.building_leader
    width = resident.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the resident's page must fit the phone"

    # 2. The building leader cannot solve it and sends it up to the community.
    leader = login(new_page(**PHONE), "leader_a")
    leader.goto(f"{base}/cases/")
    leader.get_by_role("link", name="3栋2单元楼道水管爆裂漏水").click()
    leader.fill("#reason", "需要更换公共管道,楼栋解决不了")
    leader.click("form[action$='/act/escalate/'] button[type=submit]")
    expect(leader.locator(".msg")).to_contain_text("已完成")
    case.refresh_from_db()
    assert case.level == "community"
    expect(leader.locator("#actions")).to_have_count(0)  # no longer the leader's level

    # 3. The community blows the whistle, summoning 卫健 and 住建; first forgetting the deadline.
    worker = login(new_page(), "worker_a")
    worker.goto(f"{base}/cases/{case.pk}/")
    worker.fill("#id_reason", "漏水污染二次供水,需部门到场")
    worker.check("input[name=departments][value=卫健]")
    worker.click("#whistle button[type=submit]")
    expect(worker.locator(".msg-error")).to_contain_text("请填写报到期限")
    deadline = timezone.localtime() + timedelta(hours=4)
    worker.fill("#id_reason", "漏水污染二次供水,需部门到场")
    worker.check("input[name=departments][value=卫健]")
    worker.check("input[name=departments][value=住建]")
    worker.fill("#id_report_by", deadline.strftime("%Y-%m-%dT%H:%M"))
    worker.click("#whistle button[type=submit]")
    expect(worker.locator("[data-state=waiting]")).to_have_count(2)

    # 4. The 卫健 liaison sees it among the summons and reports.
    liaison = login(new_page(**PHONE), "liaison_a")
    liaison.goto(f"{base}/cases/whistles/summoned/")
    liaison.get_by_role("link", name="去报到").click()
    liaison.fill("#report textarea[name=action_taken]", "已到场检测水质,指导停水消毒")
    liaison.click("#report button[type=submit]")
    expect(liaison.locator("[data-state=reported]")).to_have_count(1)

    # 5. The community worker sees who reported and resolves the case.
    worker.goto(f"{base}/cases/{case.pk}/")
    expect(worker.locator("[data-state=reported]")).to_have_count(1)
    expect(worker.locator("[data-state=waiting]")).to_have_count(1)
    worker.fill("#resolution", "已更换公共管道,水质检测合格")
    worker.click("form[action$='/act/resolve/'] button[type=submit]")
    case.refresh_from_db()
    assert case.status == "resolved"

    # 6. The resident sees the progress on the phone and rates it.
    resident.goto(f"{base}/cases/my/")
    resident.get_by_role("link", name="3栋2单元楼道水管爆裂漏水").click()
    expect(resident.locator("#case-status")).to_contain_text("已办结")
    expect(resident.locator(".timeline")).to_contain_text("吹哨")
    resident.check("#rate input[name=score][value='5']")
    resident.fill("#rate textarea[name=comment]", "处理很及时,谢谢")
    resident.click("#rate button[type=submit]")
    expect(resident.locator(".msg")).to_contain_text("感谢您的评价")
    case.refresh_from_db()
    assert case.rating == 5
    for page in (resident, leader, worker, liaison):
        assert page.js_errors == []
