"""A group buy on a phone: a resident orders for her household, the building leader orders for the elderly
neighbour who has no phone, the volunteer delivers to the door, and the resident confirms with the code on
the bag (a wrong code is refused first)."""

import os

import pytest
from django.conf import settings
from django.test import Client

from shequ.ledger.models import Household
from shequ.livelihood import services
from shequ.livelihood.models import Order
from shequ.livelihood.testing import group_buy_for

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def _session_cookie(user, live_server):
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def _page_as(browser, user, live_server):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.add_cookies([_session_cookie(user, live_server)])
    return context, context.new_page()


def test_group_buy_from_order_to_contactless_hand_over(world, live_server, browser):
    side = world.a
    gb = group_buy_for(world, side, title="阳光3栋平价蔬菜团", merchant_name="阳光便民超市")
    veg, eggs = gb.items.all()
    elder_home = Household.objects.get(dwelling=side.dwellings[1])
    order_url = f"{live_server.url}/livelihood/group-buys/{gb.pk}/order/"

    # 1. the resident orders on her phone, from the list of group buys
    context, page = _page_as(browser, side.resident, live_server)
    page.goto(f"{live_server.url}/livelihood/")
    page.get_by_role("link", name="阳光3栋平价蔬菜团").click()
    page.get_by_role("link", name="我要下单").click()
    assert page.url == order_url
    page.fill(f"#item_{veg.pk}", "3")  # over the limit of 2: refused, named
    page.get_by_role("button", name="提交订单").click()
    assert "每户限购 2份" in page.content()
    page.fill(f"#item_{veg.pk}", "2")
    page.fill(f"#item_{eggs.pk}", "1")
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url("**/livelihood/orders/*/")
    assert "已下单" in page.text_content("[data-testid=order-status]")
    context.close()
    mine = Order.objects.get(household=side.household)
    assert mine.channel == Order.Channel.PHONE

    # 2. the building leader orders for the elderly neighbour without a phone
    context, page = _page_as(browser, side.building_leader, live_server)
    page.goto(order_url)
    page.select_option("#household", str(elder_home.pk))
    page.fill(f"#item_{veg.pk}", "1")
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url("**/livelihood/orders/*/")
    context.close()
    elder_order = Order.objects.get(household=elder_home)
    assert elder_order.channel == Order.Channel.LEADER

    # the community closes the order and sends the volunteer
    services.group_buy_close(actor=side.worker, group_buy=gb)
    services.delivery_plan(actor=side.worker, group_buy=gb, volunteers=[side.volunteer])

    # 3. the volunteer delivers to both doors
    context, page = _page_as(browser, side.volunteer, live_server)
    page.goto(f"{live_server.url}/livelihood/group-buys/{gb.pk}/deliver/")
    for order in (mine, elder_order):
        row = page.locator(f"[data-testid=delivery-{order.number}]")
        assert order.pickup_code in row.text_content()
        row.get_by_role("button", name="已送达").click()
        page.wait_for_load_state()
    context.close()
    mine.refresh_from_db()
    assert mine.status == Order.Status.DELIVERED

    # 4. the resident confirms with the code on the bag; a wrong code first
    context, page = _page_as(browser, side.resident, live_server)
    page.goto(f"{live_server.url}/livelihood/orders/{mine.pk}/")
    wrong = "000000" if mine.pickup_code != "000000" else "111111"
    page.fill("#id_pickup_code", wrong)
    page.get_by_role("button", name="确认收货").click()
    assert "取件码不正确" in page.content()
    mine.refresh_from_db()
    assert mine.status == Order.Status.DELIVERED
    page.fill("#id_pickup_code", mine.pickup_code)
    page.get_by_role("button", name="确认收货").click()
    page.wait_for_selector("text=已签收")
    assert "已签收" in page.text_content("[data-testid=order-status]")
    context.close()
    mine.refresh_from_db()
    assert mine.status == Order.Status.RECEIVED
