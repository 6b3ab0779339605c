"""Writes to emergency supplies. Stock is only ever taken with a conditional UPDATE (quantity >= n) with a CHECK
constraint under it, every movement is a ledger row and an audit event in the same transaction, and bad input
is refused with the field named and nothing changed."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import covers
from shequ.core.rights import Right
from shequ.places.models import Level, Place
from shequ.supplies import allocation as alloc
from shequ.supplies.models import (
    Allocation,
    AllocationRound,
    ConsumptionNorm,
    Item,
    Movement,
    ReorderLevel,
    StockLot,
    Store,
    SupplyRequest,
)

MAX_QUANTITY = Decimal("1000000000")


def _require(actor, right: Right, place, *, message: str = "") -> None:
    if actor is None:  # the system (seeding, migrations of data)
        return
    if not covers(actor, right, place):
        raise PermissionDenied(message or gettext("不在您的管辖范围内"))


def _fmt(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def parse_quantity(item: Item, raw, *, field: str = "quantity", allow_zero: bool = False) -> Decimal:
    """A quantity of `item` from user input: a number, positive, whole for countable items (口罩 are counted in
    pieces), at most three decimals for measured ones (消毒液 in litres)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise DomainError(gettext("请填写数量"), field=field, code="required")
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(gettext("数量必须是数字"), field=field, code="not_a_number") from None
    if not value.is_finite():
        raise DomainError(gettext("数量必须是数字"), field=field, code="not_a_number")
    if value < 0:
        raise DomainError(gettext("数量不能为负数"), field=field, code="negative")
    if value == 0 and not allow_zero:
        raise DomainError(gettext("数量必须大于0"), field=field, code="zero")
    if item.is_countable and value != value.to_integral_value():
        raise DomainError(
            gettext("%(item)s按%(unit)s计数,数量必须是整数") % {"item": item.name, "unit": item.unit},
            field=field,
            code="fractional_countable",
        )
    if value.as_tuple().exponent < -3:
        raise DomainError(gettext("数量最多保留三位小数"), field=field, code="too_precise")
    if value > MAX_QUANTITY:
        raise DomainError(gettext("数量过大"), field=field, code="too_large")
    return value


def _bump_stock_version() -> None:
    from shequ.supplies.selectors import bump_stock_version

    bump_stock_version()


def _number(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%y%m%d}{secrets.token_hex(3).upper()}"


def _movement(
    *,
    actor,
    kind: str,
    lot: StockLot,
    quantity: Decimal,
    other_store=None,
    reference="",
    recipient="",
    note="",
) -> Movement:
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
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    movement.save()
    # Bump now (this transaction's own later reads) and again on commit (everyone else's).
    _bump_stock_version()
    transaction.on_commit(_bump_stock_version)
    audit_record(
        actor=actor,
        kind="action",
        action=f"stock_{kind}",
        obj=movement,
        object_label=f"{lot.store.name} · {lot.item} · {_fmt(quantity)}",
        community=lot.store.place.community,
        street=lot.store.place.street,
        after={
            "store": lot.store.code,
            "item": lot.item.code,
            "lot": lot.lot_number,
            "quantity": _fmt(quantity),
            "reference": reference,
        },
    )
    return movement


# Catalogue, stores, norms ---------------------------------------------------------------------------------------


