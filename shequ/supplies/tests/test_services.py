from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from shequ.core.errors import DomainError
from shequ.core.models import AuditEvent
from shequ.supplies import selectors, services
from shequ.supplies.models import AllocationRound, Movement, StockLot, SupplyRequest
from shequ.supplies.testing import catalogue


@pytest.fixture
def items(world):
    return catalogue(world)


@pytest.fixture
def store_a(world):
    return services.store_create(actor=world.a.worker, place=world.a.community, code="A1", name="A社区仓库")


def _stock(store, item):
    return StockLot.objects.filter(store=store, item=item).values_list("quantity", flat=True)


def test_receive_issue_and_ledger_sum(world, items, store_a):
    mask = items["MASK-N95"]
    later = timezone.localdate() + timedelta(days=100)
    sooner = timezone.localdate() + timedelta(days=10)
    services.stock_receive(
        actor=world.a.worker, store=store_a, item=mask, quantity=100, lot_number="L2", expires_on=later
    )
    services.stock_receive(
        actor=world.a.worker, store=store_a, item=mask, quantity=30, lot_number="L1", expires_on=sooner
    )
    moves = services.stock_issue(
        actor=world.a.worker, store=store_a, item=mask, quantity=50, recipient="卡口"
    )
    # earliest expiry first
    assert [m.lot.lot_number for m in moves] == ["L1", "L2"]
    assert [m.quantity for m in moves] == [Decimal(-30), Decimal(-20)]
    totals = selectors.ledger_totals(store=store_a, item=mask)
    assert totals["stock"] == totals["ledger"] == Decimal(80)
    assert AuditEvent.objects.filter(action__startswith="stock_").count() == 4


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"quantity": 5000}, "quantity", "insufficient_stock"),
        ({"quantity": -3}, "quantity", "negative"),
        ({"quantity": "2.5"}, "quantity", "fractional_countable"),
        ({"quantity": "abc"}, "quantity", "not_a_number"),
        ({"quantity": 0}, "quantity", "zero"),
    ],
)
def test_bad_issue_is_refused_and_nothing_changes(world, items, store_a, kwargs, field, code):
    mask = items["MASK-N95"]
    services.stock_receive(actor=world.a.worker, store=store_a, item=mask, quantity=100)
    before = Movement.objects.count()
    with pytest.raises(DomainError) as exc:
        services.stock_issue(actor=world.a.worker, store=store_a, item=mask, recipient="x", **kwargs)
    assert field in exc.value.message_dict and exc.value.code == code
    assert list(_stock(store_a, mask)) == [Decimal(100)]
    assert Movement.objects.count() == before


def test_receipt_with_past_expiry_or_fraction_refused(world, items, store_a):
    with pytest.raises(DomainError) as exc:
        services.stock_receive(
            actor=world.a.worker,
            store=store_a,
            item=items["MASK-N95"],
            quantity=10,
            expires_on=timezone.localdate() - timedelta(days=1),
        )
    assert "expires_on" in exc.value.message_dict
    with pytest.raises(DomainError) as exc:
        services.stock_receive(actor=world.a.worker, store=store_a, item=items["MASK-N95"], quantity="1.5")
    assert "quantity" in exc.value.message_dict
    assert not StockLot.objects.exists() and not Movement.objects.exists()
    # measured items take decimals
    services.stock_receive(actor=world.a.worker, store=store_a, item=items["DISINF"], quantity="12.5")
    assert list(_stock(store_a, items["DISINF"])) == [Decimal("12.5")]


def test_transfer_count_and_write_off(world, items, store_a):
    officer = world.street_officer
    street_store = services.store_create(actor=officer, place=world.street, code="S1", name="街道仓库")
    mask = items["MASK-N95"]
    services.stock_receive(
        actor=officer,
        store=street_store,
        item=mask,
        quantity=100,
        lot_number="X",
        expires_on=timezone.localdate() + timedelta(days=5),
    )
    ref = services.stock_transfer(
        actor=officer, from_store=street_store, to_store=store_a, item=mask, quantity=40
    )
    assert Movement.objects.filter(reference=ref).count() == 2
    lot = StockLot.objects.get(store=store_a, item=mask)
    assert lot.quantity == 40 and lot.lot_number == "X"
    services.stock_count(actor=world.a.worker, lot=lot, counted=38, note="破损2只")
    lot.refresh_from_db()
    assert lot.quantity == 38
    moves = services.stock_write_off_expired(
        actor=world.a.worker, store=store_a, today=timezone.localdate() + timedelta(days=10)
    )
    assert len(moves) == 1
    lot.refresh_from_db()
    assert lot.quantity == 0
    totals = selectors.ledger_totals(store=store_a, item=mask)
    assert totals["stock"] == totals["ledger"] == 0


