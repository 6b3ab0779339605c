"""Orders of a group buy: placed by the household (or for it), cancelled before the cut-off, delivered at the door
without contact and handed over against the pickup code on the bag."""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.ledger.models import Household
from shequ.livelihood import policies
from shequ.livelihood.models import GroupBuy, GroupBuyItem, Order, OrderLine
from shequ.livelihood.parsing import parse_count
from shequ.livelihood.services._common import new_number, user_or_none
from shequ.places.models import Dwelling

Lines = list[tuple[GroupBuyItem, int]]


def _check_open_to(group_buy: GroupBuy, dwelling: Dwelling, now: datetime) -> None:
    """The household lies in the group buy's place, and the group buy still takes orders."""
    if not policies.is_under(dwelling, group_buy.place):
        raise DomainError(
            gettext("该户不在团购范围(%(place)s)内") % {"place": group_buy.place.name}, field="household"
        )
    if group_buy.status != GroupBuy.Status.OPEN or now > group_buy.cutoff_at:
        local = timezone.localtime(group_buy.cutoff_at)
        raise DomainError(
            gettext("已过截单时间(%(cutoff)s),不能再下单")
            % {"cutoff": local.strftime(gettext("%m月%d日 %H:%M"))},
            field="cutoff_at",
            code="closed",
        )


def _check_first_order(group_buy: GroupBuy, household: Household) -> None:
    """One live order per household and group buy (the unique constraint catches a race; this names the order)."""
    existing = (
        Order.objects.filter(group_buy=group_buy, household=household)
        .exclude(status=Order.Status.CANCELLED)
        .first()
    )
    if existing:
        raise DomainError(
            gettext("本户已在此团购下单(订单号 %(number)s),如需修改请先取消原订单")
            % {"number": existing.number},
            field="household",
            code="duplicate",
        )


def _wanted_lines(group_buy: GroupBuy, quantities: dict) -> Lines:
    """The items asked for with their quantities (0 left out): each item of this group buy, a whole number
    within the per-household limit, at least one item in all."""
    items = {i.pk: i for i in group_buy.items.all()}
    wanted: Lines = []
    for key, raw in (quantities or {}).items():
        pk = getattr(key, "pk", key)
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise DomainError(gettext("商品不存在"), field="items") from None
        item = items.get(pk)
        if item is None:
            raise DomainError(gettext("商品不在本次团购中"), field="items")
        field = f"item_{item.pk}"
        qty = parse_count(raw, field, label=item.name)
        if qty > item.limit_per_household:
            raise DomainError(
                gettext("%(item)s每户限购 %(limit)s%(unit)s,您选了 %(qty)s%(unit)s")
                % {"item": item.name, "limit": item.limit_per_household, "unit": item.unit, "qty": qty},
                field=field,
                code="over_limit",
            )
        if qty:
            wanted.append((item, qty))
    if not wanted:
        raise DomainError(gettext("请至少选择一件商品"), field="items", code="empty")
    return wanted


def _save_order(*, actor: Actor, group_buy: GroupBuy, household: Household, wanted: Lines) -> Order:
    dwelling = household.dwelling
    order = Order(
        number=new_number("DD"),
        group_buy=group_buy,
        household=household,
        dwelling=dwelling,
        building_id=dwelling.building_id,
        channel=policies.order_channel(actor, dwelling),
        placed_by=user_or_none(actor),
        pickup_code=f"{secrets.randbelow(1_000_000):06d}",
        total=sum((item.price * qty for item, qty in wanted), Decimal(0)),
    )
    order.full_clean()
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        raise DomainError(gettext("本户已在此团购下单"), field="household", code="duplicate") from None
    OrderLine.objects.bulk_create(
        [OrderLine(order=order, item=i, quantity=q, price=i.price) for i, q in wanted]
    )
    return order


