"""The stock overview is cached; the cache must never show a figure that a stock movement, a norm change or a
change of who lives where has made wrong — also when another process moved the stock (its cache bump unseen)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache

from shequ.ledger import services as ledger
from shequ.ledger.models import Residency
from shequ.supplies import forms, selectors, services
from shequ.supplies.testing import catalogue


@pytest.fixture
def items(world):
    return catalogue(world)


@pytest.fixture
def store_a(world):
    return services.store_create(actor=world.a.worker, place=world.a.community, code="A1", name="A社区仓库")


def _row(summary, code):
    return next(r for r in summary["rows"] if r["item"].code == code)


def test_summary_follows_every_movement_even_when_the_cache_bump_is_lost(world, items, store_a):
    mask = items["MASK-N95"]  # 1 per person per day; community A has three residents
    services.stock_receive(actor=world.a.worker, store=store_a, item=mask, quantity=30)
    first = selectors.stock_summary(actor=world.a.worker)
    assert (
        _row(first, "MASK-N95")["usable"] == Decimal(30) and _row(first, "MASK-N95")["days_of_cover"] == 10.0
    )
    assert selectors.stock_summary(actor=world.a.worker) == first  # served from the cache
    counter = cache.get(selectors.STOCK_VERSION_KEY)
    services.stock_issue(actor=world.a.worker, store=store_a, item=mask, quantity=15, recipient="卡口")
    # as if the issue had happened in another worker process: its bump of the cache counter never arrives here
    cache.set(selectors.STOCK_VERSION_KEY, counter, None)
    after = selectors.stock_summary(actor=world.a.worker)
    assert (
        _row(after, "MASK-N95")["usable"] == Decimal(15) and _row(after, "MASK-N95")["days_of_cover"] == 5.0
    )


def test_summary_follows_a_norm_change(world, items, store_a):
    mask = items["MASK-N95"]
    services.stock_receive(actor=world.a.worker, store=store_a, item=mask, quantity=30)
    assert _row(selectors.stock_summary(actor=world.a.worker), "MASK-N95")["days_of_cover"] == 10.0
    counter = cache.get(selectors.STOCK_VERSION_KEY)
    services.item_set_norm(actor=world.street_officer, item=mask, norm="2")
    cache.set(selectors.STOCK_VERSION_KEY, counter, None)
    summary = selectors.stock_summary(actor=world.a.worker)
    assert _row(summary, "MASK-N95")["days_of_cover"] == 5.0
    assert summary["short_items"] == 1  # under 7 days now


def test_population_change_reaches_the_cached_overview_and_store_page(world, items, store_a):
    mask = items["MASK-N95"]
    services.stock_receive(actor=world.a.worker, store=store_a, item=mask, quantity=40)
    assert selectors.scope_population(world.a.worker) == 3
    assert selectors.stock_summary(actor=world.a.worker)["population"] == 3
    store_row = {r["item"].code: r for r in selectors.stock_for_store(store=store_a)}["MASK-N95"]
    assert store_row["days_of_cover"] == round(40 / 3, 1)
    # a fourth person moves into community A (a ledger write: no stock movement, no supplies code involved)
    newcomer = ledger.person_create(actor=world.a.worker, community=world.a.community, name="新住户", sex="F")
    ledger.residency_create(
        actor=world.a.worker,
        person=newcomer,
        dwelling=world.a.dwellings[2],
        role=Residency.Role.TENANT,
        since=date(2024, 1, 1),
    )
    assert selectors.scope_population(world.a.worker) == 4
    summary = selectors.stock_summary(actor=world.a.worker)
    assert summary["population"] == 4 and _row(summary, "MASK-N95")["days_of_cover"] == 10.0
    store_row = {r["item"].code: r for r in selectors.stock_for_store(store=store_a)}["MASK-N95"]
    assert store_row["days_of_cover"] == 10.0
    # and B's figures never moved
    assert selectors.scope_population(world.b.worker) == 3


def test_population_is_not_recounted_without_a_change(world, django_assert_num_queries):
    selectors.scope_population(world.a.worker)
    with django_assert_num_queries(1):  # only the look for newer audit events; no count of people
        assert selectors.scope_population(world.a.worker) == 3


def test_long_select_renders_like_a_select_and_escapes(world, items):
    qs = selectors.items_visible_to(world.a.worker)
    shared = forms.OptionList([("", "---------"), *((i.pk, str(i)) for i in selectors.item_refs(qs))])
    mask = items["MASK-N95"]
    blank = forms.IssueForm(items=qs, item_choices=shared, prefix="i")
    html = str(blank["item"])
    assert html.count("<option") == len(items) + 1
    assert '<option value="" selected>---------</option>' in html
    assert f'<option value="{mask.pk}">口罩(KN95)</option>' in html
    assert 'name="i-item"' in html and 'id="id_i-item"' in html and "required" in html
    bound = forms.IssueForm({"i-item": str(mask.pk)}, items=qs, item_choices=shared, prefix="i")
    html = str(bound["item"])
    assert f'<option value="{mask.pk}" selected>' in html and '<option value="" selected>' not in html
    # the same shared list in another form is unaffected by that selection
    assert f'<option value="{mask.pk}" selected>' not in str(
        forms.ReceiptForm(items=qs, item_choices=shared)["item"]
    )
    # labels are escaped
    risky = forms.OptionList([("", "---------"), (1, "<b>&</b>")])
    form = forms.IssueForm(items=qs, item_choices=risky)
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in str(form["item"]) and "<b>" not in str(form["item"])
    # validation still goes through the scoped queryset, not the label list
    assert not forms.IssueForm({"item": "999999", "quantity": "1", "recipient": "x"}, items=qs).is_valid()


def test_overview_api_matches_the_page_figures_and_is_scoped(world, items, store_a, client_for):
    store_b = services.store_create(
        actor=world.b.worker, place=world.b.community, code="B1", name="B社区仓库"
    )
    mask, glove = items["MASK-N95"], items["GLOVE"]
    services.stock_receive(actor=world.a.worker, store=store_a, item=mask, quantity=12)
    services.stock_receive(actor=world.a.worker, store=store_a, item=glove, quantity=30)
    services.stock_receive(actor=world.b.worker, store=store_b, item=mask, quantity=999)
    services.reorder_level_set(actor=world.a.worker, store=store_a, item=mask, level=20)
    body = client_for(world.a.worker).get("/api/v1/supplies/stock/").json()
    assert body["population"] == 3 and body["stores"] == 1 and body["count"] == 2
    rows = {r["item"]["code"]: r for r in body["results"]}
    # A's stock only (B's 999 masks are not counted); shortest cover first: masks 12/3 = 4 days, gloves 30/1.5
    assert [r["item"]["code"] for r in body["results"]] == ["MASK-N95", "GLOVE"]
    assert rows["MASK-N95"]["usable"] == "12.000" and rows["MASK-N95"]["days_of_cover"] == 4.0
    assert rows["GLOVE"]["days_of_cover"] == 20.0
    assert body["short_items"] == 1
    assert [(a["store_name"], a["item"]) for a in body["reorder"]] == [("A社区仓库", mask.pk)]
    one = client_for(world.a.worker).get("/api/v1/supplies/stock/?page_size=1").json()
    assert len(one["results"]) == 1 and one["next"]
    officer = client_for(world.street_officer).get("/api/v1/supplies/stock/").json()
    assert {r["item"]["code"]: r["usable"] for r in officer["results"]}["MASK-N95"] == "1011.000"
    assert client_for(world.a.resident).get("/api/v1/supplies/stock/").status_code == 403


def test_summary_brought_up_to_date_equals_a_full_pass(world, items, store_a, monkeypatch):
    """After movements the cached summary is patched for the touched items only; it must equal a full pass."""
    from datetime import timedelta

    from django.utils import timezone

    officer = world.street_officer
    street = services.store_create(actor=officer, place=world.street, code="S1", name="街道仓库")
    store_b = services.store_create(
        actor=world.b.worker, place=world.b.community, code="B1", name="B社区仓库"
    )
    soon = timezone.localdate() + timedelta(days=5)
    services.stock_receive(actor=officer, store=street, item=items["MASK-N95"], quantity=500)
    services.stock_receive(actor=officer, store=street, item=items["GLOVE"], quantity=40, expires_on=soon)
    services.stock_receive(actor=world.b.worker, store=store_b, item=items["DISINF"], quantity="7.5")
    first = selectors.stock_summary(actor=officer)
    assert first["expiring_lots"] == 1
    # movements: an issue, a receipt of an item the street never held, a transfer between two stores
    services.stock_issue(actor=officer, store=street, item=items["MASK-N95"], quantity=120, recipient="卡口")
    services.stock_receive(
        actor=world.a.worker, store=store_a, item=items["SUIT"], quantity=9, expires_on=soon
    )
    services.stock_transfer(
        actor=officer, from_store=street, to_store=store_a, item=items["GLOVE"], quantity=15, note=""
    )
    full_pass = selectors._stock_summary
    with monkeypatch.context() as m:
        m.setattr(selectors, "_stock_summary", lambda **kw: pytest.fail("a full pass after mere movements"))
        patched = selectors.stock_summary(actor=officer)
    full = full_pass(actor=officer, plan="", today=timezone.localdate(), population=patched["population"])

    def plain(summary):
        return (
            [(r["item"].code, r["usable"], r["expiring"], r["days_of_cover"]) for r in summary["rows"]],
            summary["short_items"],
            summary["expiring_lots"],
            summary["expired_lots"],
            summary["chart"],
        )

    assert plain(patched) == plain(full)
    rows = {r["item"].code: r for r in patched["rows"]}
    assert rows["MASK-N95"]["usable"] == Decimal(380) and rows["SUIT"]["usable"] == Decimal(9)
    assert rows["GLOVE"]["usable"] == Decimal(40)  # a transfer inside the street moves nothing out of it
    assert patched["expiring_lots"] == 3  # gloves at the street store and at A, suits at A
    # a norm change is not a movement: a full pass, with the new norm
    services.item_set_norm(actor=officer, item=items["SUIT"], norm="1")
    assert {r["item"].code: r for r in selectors.stock_summary(actor=officer)["rows"]}["SUIT"][
        "days_of_cover"
    ] == round(9 / patched["population"], 1)


def test_store_stock_api_is_paginated_and_filtered_like_the_page(world, items, store_a, client_for):
    for code in ("MASK-N95", "GLOVE", "DISINF"):
        services.stock_receive(actor=world.a.worker, store=store_a, item=items[code], quantity=6)
    client = client_for(world.a.worker)
    body = client.get(f"/api/v1/supplies/stores/{store_a.pk}/stock/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    rest = client.get(body["next"]).json()
    codes = [r["item"]["code"] for r in body["results"] + rest["results"]]
    assert sorted(codes) == ["DISINF", "GLOVE", "MASK-N95"]
    masks = client.get(f"/api/v1/supplies/stores/{store_a.pk}/stock/?category=mask").json()
    assert [r["item"]["code"] for r in masks["results"]] == ["MASK-N95"]
    assert masks["results"][0]["days_of_cover"] == 2.0  # 6 masks, 3 people, 1 a day each
    assert client_for(world.b.worker).get(f"/api/v1/supplies/stores/{store_a.pk}/stock/").status_code == 404


def test_cached_store_rows_follow_movements_and_reorder_levels(world, items, store_a):
    mask = items["MASK-N95"]
    services.stock_receive(actor=world.a.worker, store=store_a, item=mask, quantity=30)
    rows = {r["item"].code: r for r in selectors.stock_for_store(store=store_a)}
    assert rows["MASK-N95"]["usable"] == Decimal(30) and not rows["MASK-N95"]["below_reorder"]
    counter = cache.get(selectors.STOCK_VERSION_KEY)
    services.reorder_level_set(actor=world.a.worker, store=store_a, item=mask, level=40)
    cache.set(selectors.STOCK_VERSION_KEY, counter, None)  # as if set by another process
    rows = {r["item"].code: r for r in selectors.stock_for_store(store=store_a)}
    assert rows["MASK-N95"]["below_reorder"] and rows["MASK-N95"]["reorder_level"] == Decimal(40)
    services.reorder_level_set(actor=world.a.worker, store=store_a, item=mask, level=10)
    cache.set(selectors.STOCK_VERSION_KEY, counter, None)
    assert not {r["item"].code: r for r in selectors.stock_for_store(store=store_a)}["MASK-N95"][
        "below_reorder"
    ]
    services.stock_issue(actor=world.a.worker, store=store_a, item=mask, quantity=25, recipient="卡口")
    cache.set(selectors.STOCK_VERSION_KEY, counter, None)
    rows = {r["item"].code: r for r in selectors.stock_for_store(store=store_a)}
    assert rows["MASK-N95"]["usable"] == Decimal(5) and rows["MASK-N95"]["below_reorder"]
    assert rows["MASK-N95"]["days_of_cover"] == round(5 / 3, 1)


def test_store_rows_a_page_at_a_time_equal_the_whole(world, items, store_a):
    for n, code in enumerate(("MASK-N95", "GLOVE", "DISINF", "SUIT")):
        services.stock_receive(actor=world.a.worker, store=store_a, item=items[code], quantity=n + 1)
    services.reorder_level_set(actor=world.a.worker, store=store_a, item=items["THERMO"], level=2)  # no stock
    rows = selectors.stock_for_store(store=store_a)
    whole = list(rows)
    assert len(rows) == 5 and [r["item"].code for r in whole] == [
        i.code
        for i in sorted((items[c] for c in items if c != "MASK-SURG"), key=lambda i: (i.category, i.code))
    ]
    assert rows[1:3] + rows[3:] == whole[1:] and rows[0] == whole[0]
    thermo = next(r for r in whole if r["item"].code == "THERMO")
    assert thermo["usable"] == 0 and thermo["below_reorder"]
    found = list(selectors.stock_for_store(store=store_a, query="消毒"))
    assert [r["item"].code for r in found] == ["DISINF"]