def test_other_community_cannot_move_stock(world, items, store_a):
    with pytest.raises(PermissionDenied):
        services.stock_receive(actor=world.b.worker, store=store_a, item=items["MASK-N95"], quantity=10)
    assert not StockLot.objects.exists()


def test_days_of_cover_from_population_and_plan_norm(world, items, store_a):
    mask = items["MASK-N95"]  # default 1 per person per day
    services.stock_receive(actor=world.a.worker, store=store_a, item=mask, quantity=30)
    rows = {r["item"].code: r for r in selectors.stock_for_store(store=store_a)}
    # community A has three residents living there (head, spouse, elder)
    assert rows["MASK-N95"]["days_of_cover"] == 10.0
    services.item_set_norm(actor=world.street_officer, item=mask, norm="2", plan="一级响应")
    rows = {r["item"].code: r for r in selectors.stock_for_store(store=store_a, plan="一级响应")}
    assert rows["MASK-N95"]["days_of_cover"] == 5.0
    with pytest.raises(DomainError) as exc:
        services.item_set_norm(actor=world.street_officer, item=mask, norm="-1")
    assert "daily_norm_per_person" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.item_set_norm(actor=world.a.worker, item=mask, norm="3")


def test_reorder_and_expiry_warnings(world, items, store_a):
    mask = items["MASK-N95"]
    services.stock_receive(
        actor=world.a.worker,
        store=store_a,
        item=mask,
        quantity=10,
        expires_on=timezone.localdate() + timedelta(days=3),
    )
    services.reorder_level_set(actor=world.a.worker, store=store_a, item=mask, level=20)
    assert [a["item"] for a in selectors.reorder_alerts(actor=world.a.worker)] == [mask]
    assert selectors.expiry_warnings(actor=world.a.worker).count() == 1
    assert selectors.reorder_alerts(actor=world.b.worker) == []
    assert selectors.expiry_warnings(actor=world.b.worker).count() == 0


def test_allocation_round_by_need_partial_and_receipt(world, items, store_a):
    officer = world.street_officer
    street_store = services.store_create(actor=officer, place=world.street, code="S1", name="街道仓库")
    mask = items["MASK-N95"]
    services.stock_receive(actor=officer, store=street_store, item=mask, quantity=100)
    ra = services.request_submit(
        actor=world.a.worker, place=world.a.compound, item=mask, quantity=80, team="卡口组"
    )
    rb = services.request_submit(actor=world.b.worker, place=world.b.compound, item=mask, quantity=80)
    with pytest.raises(PermissionDenied):
        services.allocation_round_create(actor=world.a.worker, store=street_store, item=mask)
    round_ = services.allocation_round_create(actor=officer, store=street_store, item=mask)
    allocations = {a.request_id: a for a in round_.allocations.all()}
    assert sum(a.quantity for a in allocations.values()) == 100
    assert all(a.quantity <= 80 for a in allocations.values())
    assert "需求得分" in allocations[ra.pk].explanation
    assert list(_stock(street_store, mask)) == [Decimal(100)]  # a draft takes nothing
    services.allocation_round_confirm(actor=officer, round_=round_)
    assert list(_stock(street_store, mask)) == [Decimal(0)]
    ra.refresh_from_db(), rb.refresh_from_db()
    assert {ra.status, rb.status} == {SupplyRequest.Status.PARTIAL}
    with pytest.raises(DomainError):
        services.allocation_round_confirm(actor=officer, round_=round_)
    # the requesting side confirms receipt into its own store
    alloc_a = allocations[ra.pk]
    with pytest.raises(PermissionDenied):
        services.allocation_confirm_receipt(actor=world.b.worker, allocation=alloc_a)
    with pytest.raises(DomainError) as exc:
        services.allocation_confirm_receipt(
            actor=world.a.worker, allocation=alloc_a, quantity=alloc_a.quantity + 1
        )
    assert "quantity" in exc.value.message_dict
    services.allocation_confirm_receipt(actor=world.a.worker, allocation=alloc_a, into_store=store_a)
    assert list(_stock(store_a, mask)) == [alloc_a.quantity]
    # an allocation round with nothing open is refused with the field named
    assert AllocationRound.objects.count() == 1


