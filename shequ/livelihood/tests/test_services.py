from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from shequ.core.errors import DomainError
from shequ.core.models import AuditEvent
from shequ.ledger import services as ledger
from shequ.livelihood import optimise, selectors, services
from shequ.livelihood.models import GroupBuy, Order, Pairing
from shequ.livelihood.testing import group_buy_for


@pytest.fixture
def gb(world):
    return group_buy_for(world, world.a, title="测试团", merchant_name="测试超市")


def _elder_household(world, side):
    from shequ.ledger.models import Household

    return Household.objects.get(dwelling=side.dwellings[1])


def test_resident_and_leader_order_then_deliver_and_confirm(world, gb):
    veg, eggs = gb.items.all()
    mine = services.order_place(
        actor=world.a.resident, group_buy=gb, household=world.a.household, quantities={veg.pk: 2, eggs.pk: 1}
    )
    assert mine.channel == Order.Channel.PHONE and mine.total == Decimal("97.80")
    elder = services.order_place(
        actor=world.a.building_leader,
        group_buy=gb,
        household=_elder_household(world, world.a),
        quantities={veg.pk: "1"},
    )
    assert elder.channel == Order.Channel.LEADER
    services.group_buy_close(actor=world.a.worker, group_buy=gb)
    sheets = selectors.group_buy_sheets(gb)
    assert {r["name"]: r["quantity"] for r in sheets["merchant"]} == {"蔬菜包": 3, "鸡蛋": 1}
    assert len(sheets["picks"]) == 1 and len(sheets["picks"][0]["orders"]) == 2
    services.delivery_plan(actor=world.a.worker, group_buy=gb, volunteers=[world.a.volunteer])
    services.order_mark_delivered(actor=world.a.volunteer, order=mine)
    mine.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.order_confirm_receipt(
            actor=world.a.resident, order=mine, code="000000" if mine.pickup_code != "000000" else "111111"
        )
    assert "pickup_code" in exc.value.message_dict
    mine.refresh_from_db()
    assert mine.status == Order.Status.DELIVERED
    services.order_confirm_receipt(actor=world.a.resident, order=mine, code=mine.pickup_code)
    mine.refresh_from_db()
    assert mine.status == Order.Status.RECEIVED
    services.order_confirm_receipt(actor=world.a.volunteer, order=elder, code=elder.pickup_code)
    gb.refresh_from_db()
    assert gb.status == GroupBuy.Status.DONE


@pytest.mark.parametrize(
    ("qty", "field_suffix", "code"),
    [
        (3, "veg", "over_limit"),
        (-1, "veg", "negative"),
        ("1.5", "veg", "fractional_countable"),
        ("x", "veg", "not_a_number"),
    ],
)
def test_bad_order_names_the_field_and_saves_nothing(world, gb, qty, field_suffix, code):
    veg = gb.items.first()
    with pytest.raises(DomainError) as exc:
        services.order_place(
            actor=world.a.resident, group_buy=gb, household=world.a.household, quantities={veg.pk: qty}
        )
    assert f"item_{veg.pk}" in exc.value.message_dict and exc.value.code == code
    assert not Order.objects.exists()


def test_order_after_cutoff_refused(world, gb):
    veg = gb.items.first()
    with pytest.raises(DomainError) as exc:
        services.order_place(
            actor=world.a.resident,
            group_buy=gb,
            household=world.a.household,
            quantities={veg.pk: 1},
            now=gb.cutoff_at + timedelta(minutes=1),
        )
    assert "cutoff_at" in exc.value.message_dict
    assert not Order.objects.exists()


def test_one_order_per_household_and_outsiders_refused(world, gb):
    veg = gb.items.first()
    services.order_place(
        actor=world.a.resident, group_buy=gb, household=world.a.household, quantities={veg.pk: 1}
    )
    with pytest.raises(DomainError) as exc:
        services.order_place(
            actor=world.a.resident, group_buy=gb, household=world.a.household, quantities={veg.pk: 1}
        )
    assert "household" in exc.value.message_dict
    # a resident cannot order for a neighbour; another community's leader cannot order here
    with pytest.raises(PermissionDenied):
        services.order_place(
            actor=world.a.resident,
            group_buy=gb,
            household=_elder_household(world, world.a),
            quantities={veg.pk: 1},
        )
    with pytest.raises(PermissionDenied):
        services.order_place(
            actor=world.b.building_leader,
            group_buy=gb,
            household=_elder_household(world, world.a),
            quantities={veg.pk: 1},
        )
    assert Order.objects.count() == 1


