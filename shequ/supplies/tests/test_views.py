import pytest
from django.urls import reverse

from shequ.supplies import services
from shequ.supplies.models import Movement, StockLot, Store, SupplyRequest
from shequ.supplies.testing import catalogue, populate


@pytest.fixture
def data(world):
    populate(world)
    items = catalogue(world)
    from shequ.supplies.models import Store

    store_a = Store.objects.get(code="A-STORE")
    store_b = Store.objects.get(code="B-STORE")
    req_b = SupplyRequest.objects.get(team="乙号消杀队")
    street = Store.objects.get(code="ST-STORE")
    round_ = services.allocation_round_create(actor=world.street_officer, store=street, item=items["DISINF"])
    return {"items": items, "store_a": store_a, "store_b": store_b, "req_b": req_b, "round": round_}


def test_pages_render_for_worker(client_a, data):
    for url in [
        reverse("supplies:stock"),
        reverse("supplies:ledger"),
        reverse("supplies:requests"),
        reverse("supplies:catalogue"),
        reverse("supplies:store_detail", args=[data["store_a"].pk]),
    ]:
        response = client_a.get(url)
        assert response.status_code == 200, url
    body = client_a.get(reverse("supplies:stock")).content.decode()
    for secret in ("老街储备仓乙号",):
        assert secret not in body


def test_other_community_is_404_and_nothing_changes(client_a, data):
    store_b, req_b = data["store_b"], data["req_b"]
    before = (Movement.objects.count(), list(StockLot.objects.values_list("quantity", flat=True)))
    mask = data["items"]["MASK-N95"]
    for url, payload in [
        (reverse("supplies:store_detail", args=[store_b.pk]), None),
        (
            reverse("supplies:store_issue", args=[store_b.pk]),
            {"i-item": mask.pk, "i-quantity": "5", "i-recipient": "x"},
        ),
        (reverse("supplies:store_write_off", args=[store_b.pk]), {}),
        (reverse("supplies:request_detail", args=[req_b.pk]), None),
        (reverse("supplies:request_cancel", args=[req_b.pk]), {}),
        (reverse("supplies:round_detail", args=[data["round"].pk]), None),
    ]:
        response = client_a.post(url, payload) if payload is not None else client_a.get(url)
        assert response.status_code == 404, url
    req_b.refresh_from_db()
    assert req_b.status == SupplyRequest.Status.SUBMITTED
    assert before == (Movement.objects.count(), list(StockLot.objects.values_list("quantity", flat=True)))


def test_issue_too_much_shows_the_field_and_changes_nothing(client_a, data):
    mask = data["items"]["MASK-N95"]
    store = data["store_a"]
    before = Movement.objects.count()
    response = client_a.post(
        reverse("supplies:store_issue", args=[store.pk]),
        {"i-item": mask.pk, "i-quantity": "100000", "i-recipient": "卡口"},
    )
    assert response.status_code == 400
    assert "库存不足" in response.content.decode()
    assert Movement.objects.count() == before
    response = client_a.post(
        reverse("supplies:store_receive", args=[store.pk]),
        {"i-item": "", "r-item": mask.pk, "r-quantity": "-2"},
    )
    assert response.status_code == 400 and "数量不能为负数" in response.content.decode()
    assert Movement.objects.count() == before


def test_api_scoped_and_validates(client_a, data, world):
    store_b = data["store_b"]
    mask = data["items"]["MASK-N95"]
    assert client_a.get(f"/api/v1/supplies/stores/{store_b.pk}/").status_code == 404
    before = Movement.objects.count()
    r = client_a.post(
        f"/api/v1/supplies/stores/{store_b.pk}/issue/",
        {"item": mask.pk, "quantity": 1},
        content_type="application/json",
    )
    assert r.status_code == 404
    store_a = data["store_a"]
    r = client_a.post(
        f"/api/v1/supplies/stores/{store_a.pk}/issue/",
        {"item": mask.pk, "quantity": "1.5"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "quantity" in r.json()
    r = client_a.post(
        f"/api/v1/supplies/stores/{store_a.pk}/issue/",
        {"item": mask.pk, "quantity": 3, "recipient": "x"},
        content_type="application/json",
    )
    assert r.status_code == 201
    assert Movement.objects.count() == before + 1
    r = client_a.get(f"/api/v1/supplies/stores/{store_a.pk}/stock/")
    assert r.status_code == 200 and r.json()["results"][0]["days_of_cover"] is not None
    assert r.json()["count"] == len(r.json()["results"])  # a handful of items: one page
    ids = {row["id"] for row in client_a.get("/api/v1/supplies/requests/").json()["results"]}
    assert data["req_b"].pk not in ids
    r = client_a.post(
        f"/api/v1/supplies/requests/{data['req_b'].pk}/receive/", {}, content_type="application/json"
    )
    assert r.status_code == 404
    r = client_a.post(
        "/api/v1/supplies/rounds/",
        {"store": data["store_b"].pk, "item": mask.pk},
        content_type="application/json",
    )
    assert r.status_code in (400, 403)


def test_each_store_action_has_its_own_post_view(client_a, data, world):
    """The store page's forms post to one view per action; each answers with a redirect to the page."""
    store = data["store_a"]
    mask = data["items"]["MASK-N95"]
    page = reverse("supplies:store_detail", args=[store.pk])
    body = client_a.get(page).content.decode()
    for name in ("receive", "issue", "transfer", "reorder", "count", "write_off"):
        url = reverse(f"supplies:store_{name}", args=[store.pk])
        assert f'action="{url}"' in body, name
        assert client_a.get(url).status_code == 405, name
    assert client_a.post(page, {"i-item": mask.pk, "i-quantity": "1", "i-recipient": "x"}).status_code == 405
    street = Store.objects.get(code="ST-STORE")
    steps = [
        ("receive", {"r-item": mask.pk, "r-quantity": "10", "r-lot_number": "L9"}),
        ("issue", {"i-item": mask.pk, "i-quantity": "2", "i-recipient": "卡口"}),
        ("transfer", {"t-item": mask.pk, "t-quantity": "3", "t-to_store": street.pk}),
        ("reorder", {"o-item": mask.pk, "o-level": "50"}),
    ]
    for name, payload in steps:
        before = Movement.objects.count()
        response = client_a.post(reverse(f"supplies:store_{name}", args=[store.pk]), payload)
        assert response.status_code == 302 and response["Location"] == page, (name, response.status_code)
        assert Movement.objects.count() >= before
    lot = StockLot.objects.get(store=store, lot_number="L9")
    response = client_a.post(
        reverse("supplies:store_count", args=[store.pk]), {"c-lot": lot.pk, "c-counted": "7"}
    )
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.quantity == 7
    response = client_a.post(reverse("supplies:store_write_off", args=[store.pk]))
    assert response.status_code == 302
    response = client_a.post(
        reverse("supplies:store_count", args=[store.pk]), {"c-lot": lot.pk, "c-counted": "-1"}
    )
    assert response.status_code == 400 and "数量不能为负数" in response.content.decode()
