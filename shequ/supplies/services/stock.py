"""Stock movements: receipt, issue, transfer, count and write-off. Stock is only ever taken with a conditional
UPDATE (quantity >= n) with a CHECK constraint under it; every movement is a ledger row and an audit event."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.supplies import policies
from shequ.supplies.models import Item, Movement, StockLot, Store
from shequ.supplies.parsing import format_quantity, parse_quantity
from shequ.supplies.services._common import check_item_store, new_number, record_movement, take


def _lot_for(*, store: Store, item: Item, lot_number: str, expires_on: date | None, today: date) -> StockLot:
    """The store's lot of this item with this number and expiry, made on first receipt."""
    lot = StockLot.objects.filter(
        store=store, item=item, lot_number=lot_number, expires_on=expires_on
    ).first()
    if lot is not None:
        return lot
    try:
        with transaction.atomic():
            return StockLot.objects.create(
                store=store, item=item, lot_number=lot_number, expires_on=expires_on, received_on=today
            )
    except IntegrityError:  # created at the same moment by someone else
        return StockLot.objects.get(store=store, item=item, lot_number=lot_number, expires_on=expires_on)


def _put(
    *,
    actor: Actor,
    store: Store,
    item: Item,
    qty: Decimal,
    lot_number: str,
    expires_on: date | None,
    reference: str,
    note: str,
    kind: str,
    other_store: Store | None = None,
) -> Movement:
    """Add `qty` to the store's lot (a receipt, or the receiving half of a transfer)."""
    lot = _lot_for(
        store=store,
        item=item,
        lot_number=(lot_number or "").strip()[:40],
        expires_on=expires_on,
        today=timezone.localdate(),
    )
    StockLot.objects.filter(pk=lot.pk).update(quantity=F("quantity") + qty)
    lot.store, lot.item = store, item
    return record_movement(
        actor=actor, kind=kind, lot=lot, quantity=qty, other_store=other_store, reference=reference, note=note
    )


@transaction.atomic
def stock_receive(
    *,
    actor: Actor,
    store: Store,
    item: Item,
    quantity,
    lot_number: str = "",
    expires_on: date | None = None,
    reference: str = "",
    note: str = "",
) -> Movement:
    """入库: stock arrives in a store, with its lot and expiry. An expiry date already past is refused."""
    policies.require_manage_store(actor, store)
    check_item_store(store, item)
    qty = parse_quantity(item, quantity)
    if expires_on is not None and expires_on < timezone.localdate():
        raise DomainError(
            gettext("有效期(%(date)s)早于今天,已过期物资不能入库") % {"date": f"{expires_on:%Y-%m-%d}"},
            field="expires_on",
            code="expired",
        )
    return _put(
        actor=actor,
        store=store,
        item=item,
        qty=qty,
        lot_number=lot_number,
        expires_on=expires_on,
        reference=reference,
        note=note,
        kind=Movement.Kind.RECEIPT,
    )


@transaction.atomic
def stock_issue(
    *,
    actor: Actor,
    store: Store,
    item: Item,
    quantity,
    recipient: str = "",
    note: str = "",
    reference: str = "",
    lot: StockLot | None = None,
) -> list[Movement]:
    """出库: issue stock to a recipient. Never below zero, also when many issue the last units at once."""
    policies.require_manage_store(actor, store)
    check_item_store(store, item)
    qty = parse_quantity(item, quantity)
    if lot is not None and (lot.store_id != store.pk or lot.item_id != item.pk):
        raise DomainError(gettext("批次不属于该仓库或物资"), field="lot")
    taken = take(
        actor=actor,
        store=store,
        item=item,
        qty=qty,
        kind=Movement.Kind.ISSUE,
        reference=reference,
        recipient=(recipient or "").strip(),
        note=note,
        lot=lot,
    )
    return [m for _lot, _n, m in taken]


@transaction.atomic
def stock_transfer(
    *, actor: Actor, from_store: Store, to_store: Store, item: Item, quantity, note: str = ""
) -> str:
    """调拨: out of one store and into another, lot by lot (lot numbers and expiry travel with the stock)."""
    policies.require_manage_store(actor, from_store)
    if to_store.pk == from_store.pk:
        raise DomainError(gettext("调入仓库不能与调出仓库相同"), field="to_store")
    if to_store.place.street_id != from_store.place.street_id:
        raise DomainError(gettext("只能在本街道仓库之间调拨"), field="to_store")
    check_item_store(from_store, item)
    check_item_store(to_store, item)
    qty = parse_quantity(item, quantity)
    reference = new_number("DB")
    taken = take(
        actor=actor,
        store=from_store,
        item=item,
        qty=qty,
        kind=Movement.Kind.TRANSFER_OUT,
        reference=reference,
        recipient=to_store.name,
        note=note,
        other_store=to_store,
    )
    today = timezone.localdate()
    for lot, n, _movement_row in taken:
        _put(
            actor=actor,
            store=to_store,
            item=item,
            qty=n,
            lot_number=lot.lot_number,
            # Only unexpired lots are taken; a lot that expired meanwhile arrives without a date.
            expires_on=lot.expires_on if (lot.expires_on is None or lot.expires_on >= today) else None,
            reference=reference,
            note=note,
            kind=Movement.Kind.TRANSFER_IN,
            other_store=from_store,
        )
    return reference


@transaction.atomic
def stock_count(*, actor: Actor, lot: StockLot, counted, note: str = "") -> Movement | None:
    """盘点: record the counted quantity of a lot; the difference becomes an adjustment movement."""
    policies.require_manage_store(actor, lot.store)
    value = parse_quantity(lot.item, counted, field="counted", allow_zero=True)
    current = StockLot.objects.values_list("quantity", flat=True).get(pk=lot.pk)
    delta = value - current
    if delta == 0:
        return None
    rows = StockLot.objects.filter(pk=lot.pk, quantity=current).update(quantity=value)
    if not rows:
        raise DomainError(gettext("盘点期间库存有变动,请刷新后重新盘点"), field="counted", code="changed")
    return record_movement(
        actor=actor,
        kind=Movement.Kind.ADJUSTMENT,
        lot=lot,
        quantity=delta,
        note=note or f"盘点数 {format_quantity(value)}",
    )


@transaction.atomic
def stock_write_off_expired(*, actor: Actor, store: Store, today: date | None = None) -> list[Movement]:
    """过期报废: every lot of the store past its expiry is written off to zero."""
    policies.require_manage_store(actor, store)
    today = today or timezone.localdate()
    movements = []
    for lot in StockLot.objects.filter(store=store, quantity__gt=0, expires_on__lt=today).select_related(
        "item", "store__place"
    ):
        n = lot.quantity
        if StockLot.objects.filter(pk=lot.pk, quantity=n).update(quantity=0):
            movements.append(
                record_movement(
                    actor=actor,
                    kind=Movement.Kind.WRITE_OFF,
                    lot=lot,
                    quantity=-n,
                    note=f"有效期至 {lot.expires_on:%Y-%m-%d}",
                )
            )
    return movements