@transaction.atomic
def item_create(
    *,
    actor,
    street: Place,
    code: str,
    name: str,
    category: str,
    unit: str,
    grade: str = "",
    pack_size: int = 1,
    is_countable: bool = True,
    daily_norm_per_person: Decimal | str = "0",
) -> Item:
    if street.level != Level.STREET:
        raise DomainError(gettext("物资目录属于街道"), field="street")
    _require(actor, Right.SUPPLIES_ALLOCATE, street, message=gettext("只有街道可以维护物资目录"))
    code = (code or "").strip().upper()
    if not code:
        raise DomainError(gettext("请填写物资编码"), field="code", code="required")
    if Item.objects.filter(street=street, code=code).exists():
        raise DomainError(gettext("该物资编码已存在"), field="code", code="duplicate")
    try:
        norm = Decimal(str(daily_norm_per_person))
    except InvalidOperation:
        raise DomainError(gettext("人均日消耗必须是数字"), field="daily_norm_per_person") from None
    if norm < 0:
        raise DomainError(gettext("人均日消耗不能为负数"), field="daily_norm_per_person")
    item = Item(
        street=street,
        code=code,
        name=(name or "").strip(),
        category=category,
        unit=(unit or "").strip(),
        grade=grade,
        pack_size=pack_size,
        is_countable=is_countable,
        daily_norm_per_person=norm,
    )
    item.full_clean()
    item.save()
    audit_record(
        actor=actor,
        kind="create",
        action="item_create",
        obj=item,
        street=street,
        after={"code": code, "name": item.name, "unit": item.unit, "countable": is_countable},
    )
    return item


