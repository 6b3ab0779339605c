"""Group buys: a merchant's list offered to a building or compound, its cut-off (截单) and the delivery plan
(配送分工) that sends the orders out."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.livelihood import optimise, policies, selectors
from shequ.livelihood.models import DeliveryAssignment, GroupBuy, GroupBuyItem, Merchant, Order
from shequ.livelihood.parsing import parse_count, parse_price
from shequ.livelihood.services._common import new_number, user_or_none
from shequ.places.models import Level, Place


def _add_items(group_buy: GroupBuy, items: list[dict]) -> None:
    for index, raw in enumerate(items):
        name = (raw.get("name") or "").strip()
        if not name:
            raise DomainError(
                gettext("第%(n)s件商品请填写名称") % {"n": index + 1}, field="items", code="required"
            )
        limit = parse_count(raw.get("limit_per_household", 1), "items", label=name, allow_zero=False)
        item = GroupBuyItem(
            group_buy=group_buy,
            name=name[:80],
            unit=(raw.get("unit") or "份")[:10],
            price=parse_price(raw.get("price"), "items"),
            limit_per_household=limit,
            sort=index,
        )
        item.full_clean()
        item.save()


@transaction.atomic
def group_buy_create(
    *,
    actor: Actor,
    merchant: Merchant,
    place: Place,
    title: str,
    cutoff_at: datetime,
    items: list[dict],
    delivery_on: date | None = None,
    note: str = "",
) -> GroupBuy:
    """A merchant's list offered to a building or compound: items with price and per-household limit."""
    if place.level not in (Level.BUILDING, Level.COMPOUND):
        raise DomainError(gettext("团购范围须为楼栋或小区"), field="place")
    policies.require_manage_at(actor, place)
    if not selectors.merchant_serves(merchant, place):
        raise DomainError(
            gettext("%(merchant)s不服务%(place)s") % {"merchant": merchant.name, "place": place.name},
            field="merchant",
        )
    title = (title or "").strip()
    if not title:
        raise DomainError(gettext("请填写团购名称"), field="title", code="required")
    if cutoff_at is None:
        raise DomainError(gettext("请填写截单时间"), field="cutoff_at", code="required")
    if cutoff_at <= timezone.now():
        raise DomainError(gettext("截单时间须晚于现在"), field="cutoff_at", code="past")
    if not items:
        raise DomainError(gettext("请至少添加一件商品"), field="items", code="required")
    gb = GroupBuy(
        code=new_number("TG"),
        title=title,
        merchant=merchant,
        place=place,
        cutoff_at=cutoff_at,
        delivery_on=delivery_on,
        note=(note or "")[:200],
        created_by=user_or_none(actor),
    )
    gb.full_clean()
    gb.save()
    _add_items(gb, items)
    audit_record(
        actor=actor,
        kind="create",
        action="group_buy_create",
        obj=gb,
        after={
            "title": title,
            "merchant": merchant.name,
            "place": place.name,
            "cutoff_at": cutoff_at,
            "items": len(items),
        },
    )
    return gb


@transaction.atomic
def group_buy_close(*, actor: Actor, group_buy: GroupBuy) -> GroupBuy:
    """截单: no more orders; the merchant's order and the pick lists are now final."""
    policies.require_manage_group_buy(actor, group_buy)
    gb = GroupBuy.objects.select_for_update().get(pk=group_buy.pk)
    if gb.status != GroupBuy.Status.OPEN:
        raise DomainError(gettext("团购已截单"), field="status")
    gb.status = GroupBuy.Status.CLOSED
    if gb.cutoff_at > timezone.now():
        gb.cutoff_at = timezone.now()
    gb.save(update_fields=["status", "cutoff_at", "updated_at"])
    audit_record(actor=actor, kind="action", action="group_buy_close", obj=gb, after={"status": gb.status})
    return gb


@transaction.atomic
def delivery_plan(*, actor: Actor, group_buy: GroupBuy, volunteers: list) -> list[DeliveryAssignment]:
    """配送分工: buildings to volunteers with balanced load (number of orders); orders go out for delivery."""
    policies.require_manage_group_buy(actor, group_buy)
    gb = GroupBuy.objects.select_for_update().get(pk=group_buy.pk)
    if gb.status == GroupBuy.Status.OPEN and gb.cutoff_at > timezone.now():
        raise DomainError(gettext("请先截单再安排配送"), field="status")
    if gb.status in (GroupBuy.Status.DONE, GroupBuy.Status.CANCELLED):
        raise DomainError(gettext("团购已结束"), field="status")
    volunteers = list(dict.fromkeys(volunteers or []))
    if not volunteers:
        raise DomainError(gettext("请选择配送志愿者"), field="volunteers", code="required")
    for v in volunteers:
        if not policies.can_deliver_at(v, gb.place):
            raise DomainError(
                gettext("%(volunteer)s不负责该区域的配送") % {"volunteer": v.display_label},
                field="volunteers",
            )
    active = Order.objects.filter(group_buy=gb).exclude(status=Order.Status.CANCELLED)
    loads: dict[int, int] = {}
    for building_id in active.values_list("building_id", flat=True):
        loads[building_id] = loads.get(building_id, 0) + 1
    plan = optimise.balance(loads, [v.pk for v in volunteers])
    gb.assignments.all().delete()
    rows = [
        DeliveryAssignment(group_buy=gb, building_id=b, volunteer_id=v, orders_count=loads[b])
        for b, v in plan.items()
    ]
    DeliveryAssignment.objects.bulk_create(rows)
    active.filter(status=Order.Status.PLACED).update(status=Order.Status.OUT)
    gb.status = GroupBuy.Status.DELIVERING
    gb.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        kind="action",
        action="delivery_plan",
        obj=gb,
        after={"volunteers": [v.display_label for v in volunteers], "buildings": len(plan)},
    )
    return list(gb.assignments.select_related("building", "volunteer"))