def test_group_buy_rules(world):
    from shequ.livelihood.models import Merchant

    m = services.merchant_create(
        actor=world.a.worker, name="B超市", kind="supermarket", areas=[world.a.community]
    )
    with pytest.raises(DomainError) as exc:
        services.group_buy_create(
            actor=world.a.worker,
            merchant=m,
            place=world.a.building,
            title="x",
            cutoff_at=timezone.now() - timedelta(hours=1),
            items=[{"name": "a", "price": 1}],
        )
    assert "cutoff_at" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.merchant_create(actor=world.a.worker, name="x", kind="market", areas=[world.b.community])
    assert Merchant.objects.count() == 1
    assert not GroupBuy.objects.exists()


def test_medicine_details_are_masked_and_reveal_is_audited(world):
    p = services.medicine_request(
        actor=world.a.worker, person=world.a.elder, details="硝苯地平缓释片 2盒、阿司匹林 1盒"
    )
    assert "硝苯地平" not in p.details_masked and "硝苯地平" not in p.details_encrypted
    assert not AuditEvent.objects.filter(after__icontains="硝苯地平").exists()
    with pytest.raises(DomainError):
        services.medicine_reveal(actor=world.a.worker, purchase=p, reason="")
    with pytest.raises(PermissionDenied):
        services.medicine_reveal(actor=world.b.worker, purchase=p, reason="核对")
    assert "硝苯地平" in services.medicine_reveal(actor=world.a.worker, purchase=p, reason="核对代购")
    assert AuditEvent.objects.filter(action="medicine_reveal", kind="reveal").count() == 1


def test_pairing_suggestions_prefer_building_and_respect_capacity(world):
    a = world.a
    ledger.duty_assign(actor=a.worker, person=a.spouse, kind="volunteer", place=a.building)
    services.helper_set_capacity(actor=a.worker, person=a.spouse, capacity=1)
    n = services.pairing_apply_suggestions(actor=a.worker, community=a.community)
    assert n == 1
    p = Pairing.objects.get(resident=a.elder)
    assert p.helper == a.spouse and p.proximity == Pairing.Proximity.BUILDING
    # capacity 1 is now full: a manual pairing of someone else is refused, nothing changes
    services.care_select(actor=a.worker, person=a.head, reason="家庭困难")
    with pytest.raises(DomainError) as exc:
        services.pairing_create(actor=a.worker, resident=a.head, helper=a.spouse)
    assert "helper" in exc.value.message_dict
    assert Pairing.objects.filter(is_active=True).count() == 1


def test_contact_gaps_and_coverage(world):
    a = world.a
    ledger.duty_assign(actor=a.worker, person=a.spouse, kind="party_member", place=a.building)
    p = services.pairing_create(actor=a.worker, resident=a.elder, helper=a.spouse)
    later = timezone.now() + timedelta(days=8)
    assert [g.pk for g in selectors.contact_gaps(actor=a.worker, now=later)] == [p.pk]
    services.contact_log(actor=a.worker, pairing=p, kind="visit", note="送菜")
    assert selectors.contact_gaps(actor=a.worker, now=timezone.now() + timedelta(days=6)) == []
    cov = selectors.coverage(actor=a.worker)
    assert cov["total"] == 1 and cov["paired"] == 1 and cov["share_covered"] == 1
    assert selectors.coverage(actor=world.b.worker)["paired"] == 0
    assert selectors.contact_gaps(actor=world.b.worker, now=later) == []
    with pytest.raises(PermissionDenied):
        services.contact_log(actor=world.b.worker, pairing=p, kind="call")


def test_optimiser_balances_and_stays_near():
    residents = [optimise.Resident(i, 1 if i < 4 else 2, 10, 100) for i in range(8)]
    helpers = [
        optimise.Helper(100, 1, 10, 100, 3),
        optimise.Helper(101, 2, 10, 100, 3),
        optimise.Helper(102, None, 10, 100, 3),
    ]
    result = optimise.pair(residents, helpers)
    assert len(result) == 8
    loads = {}
    for h, _tier in result.values():
        loads[h] = loads.get(h, 0) + 1
    assert max(loads.values()) <= 3
    assert sum(1 for r in residents if result[r.key][1] == "building") == 6


def test_balance_delivery_load():
    plan = optimise.balance({1: 10, 2: 9, 3: 5, 4: 4, 5: 1}, [7, 8])
    loads = {}
    for b, v in plan.items():
        loads[v] = loads.get(v, 0) + {1: 10, 2: 9, 3: 5, 4: 4, 5: 1}[b]
    assert sorted(loads.values()) == [14, 15]