@transaction.atomic
def order_place(
    *,
    actor: Actor,
    group_buy: GroupBuy,
    household: Household,
    quantities: dict,
    now: datetime | None = None,
) -> Order:
    """A household's order: by the resident on their phone, or entered by the building leader (or a worker) for
    someone without one. Refused after the cut-off, over a per-household limit, with a negative or fractional
    quantity, or when the household already ordered — with the field named and nothing saved.

    `quantities` maps GroupBuyItem pk (or the item itself) to the quantity asked."""
    now = now or timezone.now()
    dwelling = household.dwelling
    policies.require_order_for(actor, dwelling, message=gettext("只能为本户或本楼栋的住户下单"))
    _check_open_to(group_buy, dwelling, now)
    _check_first_order(group_buy, household)
    wanted = _wanted_lines(group_buy, quantities)
    order = _save_order(actor=actor, group_buy=group_buy, household=household, wanted=wanted)
    audit_record(
        actor=actor,
        kind="create",
        action="order_place",
        obj=order,
        object_label=f"{order.number} · {dwelling.masked_address()}",
        after={
            "group_buy": group_buy.code,
            "channel": order.channel,
            "lines": {i.name: q for i, q in wanted},
            "total": order.total,
        },
    )
    return order


@transaction.atomic
def order_cancel(*, actor: Actor, order: Order, now: datetime | None = None) -> Order:
    policies.require_order_for(actor, order.dwelling)
    now = now or timezone.now()
    if order.status != Order.Status.PLACED or now > order.group_buy.cutoff_at:
        raise DomainError(gettext("截单后不能取消订单"), field="status", code="closed")
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, kind="update", action="order_cancel", obj=order, after={"status": order.status})
    return order


@transaction.atomic
def order_mark_delivered(*, actor: Actor, order: Order) -> Order:
    """无接触配送: the volunteer leaves the bag at the door (its label shows the pickup code)."""
    policies.require_deliver_order(actor, order)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in (Order.Status.OUT, Order.Status.PLACED):
        raise DomainError(
            gettext("订单状态为“%(status)s”,不能标记送达") % {"status": order.get_status_display()},
            field="status",
        )
    if order.group_buy.status == GroupBuy.Status.OPEN:
        raise DomainError(gettext("团购尚未截单"), field="status")
    order.status = Order.Status.DELIVERED
    order.delivered_by = user_or_none(actor)
    order.delivered_at = timezone.now()
    order.save(update_fields=["status", "delivered_by", "delivered_at", "updated_at"])
    audit_record(
        actor=actor, kind="action", action="order_mark_delivered", obj=order, after={"status": order.status}
    )
    return order


@transaction.atomic
def order_confirm_receipt(*, actor: Actor, order: Order, code: str) -> Order:
    """签收: the household (or the deliverer at the door) confirms the hand-over with the bag's pickup code.
    A code that does not match is refused and nothing changes."""
    policies.require_confirm_receipt(actor, order)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == Order.Status.RECEIVED:
        raise DomainError(gettext("订单已签收"), field="status", code="already_received")
    if order.status not in (Order.Status.DELIVERED, Order.Status.OUT):
        raise DomainError(gettext("订单尚未配送,不能签收"), field="status")
    code = "".join(ch for ch in str(code or "") if not ch.isspace())
    if not code:
        raise DomainError(gettext("请输入取件码"), field="pickup_code", code="required")
    if not secrets.compare_digest(code, order.pickup_code):
        raise DomainError(gettext("取件码不正确,请核对袋上的6位取件码"), field="pickup_code", code="mismatch")
    order.status = Order.Status.RECEIVED
    order.received_at = timezone.now()
    order.save(update_fields=["status", "received_at", "updated_at"])
    audit_record(
        actor=actor, kind="action", action="order_confirm_receipt", obj=order, after={"status": order.status}
    )
    gb = order.group_buy
    if not gb.orders.exclude(status__in=[Order.Status.RECEIVED, Order.Status.CANCELLED]).exists():
        GroupBuy.objects.filter(pk=gb.pk).update(status=GroupBuy.Status.DONE, updated_at=timezone.now())
    return order
