"""A community worker works through the review queue with the keyboard: one pair is the same person (1), one is
not (2), and a pair of duplicate ledger records is merged (←); the merged household page shows one person, and the
merge is undone from its own page."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from shequ.imports.models import ImportRow  # noqa: E402
from shequ.ledger.models import Person  # noqa: E402
from shequ.linkage.models import Merge, ReviewDecision, ReviewItem  # noqa: E402
from shequ.linkage.testing import duplicate_of, import_row, queue_people, queue_row  # noqa: E402

pytestmark = pytest.mark.browser


def test_worker_decides_pairs_by_keyboard_merges_and_undoes(browser_world, new_page, login, live_server):
    a = browser_world.a
    first_row = import_row(
        actor=a.worker, community=a.community, dwelling=a.dwellings[0], name="张卫", birth=a.head.birth_date
    )
    first = queue_row(first_row, a.head, probability=0.82)
    second_row = import_row(
        actor=a.worker, community=a.community, name="李那", sex="F", birth=a.spouse.birth_date
    )
    second = queue_row(second_row, a.spouse, probability=0.71)
    twin = duplicate_of(a.elder, name="曾秀瑛")
    pair = queue_people(a.elder, twin, probability=0.64)

    page = login(new_page(), "worker_a")
    page.click("nav#mainnav >> text=比对核对")
    expect(page.locator("#queue")).to_contain_text(first.number)
    page.click("#start-review")

    # The best pair first: side by side, differences marked, each comparison's contribution.
    expect(page.locator("h1")).to_contain_text("是同一人吗")
    expect(page.locator("#probability")).to_contain_text("82.0%")
    expect(page.locator("tr[data-field=name]")).to_have_class("field diff-differs")
    expect(page.locator("#why .bar-row").first).to_contain_text("姓名")
    page.wait_for_selector("#decision-form[data-keys-ready]")
    page.keyboard.press("1")  # a match

    expect(page.locator("#probability")).to_contain_text("71.0%")
    page.wait_for_selector("#decision-form[data-keys-ready]")
    page.keyboard.press("2")  # not a match

    expect(page.locator("#probability")).to_contain_text("64.0%")
    expect(page.locator("#pair")).to_contain_text("曾秀瑛")
    page.wait_for_selector("#decision-form[data-keys-ready]")
    page.keyboard.press("ArrowLeft")  # the same person: the two ledger records are merged

    expect(page.locator("h1")).to_contain_text("合并到")
    expect(page.locator("#moved")).to_contain_text("居住关系")
    merge = Merge.objects.get(review_item=pair)
    assert merge.keep_id == a.elder.pk and Person.objects.get(pk=twin.pk).merged_into_id == a.elder.pk

    # The household page shows one person where there were two records.
    page.click("a.household-link")
    expect(page.locator("h1")).to_contain_text("一户一档")
    expect(page.locator("#residencies")).to_contain_text("曾秀英")
    expect(page.locator("#residencies")).not_to_contain_text("曾秀瑛")
    page.go_back()

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#undo-form button")
    expect(page.locator("#merge-status")).to_contain_text("已撤销")
    assert Person.objects.get(pk=twin.pk).merged_into_id is None
    assert ReviewItem.objects.get(pk=pair.pk).status == "open"

    # The keyboard decisions were kept.
    assert ImportRow.objects.get(pk=first_row.pk).person_id == a.head.pk
    assert ReviewItem.objects.get(pk=second.pk).status == "not_match"
    assert ImportRow.objects.get(pk=second_row.pk).link_status == "new"
    assert ReviewDecision.objects.filter(is_match=False, item=second).exists()
    assert page.js_errors == []


def test_review_page_fits_a_phone(browser_world, new_page, login, live_server):
    a = browser_world.a
    row = import_row(
        actor=a.worker, community=a.community, dwelling=a.dwellings[0], name="张卫", birth=a.head.birth_date
    )
    item = queue_row(row, a.head, probability=0.82)
    page = login(new_page(width=390, height=844), "worker_a")
    page.goto(f"{live_server.url}/linkage/review/{item.number}/")
    expect(page.locator("#why .bar-row").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    if os.environ.get("SHEQU_SCREENSHOTS"):
        page.screenshot(
            path=os.path.join(os.environ["SHEQU_SCREENSHOTS"], "linkage-review-phone.png"), full_page=True
        )
    assert page.js_errors == []
