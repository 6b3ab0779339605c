import pytest
from django.urls import reverse

from shequ.livelihood.models import Contact, GroupBuy, MedicinePurchase, Order, Pairing
from shequ.livelihood.testing import populate


@pytest.fixture
def data(world):
    populate(world)
    return {
        "gb_b": GroupBuy.objects.get(title="老街乙栋平价菜团"),
        "gb_a": GroupBuy.objects.get(title="阳光3栋蔬菜团"),
        "order_b": Order.objects.get(group_buy__title="老街乙栋平价菜团"),
        "pairing_b": Pairing.objects.get(resident=world.b.elder),
        "med_b": MedicinePurchase.objects.get(person=world.b.elder),
    }


def test_pages_render(client_a, data, client_for, world):
    for url in [
        reverse("livelihood:index"),
        reverse("livelihood:merchants"),
        reverse("livelihood:group_buy_new"),
        reverse("livelihood:group_buy", args=[data["gb_a"].pk]),
        reverse("livelihood:group_buy_order", args=[data["gb_a"].pk]),
        reverse("livelihood:sheets", args=[data["gb_a"].pk]),
        reverse("livelihood:deliver", args=[data["gb_a"].pk]),
        reverse("livelihood:medicine"),
        reverse("livelihood:pairing"),
    ]:
        response = client_a.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "乙" not in body, url
    resident = client_for(world.a.resident)
    assert resident.get(reverse("livelihood:group_buy_order", args=[data["gb_a"].pk])).status_code == 200
    assert resident.get(reverse("livelihood:group_buy_order", args=[data["gb_b"].pk])).status_code == 404


def test_other_community_is_404_and_nothing_changes(client_a, data):
    gb_b, order_b = data["gb_b"], data["order_b"]
    item = gb_b.items.first()
    before = (Order.objects.count(), Contact.objects.count(), Pairing.objects.filter(is_active=True).count())
    checks = [
        (reverse("livelihood:group_buy", args=[gb_b.pk]), None),
        (reverse("livelihood:group_buy", args=[gb_b.pk]), {"action": "close"}),
        (reverse("livelihood:group_buy_order", args=[gb_b.pk]), {"household": "1", f"item_{item.pk}": "1"}),
        (reverse("livelihood:sheets", args=[gb_b.pk]), None),
        (reverse("livelihood:deliver", args=[gb_b.pk]), {"order": order_b.pk}),
        (reverse("livelihood:order", args=[order_b.pk]), {"pickup_code": order_b.pickup_code}),
        (
            reverse("livelihood:medicine_detail", args=[data["med_b"].pk]),
            {"action": "reveal", "reason": "看看"},
        ),
        (
            reverse("livelihood:pairing_detail", args=[data["pairing_b"].pk]),
            {"action": "contact", "kind": "call"},
        ),
        (reverse("livelihood:pairing_detail", args=[data["pairing_b"].pk]), {"action": "end"}),
    ]
    for url, payload in checks:
        response = client_a.post(url, payload) if payload is not None else client_a.get(url)
        assert response.status_code == 404, url
    gb_b.refresh_from_db(), order_b.refresh_from_db()
    assert gb_b.status == GroupBuy.Status.OPEN and order_b.status == Order.Status.PLACED
    assert before == (
        Order.objects.count(),
        Contact.objects.count(),
        Pairing.objects.filter(is_active=True).count(),
    )


def test_order_page_over_limit_names_item(client_for, world, data):
    gb = data["gb_a"]
    veg = gb.items.first()
    leader = client_for(world.a.building_leader)
    from shequ.ledger.models import Household

    elder_home = Household.objects.get(dwelling=world.a.dwellings[1])
    response = leader.post(
        reverse("livelihood:group_buy_order", args=[gb.pk]),
        {"household": elder_home.pk, f"item_{veg.pk}": "5"},
    )
    assert response.status_code == 400
    assert "每户限购" in response.content.decode()
    assert not Order.objects.filter(household=elder_home).exists()
    response = leader.post(
        reverse("livelihood:group_buy_order", args=[gb.pk]),
        {"household": elder_home.pk, f"item_{veg.pk}": "1"},
    )
    assert response.status_code == 302
    assert Order.objects.get(household=elder_home).channel == Order.Channel.LEADER


def test_wrong_pickup_code_refused_on_page(client_for, world, data):
    from shequ.livelihood import services

    gb = data["gb_a"]
    services.group_buy_close(actor=world.a.worker, group_buy=gb)
    services.delivery_plan(actor=world.a.worker, group_buy=gb, volunteers=[world.a.volunteer])
    order = Order.objects.get(group_buy=gb)
    services.order_mark_delivered(actor=world.a.volunteer, order=order)
    resident = client_for(world.a.resident)
    wrong = "123456" if order.pickup_code != "123456" else "654321"
    response = resident.post(reverse("livelihood:order", args=[order.pk]), {"pickup_code": wrong})
    assert response.status_code == 400 and "取件码不正确" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED


def test_api_scoped_and_validates(client_a, client_for, world, data):
    gb_a, gb_b, order_b = data["gb_a"], data["gb_b"], data["order_b"]
    assert client_a.get(f"/api/v1/livelihood/group-buys/{gb_b.pk}/").status_code == 404
    assert (
        client_a.post(
            f"/api/v1/livelihood/orders/{order_b.pk}/confirm/",
            {"pickup_code": order_b.pickup_code},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        client_a.post(
            f"/api/v1/livelihood/medicine/{data['med_b'].pk}/reveal/",
            {"reason": "核对"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        client_a.post(
            f"/api/v1/livelihood/pairings/{data['pairing_b'].pk}/contacts/",
            {"kind": "call"},
            content_type="application/json",
        ).status_code
        == 404
    )
    order_b.refresh_from_db()
    assert order_b.status == Order.Status.PLACED
    from shequ.ledger.models import Household

    elder_home = Household.objects.get(dwelling=world.a.dwellings[1])
    leader = client_for(world.a.building_leader)
    veg = gb_a.items.first()
    r = leader.post(
        f"/api/v1/livelihood/group-buys/{gb_a.pk}/orders/",
        {"household": elder_home.pk, "lines": [{"item": veg.pk, "quantity": "0.5"}]},
        content_type="application/json",
    )
    assert r.status_code == 400 and f"item_{veg.pk}" in r.json()
    r = leader.post(
        f"/api/v1/livelihood/group-buys/{gb_a.pk}/orders/",
        {"household": elder_home.pk, "lines": [{"item": veg.pk, "quantity": 1}]},
        content_type="application/json",
    )
    assert r.status_code == 201
    assert client_a.get("/api/v1/livelihood/coverage/").json()["total"] == 1
    ids = {row["id"] for row in client_a.get("/api/v1/livelihood/pairings/").json()["results"]}
    assert data["pairing_b"].pk not in ids


def test_medicine_bad_status_is_a_message_not_a_500(client_a, world):
    populate(world)
    purchase = MedicinePurchase.objects.get(person=world.a.elder)
    before = purchase.status
    response = client_a.post(
        reverse("livelihood:medicine_detail", args=[purchase.pk]), {"status": "nonsense"}, follow=True
    )
    assert response.status_code == 200
    assert "状态无效" in response.content.decode()
    purchase.refresh_from_db()
    assert purchase.status == before
