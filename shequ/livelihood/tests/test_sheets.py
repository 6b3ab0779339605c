"""The merchant's order and pick lists are summed in the database; they must equal a hand count (and the pure
in-memory aggregation) whatever the number of lines."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from shequ.core.jurisdiction import SYSTEM
from shequ.ledger import services as ledger
from shequ.livelihood import optimise, selectors, services
from shequ.livelihood.models import Merchant, OrderLine
from shequ.places import services as places
from shequ.places.models import Level


def _two_building_buy(world):
    side = world.a
    merchant = services.merchant_create(
        actor=side.worker, name="汇总超市", kind=Merchant.Kind.SUPERMARKET, areas=[side.community]
    )
    gb = services.group_buy_create(
        actor=side.worker,
        merchant=merchant,
        place=side.compound,
        title="汇总团",
        cutoff_at=timezone.now() + timedelta(hours=6),
        items=[
            {"name": "蔬菜包", "unit": "份", "price": "39.90", "limit_per_household": 3},
            {"name": "鸡蛋", "unit": "盒", "price": "18", "limit_per_household": 2},
            {"name": "大米", "unit": "袋", "price": "55.50", "limit_per_household": 1},
        ],
    )
    veg, eggs, rice = gb.items.order_by("sort", "id")
    five = places.place_create(actor=SYSTEM, level=Level.BUILDING, name="5栋", parent=side.compound)
    unit = places.place_create(actor=SYSTEM, level=Level.UNIT, name="1单元", parent=five)
    d101 = places.dwelling_create(actor=SYSTEM, unit=unit, room="101", floor=1)
    d102 = places.dwelling_create(actor=SYSTEM, unit=unit, room="102", floor=1)
    h101 = ledger.household_create(actor=SYSTEM, dwelling=d101)
    h102 = ledger.household_create(actor=SYSTEM, dwelling=d102)
    from shequ.ledger.models import Household

    elder_home = Household.objects.get(dwelling=side.dwellings[1])
    place = services.order_place
    a = place(actor=side.worker, group_buy=gb, household=side.household, quantities={veg.pk: 2, rice.pk: 1})
    b = place(actor=side.worker, group_buy=gb, household=elder_home, quantities={eggs.pk: 1, veg.pk: 1})
    c = place(actor=side.worker, group_buy=gb, household=h101, quantities={rice.pk: 1, eggs.pk: 2, veg.pk: 3})
    cancelled = place(actor=side.worker, group_buy=gb, household=h102, quantities={veg.pk: 3})
    services.order_cancel(actor=side.worker, order=cancelled)
    return gb, five, (a, b, c)


def test_sheets_match_a_hand_count(world):
    gb, five, (a, b, c) = _two_building_buy(world)
    sheets = selectors.group_buy_sheets(gb)
    # 蔬菜包 2+1+3 = 6 × 39.90; 鸡蛋 1+2 = 3 × 18; 大米 1+1 = 2 × 55.50; the cancelled order counts for nothing.
    assert [(r["name"], r["quantity"], r["amount"]) for r in sheets["merchant"]] == sorted(
        [("蔬菜包", 6, Decimal("239.40")), ("鸡蛋", 3, Decimal("54.00")), ("大米", 2, Decimal("111.00"))]
    )
    assert sheets["amount"] == Decimal("404.40")
    by_name = {p["building_obj"].name: p for p in sheets["picks"]}
    assert set(by_name) == {"3栋", "5栋"}
    three, fifth = by_name["3栋"], by_name["5栋"]
    assert three["totals"] == {"蔬菜包": 3, "鸡蛋": 1, "大米": 1}
    assert list(three["totals"]) == ["蔬菜包", "鸡蛋", "大米"]  # in the group buy's item order
    assert fifth["totals"] == {"蔬菜包": 3, "鸡蛋": 2, "大米": 1}
    assert [(e["order"], e["pickup_code"], e["items"]) for e in three["orders"]] == [
        (a.pk, a.pickup_code, [("蔬菜包", 2, "份"), ("大米", 1, "袋")]),
        (b.pk, b.pickup_code, [("蔬菜包", 1, "份"), ("鸡蛋", 1, "盒")]),
    ]
    assert [e["dwelling"] for e in three["orders"]] == [a.dwelling.address, b.dwelling.address]
    assert [(e["order"], e["items"]) for e in fifth["orders"]] == [
        (c.pk, [("蔬菜包", 3, "份"), ("鸡蛋", 2, "盒"), ("大米", 1, "袋")])
    ]


def test_sheets_agree_with_the_in_memory_aggregation(world):
    gb, _five, _orders = _two_building_buy(world)
    lines = [
        optimise.Line(
            ln.order_id,
            ln.order.building_id,
            ln.order.dwelling.address,
            ln.order.pickup_code,
            ln.item_id,
            ln.item.name,
            ln.item.unit,
            ln.quantity,
            ln.price,
        )
        for ln in OrderLine.objects.filter(order__group_buy=gb)
        .exclude(order__status="cancelled")
        .select_related("order__dwelling", "item")
        .order_by("order_id", "item__sort", "item_id")
    ]
    merchant, picks = optimise.aggregate(lines)
    sheets = selectors.group_buy_sheets(gb)
    keep = ("name", "unit", "quantity", "amount")
    assert [{k: r[k] for k in keep} for r in sheets["merchant"]] == [
        {k: r[k] for k in keep} for r in merchant
    ]
    expected = {p["building"]: p for p in picks}
    assert len(sheets["picks"]) == len(expected)
    for p in sheets["picks"]:
        assert p["totals"] == expected[p["building"]]["totals"]
        assert p["orders"] == expected[p["building"]]["orders"]