def test_allocation_weights_validated(world, items):
    officer = world.street_officer
    street_store = services.store_create(actor=officer, place=world.street, code="S1", name="街道仓库")
    services.request_submit(actor=world.a.worker, place=world.a.compound, item=items["GLOVE"], quantity=5)
    with pytest.raises(DomainError) as exc:
        services.allocation_round_create(
            actor=officer, store=street_store, item=items["GLOVE"], weights={"population": "-1"}
        )
    assert "w_population" in exc.value.message_dict
    assert not AllocationRound.objects.exists()


def test_zone_status_raises_priority(world, items, monkeypatch):
    from shequ.supplies import allocation as alloc

    needs = [
        alloc.Need(key=1, asked=Decimal(100), population=100, zone="sealed"),
        alloc.Need(key=2, asked=Decimal(100), population=100, zone=""),
    ]
    shares = {s.key: s.quantity for s in alloc.allocate(Decimal(100), needs)}
    assert shares[1] > shares[2]
    assert selectors.normalize_zone("封控区") == "sealed"
    assert selectors.normalize_zone("管控区") == "controlled"


def test_compound_in_a_sealed_zone_gets_priority(world, items):
    """The zone comes from the epidemic app's control zones (a 封控区 set on compound A by its incident)."""
    from shequ.emergency.testing import activate
    from shequ.epidemic import services as epidemic

    officer = world.street_officer
    street_store = services.store_create(actor=officer, place=world.street, code="S1", name="街道仓库")
    mask = items["MASK-N95"]
    services.stock_receive(actor=officer, store=street_store, item=mask, quantity=100)
    ra = services.request_submit(actor=world.a.worker, place=world.a.compound, item=mask, quantity=100)
    rb = services.request_submit(actor=world.b.worker, place=world.b.compound, item=mask, quantity=100)
    before = {r.pk: n.zone for r, n in selectors.request_needs(actor=officer, store=street_store, item=mask)}
    assert before == {ra.pk: "", rb.pk: ""}
    incident = activate(world, world.a)
    zone = epidemic.zone_set(
        actor=world.a.worker, incident=incident, place=world.a.building, zone_type="封控区"
    )
    # a zone on a building counts for its compound, the strictest wins
    assert selectors.zone_statuses(actor=officer, places=[world.a.compound, world.b.compound]) == {
        world.a.compound.pk: "sealed",
        world.b.compound.pk: "",
    }
    round_ = services.allocation_round_create(actor=officer, store=street_store, item=mask)
    shares = {a.request_id: a for a in round_.allocations.all()}
    assert shares[ra.pk].factors["zone"] == "sealed" and shares[rb.pk].factors["zone"] == ""
    assert shares[ra.pk].quantity > shares[rb.pk].quantity
    assert "封控" in shares[ra.pk].explanation
    # once the zone is lifted the compound is no longer preferred
    epidemic.zone_end(actor=world.a.worker, zone=zone)
    after = {r.pk: n.zone for r, n in selectors.request_needs(actor=officer, store=street_store, item=mask)}
    assert after == {ra.pk: "", rb.pk: ""}
    # a zone the actor cannot see (B's worker sees nothing of A's incident) does not leak into their reads
    epidemic.zone_set(actor=world.a.worker, incident=incident, place=world.a.compound, zone_type="管控区")
    assert selectors.zone_statuses(actor=world.b.worker, places=[world.a.compound]) == {
        world.a.compound.pk: ""
    }
    assert selectors.zone_statuses(actor=officer, places=[world.a.community]) == {
        world.a.community.pk: "controlled"
    }