@transaction.atomic
def item_set_norm(*, actor, item: Item, norm, plan: str = "") -> Item:
    """Set the consumption norm (per person per day) — the item's default, or an emergency plan's own."""
    _require(actor, Right.SUPPLIES_ALLOCATE, item.street, message=gettext("只有街道可以设置消耗定额"))
    try:
        value = Decimal(str(norm).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(gettext("人均日消耗必须是数字"), field="daily_norm_per_person") from None
    if not value.is_finite() or value < 0:
        raise DomainError(gettext("人均日消耗不能为负数"), field="daily_norm_per_person")
    if value.as_tuple().exponent < -4:
        raise DomainError(gettext("人均日消耗最多保留四位小数"), field="daily_norm_per_person")
    plan = (plan or "").strip()
    if plan:
        before = ConsumptionNorm.objects.filter(plan=plan, item=item).values_list(
            "daily_norm_per_person", flat=True
        )
        before_value = before[0] if before else None
        ConsumptionNorm.objects.update_or_create(
            plan=plan, item=item, defaults={"daily_norm_per_person": value, "street": item.street}
        )
    else:
        before_value = item.daily_norm_per_person
        item.daily_norm_per_person = value
        item.full_clean()
        item.save(update_fields=["daily_norm_per_person", "updated_at"])
    _bump_stock_version()
    transaction.on_commit(_bump_stock_version)
    audit_record(
        actor=actor,
        kind="update",
        action="item_set_norm",
        obj=item,
        street=item.street,
        field="daily_norm_per_person",
        before={"norm": before_value, "plan": plan},
        after={"norm": value, "plan": plan},
    )
    return item


@transaction.atomic
def store_create(*, actor, place: Place, code: str, name: str, keeper: str = "") -> Store:
    if place.level not in (Level.STREET, Level.COMMUNITY):
        raise DomainError(gettext("仓库设在街道或社区"), field="place")
    _require(actor, Right.SUPPLIES_MANAGE, place)
    code = (code or "").strip().upper()
    if not code:
        raise DomainError(gettext("请填写仓库编码"), field="code", code="required")
    if Store.objects.filter(code=code).exists():
        raise DomainError(gettext("该仓库编码已存在"), field="code", code="duplicate")
    store = Store(place=place, code=code, name=(name or "").strip(), keeper=keeper)
    store.full_clean()
    store.save()
    audit_record(
        actor=actor,
        kind="create",
        action="store_create",
        obj=store,
        street=place.street,
        after={"code": code, "name": store.name},
    )
    return store


@transaction.atomic
def reorder_level_set(*, actor, store: Store, item: Item, level) -> ReorderLevel:
    _require(actor, Right.SUPPLIES_MANAGE, store.place)
    value = parse_quantity(item, level, field="level", allow_zero=True)
    row, _created = ReorderLevel.objects.update_or_create(store=store, item=item, defaults={"level": value})
    audit_record(
        actor=actor,
        kind="update",
        action="reorder_level_set",
        obj=store,
        street=store.place.street,
        field="reorder_level",
        after={"item": item.code, "level": _fmt(value)},
    )
    return row


# Stock movements ------------------------------------------------------------------------------------------------


def _check_item_store(store: Store, item: Item) -> None:
    if item.street_id != store.place.street_id:
        raise DomainError(gettext("该物资不在本街道目录中"), field="item")
    if not store.is_active:
        raise DomainError(gettext("仓库已停用"), field="store")


@transaction.atomic
def stock_receive(
    *,
    actor,
    store: Store,
    item: Item,
    quantity,
    lot_number: str = "",
    expires_on: date | None = None,
    reference: str = "",
    note: str = "",
    _movement_kind: str = Movement.Kind.RECEIPT,
    _other_store: Store | None = None,
    _authorised: bool = False,
) -> Movement:
    """入库: stock arrives in a store, with its lot and expiry. An expiry date already past is refused."""
    if not _authorised:
        _require(actor, Right.SUPPLIES_MANAGE, store.place)
    _check_item_store(store, item)
    qty = parse_quantity(item, quantity)
    today = timezone.localdate()
    if expires_on is not None and expires_on < today:
        raise DomainError(
            gettext("有效期(%(date)s)早于今天,已过期物资不能入库") % {"date": f"{expires_on:%Y-%m-%d}"},
            field="expires_on",
            code="expired",
        )
    lot_number = (lot_number or "").strip()[:40]
    lot = StockLot.objects.filter(
        store=store, item=item, lot_number=lot_number, expires_on=expires_on
    ).first()
    if lot is None:
        try:
            with transaction.atomic():
                lot = StockLot.objects.create(
                    store=store, item=item, lot_number=lot_number, expires_on=expires_on, received_on=today
                )
        except IntegrityError:  # created at the same moment by someone else
            lot = StockLot.objects.get(store=store, item=item, lot_number=lot_number, expires_on=expires_on)
    StockLot.objects.filter(pk=lot.pk).update(quantity=F("quantity") + qty)
    lot.store, lot.item = store, item
    return _movement(
        actor=actor,
        kind=_movement_kind,
        lot=lot,
        quantity=qty,
        other_store=_other_store,
        reference=reference,
        note=note,
    )


def available_quantity(store: Store, item: Item, *, today: date | None = None) -> Decimal:
    """Stock that may be issued: lots not past their expiry."""
    today = today or timezone.localdate()
    total = (
        StockLot.objects.filter(store=store, item=item, quantity__gt=0)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .aggregate(n=Sum("quantity"))["n"]
    )
    return total or Decimal(0)


def _take(
    *,
    actor,
    store: Store,
    item: Item,
    qty: Decimal,
    kind: str,
    reference: str,
    recipient: str,
    note: str,
    other_store: Store | None = None,
    lot: StockLot | None = None,
) -> list[tuple[StockLot, Decimal, Movement]]:
    """Take `qty` from the store, earliest expiry first (FEFO). Each lot is decremented only where it still
    holds enough (UPDATE … WHERE quantity >= n); if another issue got there first the lot is read again.
    If the whole quantity cannot be taken, DomainError — and the caller's transaction undoes partial takes."""
    today = timezone.localdate()
    available = available_quantity(store, item, today=today) if lot is None else lot.quantity
    if qty > available:
        raise DomainError(
            gettext("库存不足:%(store)s的%(item)s可用 %(available)s%(unit)s,申请 %(qty)s%(unit)s")
            % {
                "store": store.name,
                "item": item.name,
                "available": _fmt(available),
                "unit": item.unit,
                "qty": _fmt(qty),
            },
            field="quantity",
            code="insufficient_stock",
            extra={"available": _fmt(available)},
        )
    lots = (
        [lot]
        if lot is not None
        else list(
            StockLot.objects.filter(store=store, item=item, quantity__gt=0)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            .order_by(F("expires_on").asc(nulls_last=True), "id")
        )
    )
    remaining = qty
    taken: list[tuple[StockLot, Decimal, Movement]] = []
    for candidate in lots:
        for _attempt in range(50):
            if remaining <= 0:
                break
            current = StockLot.objects.filter(pk=candidate.pk).values_list("quantity", flat=True).first()
            if not current or current <= 0:
                break
            n = min(remaining, current)
            rows = StockLot.objects.filter(pk=candidate.pk, quantity__gte=n).update(
                quantity=F("quantity") - n
            )
            if rows:
                candidate.store, candidate.item = store, item
                movement = _movement(
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
                break
        if remaining <= 0:
            break
    if remaining > 0:
        raise DomainError(
            gettext("库存不足:%(store)s的%(item)s已被其他人领走,剩余不够 %(qty)s%(unit)s")
            % {"store": store.name, "item": item.name, "qty": _fmt(qty), "unit": item.unit},
            field="quantity",
            code="insufficient_stock",
        )
    return taken


@transaction.atomic
def stock_issue(
    *,
    actor,
    store: Store,
    item: Item,
    quantity,
    recipient: str = "",
    note: str = "",
    reference: str = "",
    lot: StockLot | None = None,
) -> list[Movement]:
    """出库: issue stock to a recipient. Never below zero, also when many issue the last units at once."""
    _require(actor, Right.SUPPLIES_MANAGE, store.place)
    _check_item_store(store, item)
    qty = parse_quantity(item, quantity)
    if lot is not None and (lot.store_id != store.pk or lot.item_id != item.pk):
        raise DomainError(gettext("批次不属于该仓库或物资"), field="lot")
    taken = _take(
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
def stock_transfer(*, actor, from_store: Store, to_store: Store, item: Item, quantity, note: str = "") -> str:
    """调拨: out of one store and into another, lot by lot (lot numbers and expiry travel with the stock)."""
    _require(actor, Right.SUPPLIES_MANAGE, from_store.place)
    if to_store.pk == from_store.pk:
        raise DomainError(gettext("调入仓库不能与调出仓库相同"), field="to_store")
    if to_store.place.street_id != from_store.place.street_id:
        raise DomainError(gettext("只能在本街道仓库之间调拨"), field="to_store")
    _check_item_store(from_store, item)
    _check_item_store(to_store, item)
    qty = parse_quantity(item, quantity)
    reference = _number("DB")
    taken = _take(
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
    for lot, n, _movement_row in taken:
        stock_receive(
            actor=actor,
            _authorised=True,
            store=to_store,
            item=item,
            quantity=n,
            lot_number=lot.lot_number,
            expires_on=lot.expires_on
            if (lot.expires_on is None or lot.expires_on >= timezone.localdate())
            else None,
            reference=reference,
            note=note,
            _movement_kind=Movement.Kind.TRANSFER_IN,
            _other_store=from_store,
        )
    return reference


@transaction.atomic
def stock_count(*, actor, lot: StockLot, counted, note: str = "") -> Movement | None:
    """盘点: record the counted quantity of a lot; the difference becomes an adjustment movement."""
    _require(actor, Right.SUPPLIES_MANAGE, lot.store.place)
    value = parse_quantity(lot.item, counted, field="counted", allow_zero=True)
    current = StockLot.objects.filter(pk=lot.pk).values_list("quantity", flat=True).first()
    delta = value - current
    if delta == 0:
        return None
    rows = StockLot.objects.filter(pk=lot.pk, quantity=current).update(quantity=value)
    if not rows:
        raise DomainError(gettext("盘点期间库存有变动,请刷新后重新盘点"), field="counted", code="changed")
    return _movement(
        actor=actor,
        kind=Movement.Kind.ADJUSTMENT,
        lot=lot,
        quantity=delta,
        note=note or f"盘点数 {_fmt(value)}",
    )


@transaction.atomic
def stock_write_off_expired(*, actor, store: Store, today: date | None = None) -> list[Movement]:
    """过期报废: every lot of the store past its expiry is written off to zero."""
    _require(actor, Right.SUPPLIES_MANAGE, store.place)
    today = today or timezone.localdate()
    movements = []
    for lot in StockLot.objects.filter(store=store, quantity__gt=0, expires_on__lt=today).select_related(
        "item", "store__place"
    ):
        n = lot.quantity
        if StockLot.objects.filter(pk=lot.pk, quantity=n).update(quantity=0):
            movements.append(
                _movement(
                    actor=actor,
                    kind=Movement.Kind.WRITE_OFF,
                    lot=lot,
                    quantity=-n,
                    note=f"有效期至 {lot.expires_on:%Y-%m-%d}",
                )
            )
    return movements


# Requests and allocation ----------------------------------------------------------------------------------------


@transaction.atomic
def request_submit(
    *, actor, place: Place, item: Item, quantity, team: str = "", reason: str = ""
) -> SupplyRequest:
    """申领: a community, a compound or a team working there asks for an item."""
    if place.level not in (Level.COMMUNITY, Level.COMPOUND):
        raise DomainError(gettext("申领单位须为社区或小区"), field="place")
    _require(actor, Right.SUPPLIES_VIEW, place)
    if item.street_id != place.street_id:
        raise DomainError(gettext("该物资不在本街道目录中"), field="item")
    qty = parse_quantity(item, quantity)
    request = SupplyRequest(
        number=_number("SL"),
        place=place,
        item=item,
        quantity=qty,
        team=(team or "").strip()[:60],
        reason=(reason or "").strip()[:200],
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    request.full_clean()
    request.save()
    audit_record(
        actor=actor,
        kind="create",
        action="request_submit",
        obj=request,
        street=place.street,
        after={"place": place.name, "item": item.code, "quantity": _fmt(qty), "team": request.team},
    )
    return request


@transaction.atomic
def request_cancel(*, actor, request: SupplyRequest) -> SupplyRequest:
    _require(actor, Right.SUPPLIES_VIEW, request.place)
    if request.status != SupplyRequest.Status.SUBMITTED:
        raise DomainError(gettext("已分配的申领不能撤回"), field="status")
    request.status = SupplyRequest.Status.CANCELLED
    request.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="request_cancel",
        obj=request,
        street=request.place.street,
        after={"status": request.status},
    )
    return request


def _clean_weights(weights: dict | None) -> dict[str, float]:
    result = {}
    for key in alloc.DEFAULT_WEIGHTS:
        raw = (weights or {}).get(key, alloc.DEFAULT_WEIGHTS[key])
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise DomainError(
                gettext("%(label)s权重必须是数字") % {"label": alloc.WEIGHT_LABELS[key]}, field=f"w_{key}"
            ) from None
        if value < 0 or value > 100 or value != value:
            raise DomainError(
                gettext("%(label)s权重应在 0–100 之间") % {"label": alloc.WEIGHT_LABELS[key]},
                field=f"w_{key}",
            )
        result[key] = value
    if sum(result.values()) <= 0:
        raise DomainError(gettext("权重不能全为0"), field="w_population")
    return result


@transaction.atomic
def allocation_round_create(
    *, actor, store: Store, item: Item, weights: dict | None = None
) -> AllocationRound:
    """Draft a round: the store's issuable stock shared across the open requests under the store's place, by
    need. Nothing leaves the store until the round is confirmed."""
    from shequ.supplies.selectors import request_needs

    _require(actor, Right.SUPPLIES_ALLOCATE, store.place, message=gettext("您没有分配物资的权限"))
    _check_item_store(store, item)
    clean = _clean_weights(weights)
    available = available_quantity(store, item)
    needs = request_needs(actor=actor, store=store, item=item)
    if not needs:
        raise DomainError(gettext("没有待分配的申领"), field="item", code="no_requests")
    shares = alloc.allocate(available, [n for _r, n in needs], weights=clean, countable=item.is_countable)
    round_ = AllocationRound(
        number=_number("FP"),
        store=store,
        item=item,
        available=available,
        weights=clean,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    round_.full_clean()
    round_.save()
    by_key = {s.key: s for s in shares}
    for request, need in needs:
        share = by_key[need.key]
        Allocation.objects.create(
            round=round_,
            request=request,
            quantity=share.quantity,
            score=share.score,
            factors={
                **share.factors,
                "population": need.population,
                "vulnerable": need.vulnerable,
                "zone": need.zone,
                "held": _fmt(need.held),
                "asked": _fmt(need.asked),
                "share": share.factors,
            },
            explanation=share.explanation,
        )
    audit_record(
        actor=actor,
        kind="create",
        action="allocation_round_create",
        obj=round_,
        street=store.place.street,
        after={"item": item.code, "available": _fmt(available), "weights": clean, "requests": len(needs)},
    )
    return round_


@transaction.atomic
def allocation_round_confirm(*, actor, round_: AllocationRound) -> AllocationRound:
    """Confirm a draft: each share is issued from the store (refused as a whole if stock ran short since)."""
    _require(actor, Right.SUPPLIES_ALLOCATE, round_.store.place, message=gettext("您没有分配物资的权限"))
    locked = AllocationRound.objects.select_for_update().get(pk=round_.pk)
    if locked.status != AllocationRound.Status.DRAFT:
        raise DomainError(gettext("该分配批次已确认"), field="status")
    for allocation in round_.allocations.select_related("request__place", "request__item"):
        request = allocation.request
        if allocation.quantity > 0:
            _take(
                actor=actor,
                store=round_.store,
                item=round_.item,
                qty=allocation.quantity,
                kind=Movement.Kind.ISSUE,
                reference=round_.number,
                recipient=f"{request.place.name}{request.team} {request.number}",
                note="按需分配",
            )
        given = (
            Allocation.objects.filter(
                request=request, round__status=AllocationRound.Status.CONFIRMED
            ).aggregate(n=Sum("quantity"))["n"]
            or Decimal(0)
        ) + allocation.quantity
        if given >= request.quantity:
            request.status = SupplyRequest.Status.ALLOCATED
        elif given > 0:
            request.status = SupplyRequest.Status.PARTIAL
        elif request.status == SupplyRequest.Status.SUBMITTED:
            request.status = SupplyRequest.Status.SUBMITTED  # nothing yet; stays open for the next round
        request.save(update_fields=["status", "updated_at"])
    locked.status = AllocationRound.Status.CONFIRMED
    locked.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        kind="action",
        action="allocation_round_confirm",
        obj=locked,
        street=round_.store.place.street,
        after={"status": locked.status},
    )
    return locked


@transaction.atomic
def allocation_confirm_receipt(
    *, actor, allocation: Allocation, quantity=None, into_store: Store | None = None
) -> Allocation:
    """签收: the requesting side confirms what arrived; optionally it goes into their own store's stock."""
    request = allocation.request
    _require(actor, Right.SUPPLIES_VIEW, request.place)
    allocation = (
        Allocation.objects.select_for_update().select_related("round", "request").get(pk=allocation.pk)
    )
    if allocation.round.status != AllocationRound.Status.CONFIRMED:
        raise DomainError(gettext("该分配尚未出库"), field="status")
    if allocation.received_at:
        raise DomainError(gettext("已签收"), field="status", code="already_received")
    qty = allocation.quantity if quantity in (None, "") else parse_quantity(request.item, quantity)
    if qty > allocation.quantity:
        raise DomainError(
            gettext("签收数量不能超过分配数量 %(n)s") % {"n": _fmt(allocation.quantity)},
            field="quantity",
            code="over_allocation",
        )
    if into_store is not None:
        if into_store.place_id not in (request.place_id, request.place.community_id):
            raise DomainError(gettext("只能签收入本单位的仓库"), field="into_store")
        stock_receive(
            actor=actor,
            store=into_store,
            item=request.item,
            quantity=qty,
            reference=allocation.round.number,
            note=f"签收 {request.number}",
        )
    allocation.received_quantity = qty
    allocation.received_at = timezone.now()
    allocation.received_by = actor if getattr(actor, "is_authenticated", False) else None
    allocation.received_into = into_store
    allocation.save()
    open_ = request.allocations.filter(
        round__status=AllocationRound.Status.CONFIRMED, quantity__gt=0, received_at__isnull=True
    ).exists()
    if not open_ and request.status == SupplyRequest.Status.ALLOCATED:
        request.status = SupplyRequest.Status.RECEIVED
        request.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        kind="action",
        action="allocation_confirm_receipt",
        obj=request,
        street=request.place.street,
        after={
            "round": allocation.round.number,
            "received": _fmt(qty),
            "into_store": into_store.code if into_store else "",
        },
    )
    return allocation
