"""What the supplies services share: the stock movement row with its audit event, taking stock first-expiry-
first with a conditional UPDATE, and the checks every movement makes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.core.numbers import public_number
from shequ.supplies import selectors
from shequ.supplies.models import Item, Movement, StockLot, Store
from shequ.supplies.parsing import format_quantity

__all__ = [
    "check_item_store",
    "format_quantity",
    "new_number",
    "record_movement",
    "stock_changed",
    "take",
    "user_or_none",
]


def new_number(prefix: str) -> str:
    """A public number (申领单号 SL…, 分配批次 FP…, 调拨单 DB…): prefix, date, six hex digits, e.g.
    SL20261207-3FA9C2 (the columns hold 20 characters)."""
    return public_number(prefix, entropy_bytes=3)


def user_or_none(actor: Actor):
    """The user to store on a row (`requested_by`, `actor` …): nobody when the system acts."""
    return actor if getattr(actor, "is_authenticated", False) else None


def stock_changed() -> None:
    """Bump the stock version now (this transaction's own later reads) and again on commit (everyone else's)."""
    selectors.bump_stock_version()
    transaction.on_commit(selectors.bump_stock_version)


def check_item_store(store: Store, item: Item) -> None:
    if item.street_id != store.place.street_id:
        raise DomainError(gettext("该物资不在本街道目录中"), field="item")
    if not store.is_active:
        raise DomainError(gettext("仓库已停用"), field="store")


def record_movement(
    *,
    actor: Actor,
    kind: str,
    lot: StockLot,
    quantity: Decimal,
    other_store: Store | None = None,
    reference: str = "",
    recipient: str = "",
    note: str = "",
) -> Movement:
    """One ledger row for a change of a lot's quantity (already made), with its audit event."""
    movement = Movement(
        kind=kind,
        store=lot.store,
        item=lot.item,
        lot=lot,
        quantity=quantity,
        other_store=other_store,
        reference=reference[:40],
        recipient=recipient[:100],
        note=note[:200],
        actor=user_or_none(actor),
    )
    movement.save()
    stock_changed()
    audit_record(
        actor=actor,
        kind="action",
        action=f"stock_{kind}",
        obj=movement,
        object_label=f"{lot.store.name} · {lot.item} · {format_quantity(quantity)}",
        community=lot.store.place.community,
        street=lot.store.place.street,
        after={
            "store": lot.store.code,
            "item": lot.item.code,
            "lot": lot.lot_number,
            "quantity": format_quantity(quantity),
            "reference": reference,
        },
    )
    return movement


def _insufficient(store: Store, item: Item, qty: Decimal, available: Decimal) -> DomainError:
    return DomainError(
        gettext("库存不足:%(store)s的%(item)s可用 %(available)s%(unit)s,申请 %(qty)s%(unit)s")
        % {
            "store": store.name,
            "item": item.name,
            "available": format_quantity(available),
            "unit": item.unit,
            "qty": format_quantity(qty),
        },
        field="quantity",
        code="insufficient_stock",
        extra={"available": format_quantity(available)},
    )


def _take_from_lot(lot: StockLot, wanted: Decimal) -> Decimal:
    """Take up to `wanted` from one lot: decremented only where it still holds enough (UPDATE … WHERE quantity
    >= n); when another issue got there first the lot is read again. The quantity taken (0: the lot is empty)."""
    for _attempt in range(50):
        current = StockLot.objects.filter(pk=lot.pk).values_list("quantity", flat=True).first()
        if not current or current <= 0:
            return Decimal(0)
        n = min(wanted, current)
        if StockLot.objects.filter(pk=lot.pk, quantity__gte=n).update(quantity=F("quantity") - n):
            return n
    return Decimal(0)


def take(
    *,
    actor: Actor,
    store: Store,
    item: Item,
    qty: Decimal,
    kind: str,
    reference: str,
    recipient: str,
    note: str,
    other_store: Store | None = None,
    lot: StockLot | None = None,
    today: date | None = None,
) -> list[tuple[StockLot, Decimal, Movement]]:
    """Take `qty` from the store, earliest expiry first (FEFO), or from the one `lot` given. If the whole
    quantity cannot be taken, DomainError — and the caller's transaction undoes partial takes."""
    today = today or timezone.localdate()
    available = selectors.available_quantity(store, item, today=today) if lot is None else lot.quantity
    if qty > available:
        raise _insufficient(store, item, qty, available)
    lots = [lot] if lot is not None else list(selectors.issuable_lots(store, item, today=today))
    remaining = qty
    taken: list[tuple[StockLot, Decimal, Movement]] = []
    for candidate in lots:
        if remaining <= 0:
            break
        n = _take_from_lot(candidate, remaining)
        if not n:
            continue
        candidate.store, candidate.item = store, item
        movement = record_movement(
            actor=actor,
            kind=kind,
            lot=candidate,
            quantity=-n,
            other_store=other_store,
            reference=reference,
            recipient=recipient,
            note=note,
        )
        taken.append((candidate, n, movement))
        remaining -= n
    if remaining > 0:
        raise DomainError(
            gettext("库存不足:%(store)s的%(item)s已被其他人领走,剩余不够 %(qty)s%(unit)s")
            % {"store": store.name, "item": item.name, "qty": format_quantity(qty), "unit": item.unit},
            field="quantity",
            code="insufficient_stock",
        )
    return taken
