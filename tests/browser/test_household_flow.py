"""A community worker finds a resident by pinyin, corrects a phone number on the household page, reveals an ID
number with a reason; the street officer's audit log shows both. And the household page fits a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shequ.core import pii
from shequ.ledger.models import Person

pytestmark = pytest.mark.browser


def test_worker_corrects_phone_and_reveals_id_then_audit_shows_both(
    browser_world, new_page, login, live_server
):
    world = browser_world
    page = login(new_page(), "worker_a")

    # Search by pinyin (HTMX live results).
    page.click("nav#mainnav >> text=查找居民")
    page.fill("input[name=q]", "zhangwei")
    results = page.locator("#results table.results")
    expect(results).to_contain_text("张伟")
    expect(results).not_to_contain_text("章伟")  # same pinyin, other community
    results.get_by_role("link", name="张伟").click()

    # From the person to the household page (一户一档).
    expect(page.locator("h1")).to_contain_text("张伟")
    page.locator("a[href*='/ledger/households/']").first.click()
    expect(page.locator("h1")).to_contain_text("一户一档")
    expect(page.locator("#members")).to_contain_text("李娜")

    # Correct the head's phone number; a wrong one first is refused with a message next to the field.
    page.locator("#members tr", has_text="张伟").get_by_role("link", name="修改").click()
    page.fill("input[name=phone]", "1234")
    page.click("form button[type=submit]")
    expect(page.locator("#id_phone-errors")).to_contain_text("手机号格式不正确")
    page.fill("input[name=phone]", "13798765432")
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("一户一档")
    expect(page.locator("#members")).to_contain_text("137****5432")
    head = Person.objects.get(pk=world.a.head.pk)
    assert pii.decrypt(head.phone_encrypted) == "13798765432"

    # Reveal the ID number with a reason, on the person page.
    page.locator("#members").get_by_role("link", name="张伟").click()
    page.click("text=查看完整证件号码或手机号")
    page.select_option("select[name=field]", "id_number")
    page.fill("input[name=reason]", "核对高龄津贴申请材料")
    page.click("#reveal-box button[type=submit]")
    full_id = pii.decrypt(head.id_number_encrypted)
    expect(page.locator("#reveal-box .revealed")).to_contain_text(full_id)
    assert page.js_errors == []

    # The street officer reads both in the audit log.
    officer = login(new_page(), "officer")
    officer.click("nav#mainnav >> text=审计日志")
    log = officer.locator("table.audit")
    phone_row = log.locator("tr", has_text="修改人员信息").filter(has_text="张伟")
    expect(phone_row).to_contain_text("137****5432")
    expect(phone_row).to_contain_text("手机号")
    reveal_row = log.locator("tr.kind-reveal")
    expect(reveal_row).to_contain_text("证件号码")
    expect(reveal_row).to_contain_text("核对高龄津贴申请材料")
    expect(reveal_row).to_contain_text("A社区工作者")
    assert full_id not in officer.content()
    officer.select_option("select[name=kind]", "reveal")
    officer.click("form.filters button[type=submit]")
    expect(officer.locator("table.audit tbody tr")).to_have_count(1)


def test_household_page_fits_a_phone(browser_world, new_page, login, live_server):
    page = login(new_page(390, 844), "worker_a")
    page.goto(f"{live_server.url}/ledger/households/{browser_world.a.household.pk}/")
    expect(page.locator("h1")).to_contain_text("一户一档")
    page.wait_for_load_state("networkidle")
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width
    # The menu folds away behind a button on a phone, and opens.
    expect(page.locator("#mainnav")).to_be_hidden()
    page.click("button.nav-toggle")
    expect(page.locator("#mainnav")).to_be_visible()


def test_home_charts_render_without_errors(browser_world, new_page, login, live_server):
    page = login(new_page(), "officer")
    expect(page.locator("[data-chart-kind=pyramid] canvas")).to_have_count(1)
    expect(page.locator("[data-chart-kind=stacked-bar] canvas")).to_have_count(1)
    assert page.js_errors == []
