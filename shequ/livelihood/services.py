"""Writes of the living guarantee: merchants, group buys and their orders, delivery and contactless hand-over,
medicine bought on behalf, pairing of helpers with vulnerable residents and the contact log. Each write checks
jurisdiction, validates with the field named, and leaves an audit event in the same transaction."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.core import phones, pii
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import covers, grants_with
from shequ.core.rights import Right
from shequ.ledger.models import Household, Person
from shequ.livelihood import optimise
from shequ.livelihood.models import (
    CareSelection,
    Contact,
    DeliveryAssignment,
    GroupBuy,
    GroupBuyItem,
    HelperCapacity,
    MedicinePurchase,
    Merchant,
    Order,
    OrderLine,
    Pairing,
)
from shequ.places.models import Dwelling, Level, Place


def _require(actor, right: Right, place_like, *, message: str = "") -> None:
    if actor is None:
        return
    if not covers(actor, right, place_like):
        raise PermissionDenied(message or gettext("不在您的管辖范围内"))


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _number(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%y%m%d}{secrets.token_hex(3).upper()}"


def _under(place_like, ancestor: Place) -> bool:
    return getattr(place_like, f"{ancestor.level}_id", None) == ancestor.pk


# Merchants ------------------------------------------------------------------------------------------------------


@transaction.atomic
def merchant_create(
    *,
    actor,
    name: str,
    kind: str,
    areas: list[Place],
    contact_name: str = "",
    contact_phone: str = "",
) -> Merchant:
    """保供商户 with the communities/compounds it serves (the actor must cover each)."""
    name = (name or "").strip()
    if not name:
        raise DomainError(gettext("请填写商户名称"), field="name", code="required")
    if kind not in Merchant.Kind.values:
        raise DomainError(gettext("请选择商户类型"), field="kind")
    areas = list(areas or [])
    if not areas:
        raise DomainError(gettext("请选择服务范围"), field="areas", code="required")
    streets = {a.street_id for a in areas}
    if len(streets) != 1:
        raise DomainError(gettext("服务范围须在同一街道内"), field="areas")
    for area in areas:
        if area.level not in (Level.COMMUNITY, Level.COMPOUND, Level.BUILDING):
            raise DomainError(gettext("服务范围须为社区、小区或楼栋"), field="areas")
        _require(actor, Right.LIVELIHOOD_MANAGE, area)
    phone = ""
    if contact_phone:
        try:
            phone = phones.parse(contact_phone, allow_landline=True)
        except phones.PhoneError as exc:
            raise DomainError(gettext(exc.message), field="contact_phone") from None
    merchant = Merchant(
        street_id=streets.pop(),
        name=name,
        kind=kind,
        contact_name=(contact_name or "").strip()[:40],
        contact_phone_masked=phones.mask(phone),
        contact_phone_encrypted=pii.encrypt(phone),
    )
    merchant.full_clean()
    merchant.save()
    merchant.areas.set(areas)
    audit_record(
        actor=actor,
        kind="create",
        action="merchant_create",
        obj=merchant,
        community=areas[0].community,
        street=areas[0].street,
        after={"name": name, "kind": kind, "areas": [a.name for a in areas]},
    )
    return merchant


def merchant_serves(merchant: Merchant, place: Place) -> bool:
    return any(area.pk == place.pk or _under(place, area) for area in merchant.areas.all())


# Group buys -------------------------------------------------------------------------------------------------------


def _parse_price(raw, field: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(gettext("价格必须是数字"), field=field) from None
    if not value.is_finite() or value < 0:
        raise DomainError(gettext("价格不能为负数"), field=field)
    if value.as_tuple().exponent < -2:
        raise DomainError(gettext("价格最多两位小数"), field=field)
    if value > Decimal("100000"):
        raise DomainError(gettext("价格过高"), field=field)
    return value


def _parse_count(raw, field: str, *, label: str, allow_zero: bool = True) -> int:
    """A whole number of pieces from user input: refused if negative, fractional or not a number."""
    text = str(raw if raw is not None else "").strip()
    if text == "":
        return 0
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise DomainError(
            gettext("%(label)s的数量必须是数字") % {"label": label}, field=field, code="not_a_number"
        ) from None
    if not value.is_finite():
        raise DomainError(
            gettext("%(label)s的数量必须是数字") % {"label": label}, field=field, code="not_a_number"
        )
    if value < 0:
        raise DomainError(
            gettext("%(label)s的数量不能为负数") % {"label": label}, field=field, code="negative"
        )
    if value != value.to_integral_value():
        raise DomainError(
            gettext("%(label)s按件购买,数量必须是整数") % {"label": label},
            field=field,
            code="fractional_countable",
        )
    if value == 0 and not allow_zero:
        raise DomainError(gettext("%(label)s的数量必须大于0") % {"label": label}, field=field, code="zero")
    if value > 10000:
        raise DomainError(gettext("%(label)s的数量过大") % {"label": label}, field=field, code="too_large")
    return int(value)


@transaction.atomic
def group_buy_create(
    *,
    actor,
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
    _require(actor, Right.LIVELIHOOD_MANAGE, place)
    if not merchant_serves(merchant, place):
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
        code=_number("TG"),
        title=title,
        merchant=merchant,
        place=place,
        cutoff_at=cutoff_at,
        delivery_on=delivery_on,
        note=(note or "")[:200],
        created_by=_user(actor),
    )
    gb.full_clean()
    gb.save()
    for index, raw in enumerate(items):
        name = (raw.get("name") or "").strip()
        if not name:
            raise DomainError(
                gettext("第%(n)s件商品请填写名称") % {"n": index + 1}, field="items", code="required"
            )
        limit = _parse_count(raw.get("limit_per_household", 1), "items", label=name, allow_zero=False)
        item = GroupBuyItem(
            group_buy=gb,
            name=name[:80],
            unit=(raw.get("unit") or "份")[:10],
            price=_parse_price(raw.get("price"), "items"),
            limit_per_household=limit,
            sort=index,
        )
        item.full_clean()
        item.save()
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


def _channel(actor, dwelling: Dwelling) -> str:
    for g in grants_with(actor, Right.LIVELIHOOD_ORDER):
        if g.level == "dwelling" and g.target_id == dwelling.pk:
            return Order.Channel.PHONE
    for g in grants_with(actor, Right.LIVELIHOOD_ORDER):
        if g.level in ("building", "unit") and getattr(dwelling, f"{g.level}_id", None) == g.target_id:
            return Order.Channel.LEADER
    return Order.Channel.WORKER


@transaction.atomic
def order_place(
    *, actor, group_buy: GroupBuy, household: Household, quantities: dict, now: datetime | None = None
) -> Order:
    """A household's order: by the resident on their phone, or entered by the building leader (or a worker) for
    someone without one. Refused after the cut-off, over a per-household limit, with a negative or fractional
    quantity, or when the household already ordered — with the field named and nothing saved.

    `quantities` maps GroupBuyItem pk (or the item itself) to the quantity asked."""
    now = now or timezone.now()
    dwelling = household.dwelling
    _require(actor, Right.LIVELIHOOD_ORDER, dwelling, message=gettext("只能为本户或本楼栋的住户下单"))
    if not _under(dwelling, group_buy.place):
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
    items = {i.pk: i for i in group_buy.items.all()}
    wanted: list[tuple[GroupBuyItem, int]] = []
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
        qty = _parse_count(raw, field, label=item.name)
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
    order = Order(
        number=_number("DD"),
        group_buy=group_buy,
        household=household,
        dwelling=dwelling,
        building_id=dwelling.building_id,
        channel=_channel(actor, dwelling),
        placed_by=_user(actor),
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
def order_cancel(*, actor, order: Order, now: datetime | None = None) -> Order:
    _require(actor, Right.LIVELIHOOD_ORDER, order.dwelling)
    now = now or timezone.now()
    if order.status != Order.Status.PLACED or now > order.group_buy.cutoff_at:
        raise DomainError(gettext("截单后不能取消订单"), field="status", code="closed")
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, kind="update", action="order_cancel", obj=order, after={"status": order.status})
    return order


@transaction.atomic
def group_buy_close(*, actor, group_buy: GroupBuy) -> GroupBuy:
    """截单: no more orders; the merchant's order and the pick lists are now final."""
    _require(actor, Right.LIVELIHOOD_MANAGE, group_buy.place)
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
def delivery_plan(*, actor, group_buy: GroupBuy, volunteers: list) -> list[DeliveryAssignment]:
    """配送分工: buildings to volunteers with balanced load (number of orders); orders go out for delivery."""
    _require(actor, Right.LIVELIHOOD_MANAGE, group_buy.place)
    gb = GroupBuy.objects.select_for_update().get(pk=group_buy.pk)
    if gb.status == GroupBuy.Status.OPEN and gb.cutoff_at > timezone.now():
        raise DomainError(gettext("请先截单再安排配送"), field="status")
    if gb.status in (GroupBuy.Status.DONE, GroupBuy.Status.CANCELLED):
        raise DomainError(gettext("团购已结束"), field="status")
    volunteers = list(dict.fromkeys(volunteers or []))
    if not volunteers:
        raise DomainError(gettext("请选择配送志愿者"), field="volunteers", code="required")
    for v in volunteers:
        if not covers(v, Right.LIVELIHOOD_DELIVER, gb.place):
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


def _may_deliver(actor, order: Order) -> bool:
    if DeliveryAssignment.objects.filter(
        group_buy_id=order.group_buy_id, building_id=order.building_id, volunteer=actor
    ).exists():
        return True
    return covers(actor, Right.LIVELIHOOD_MANAGE, order.dwelling) or (
        covers(actor, Right.LIVELIHOOD_DELIVER, order.dwelling)
        and any(
            g.level in ("building", "unit", "grid", "compound")
            for g in grants_with(actor, Right.LIVELIHOOD_DELIVER)
        )
    )


@transaction.atomic
def order_mark_delivered(*, actor, order: Order) -> Order:
    """无接触配送: the volunteer leaves the bag at the door (its label shows the pickup code)."""
    if not _may_deliver(actor, order):
        raise PermissionDenied(gettext("您不负责该楼栋的配送"))
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in (Order.Status.OUT, Order.Status.PLACED):
        raise DomainError(
            gettext("订单状态为“%(status)s”,不能标记送达") % {"status": order.get_status_display()},
            field="status",
        )
    if order.group_buy.status == GroupBuy.Status.OPEN:
        raise DomainError(gettext("团购尚未截单"), field="status")
    order.status = Order.Status.DELIVERED
    order.delivered_by = _user(actor)
    order.delivered_at = timezone.now()
    order.save(update_fields=["status", "delivered_by", "delivered_at", "updated_at"])
    audit_record(
        actor=actor, kind="action", action="order_mark_delivered", obj=order, after={"status": order.status}
    )
    return order


@transaction.atomic
def order_confirm_receipt(*, actor, order: Order, code: str) -> Order:
    """签收: the household (or the deliverer at the door) confirms the hand-over with the bag's pickup code.
    A code that does not match is refused and nothing changes."""
    if not (covers(actor, Right.LIVELIHOOD_ORDER, order.dwelling) or _may_deliver(actor, order)):
        raise PermissionDenied(gettext("只能签收本户的订单"))
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


# Medicine bought on behalf ----------------------------------------------------------------------------------------


def _mask_medicine(details: str) -> str:
    parts = [
        p
        for p in details.replace(";", "、")
        .replace(",", "、")
        .replace(",", "、")
        .replace("\n", "、")
        .split("、")
        if p.strip()
    ]
    return f"药品 {len(parts)} 种(已隐藏)"


@transaction.atomic
def medicine_request(
    *, actor, person: Person, details: str, pharmacy: Merchant | None = None
) -> MedicinePurchase:
    """代购药品 for a resident. The medicine list is health data: stored encrypted, shown masked."""
    dwelling = person.home
    if dwelling is None:
        raise DomainError(gettext("该居民没有登记现住址"), field="person")
    _require(actor, Right.LIVELIHOOD_ORDER, dwelling)
    details = (details or "").strip()
    if len(details) < 2:
        raise DomainError(gettext("请填写需要代购的药品"), field="details", code="required")
    if len(details) > 1000:
        raise DomainError(gettext("药品说明过长"), field="details")
    if pharmacy is not None and pharmacy.kind != Merchant.Kind.PHARMACY:
        raise DomainError(gettext("请选择药店"), field="pharmacy")
    purchase = MedicinePurchase(
        number=_number("YP"),
        person=person,
        dwelling=dwelling,
        pharmacy=pharmacy,
        details_encrypted=pii.encrypt(details),
        details_masked=_mask_medicine(details),
        requested_by=_user(actor),
    )
    purchase.full_clean()
    purchase.save()
    audit_record(
        actor=actor,
        kind="create",
        action="medicine_request",
        obj=purchase,
        object_label=f"{purchase.number} · {person.name}",
        after={"details": purchase.details_masked},
    )
    return purchase


@transaction.atomic
def medicine_reveal(*, actor, purchase: MedicinePurchase, reason: str) -> str:
    """Show the medicine list in clear: the helper buying it, or a role with the reveal right; always logged."""
    allowed = (purchase.helper_id and purchase.helper_id == getattr(actor, "pk", None)) or covers(
        actor, Right.PII_REVEAL, purchase.dwelling
    )
    if not allowed:
        raise PermissionDenied(gettext("您没有查看药品明细的权限"))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(gettext("请填写查看原因"), field="reason", code="required")
    audit_record(
        actor=actor,
        kind="reveal",
        action="medicine_reveal",
        obj=purchase,
        field="details",
        reason=reason[:300],
        object_label=f"{purchase.number} · {purchase.person.name}",
    )
    return pii.decrypt(purchase.details_encrypted)


@transaction.atomic
def medicine_update(
    *, actor, purchase: MedicinePurchase, status: str, cost=None, helper=None
) -> MedicinePurchase:
    _require(actor, Right.LIVELIHOOD_DELIVER, purchase.dwelling)
    if status not in MedicinePurchase.Status.values:
        raise DomainError(gettext("状态无效"), field="status")
    before = purchase.status
    purchase.status = status
    if cost not in (None, ""):
        purchase.cost = _parse_price(cost, "cost")
    if helper is not None:
        purchase.helper = helper
    elif purchase.helper_id is None and status == MedicinePurchase.Status.BOUGHT:
        purchase.helper = _user(actor)
    purchase.full_clean()
    purchase.save()
    audit_record(
        actor=actor,
        kind="update",
        action="medicine_update",
        obj=purchase,
        before={"status": before},
        after={"status": status, "cost": purchase.cost},
    )
    return purchase


# Pairing ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def care_select(*, actor, person: Person, reason: str) -> CareSelection:
    """Include a resident in pairing although no vulnerable tag applies."""
    if person.home is None:
        raise DomainError(gettext("该居民没有登记现住址"), field="person")
    _require(actor, Right.LIVELIHOOD_MANAGE, person.home)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(gettext("请填写纳入原因"), field="reason", code="required")
    row, _created = CareSelection.objects.update_or_create(
        person=person, defaults={"reason": reason[:100], "added_by": _user(actor), "is_active": True}
    )
    audit_record(
        actor=actor,
        kind="action",
        action="care_select",
        obj=person,
        community=person.community,
        after={"reason": row.reason},
    )
    return row


@transaction.atomic
def helper_set_capacity(*, actor, person: Person, capacity) -> HelperCapacity:
    _require(actor, Right.LIVELIHOOD_MANAGE, person.home or person.community)
    value = _parse_count(capacity, "capacity", label=gettext("可结对人数"))
    if value > 20:
        raise DomainError(gettext("可结对人数最多20"), field="capacity")
    row, _created = HelperCapacity.objects.update_or_create(person=person, defaults={"capacity": value})
    audit_record(
        actor=actor,
        kind="update",
        action="helper_set_capacity",
        obj=person,
        community=person.community,
        field="capacity",
        after={"capacity": value},
    )
    return row


def _proximity(resident_home: Dwelling, helper_place) -> str | None:
    if helper_place is None:
        return None
    if getattr(helper_place, "building_id", None) and helper_place.building_id == resident_home.building_id:
        return Pairing.Proximity.BUILDING
    if getattr(helper_place, "compound_id", None) and helper_place.compound_id == resident_home.compound_id:
        return Pairing.Proximity.COMPOUND
    if getattr(helper_place, "community_id", None) == resident_home.community_id:
        return Pairing.Proximity.COMMUNITY
    return None


@transaction.atomic
def pairing_create(
    *, actor, resident: Person, helper: Person, source: str = Pairing.Source.MANUAL
) -> Pairing:
    """结对 by hand (or from a suggestion): the helper must be on the roster near the resident and have room.
    A resident already paired is re-paired (the old pairing ends)."""
    from shequ.livelihood.selectors import helper_profiles

    home = resident.home
    if home is None:
        raise DomainError(gettext("该居民没有登记现住址"), field="resident")
    _require(actor, Right.LIVELIHOOD_MANAGE, home)
    if helper.pk == resident.pk:
        raise DomainError(gettext("帮扶人不能是本人"), field="helper")
    profiles = helper_profiles(community_ids={home.community_id}, person_ids={helper.pk})
    profile = profiles.get(helper.pk)
    if profile is None:
        raise DomainError(gettext("帮扶人须为本社区在册的志愿者、党员或社区工作者"), field="helper")
    proximity = _proximity(home, profile["place"])
    if proximity is None:
        raise DomainError(gettext("帮扶人不在该居民所在社区"), field="helper")
    current = Pairing.objects.select_for_update().filter(resident=resident, is_active=True).first()
    if current and current.helper_id == helper.pk:
        raise DomainError(gettext("已与该帮扶人结对"), field="helper", code="duplicate")
    load = Pairing.objects.filter(helper=helper, is_active=True).count()
    if load >= profile["capacity"]:
        raise DomainError(
            gettext("%(helper)s已结对 %(load)s 人,达到上限 %(capacity)s 人")
            % {"helper": helper.name, "load": load, "capacity": profile["capacity"]},
            field="helper",
            code="over_capacity",
        )
    if current:
        current.is_active = False
        current.ended_at = timezone.now()
        current.save(update_fields=["is_active", "ended_at", "updated_at"])
    pairing = Pairing(
        resident=resident,
        helper=helper,
        helper_role=profile["role"],
        dwelling=home,
        proximity=proximity,
        source=source,
        created_by=_user(actor),
        last_contact_at=current.last_contact_at if current else None,
    )
    pairing.full_clean()
    pairing.save()
    audit_record(
        actor=actor,
        kind="create",
        action="pairing_create",
        obj=pairing,
        object_label=f"{resident.name} ← {helper.name}",
        after={
            "resident": resident.name,
            "helper": helper.name,
            "proximity": proximity,
            "source": source,
            "replaces": current.helper.name if current else "",
        },
    )
    return pairing


@transaction.atomic
def pairing_end(*, actor, pairing: Pairing) -> Pairing:
    _require(actor, Right.LIVELIHOOD_MANAGE, pairing.dwelling)
    if not pairing.is_active:
        raise DomainError(gettext("结对已结束"), field="status")
    pairing.is_active = False
    pairing.ended_at = timezone.now()
    pairing.save(update_fields=["is_active", "ended_at", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="pairing_end",
        obj=pairing,
        object_label=f"{pairing.resident.name} ← {pairing.helper.name}",
        after={"is_active": False},
    )
    return pairing


@transaction.atomic
def pairing_apply_suggestions(*, actor, community: Place) -> int:
    """Run the optimiser for the community's unpaired vulnerable residents and save its suggestions."""
    from shequ.livelihood.selectors import pairing_suggestions

    _require(actor, Right.LIVELIHOOD_MANAGE, community)
    suggestions = pairing_suggestions(community=community)
    residents = Person.objects.in_bulk([s["resident_id"] for s in suggestions])
    helpers = Person.objects.in_bulk([s["helper_id"] for s in suggestions])
    rows = []
    for s in suggestions:
        resident = residents[s["resident_id"]]
        rows.append(
            Pairing(
                resident=resident,
                helper=helpers[s["helper_id"]],
                helper_role=s["role"],
                dwelling_id=resident.home_id,
                proximity=s["proximity"],
                source=Pairing.Source.OPTIMISER,
                created_by=_user(actor),
            )
        )
    Pairing.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        kind="action",
        action="pairing_apply_suggestions",
        obj=community,
        community=community,
        after={"created": len(rows)},
    )
    return len(rows)


@transaction.atomic
def contact_log(*, actor, pairing: Pairing, kind: str, note: str = "", at: datetime | None = None) -> Contact:
    """联系记录: a call, visit or delivery. The helper themself, or anyone delivering in the place, may log it."""
    is_helper = getattr(actor, "person_id", None) == pairing.helper_id
    if not is_helper:
        _require(actor, Right.LIVELIHOOD_DELIVER, pairing.dwelling)
    if not pairing.is_active:
        raise DomainError(gettext("结对已结束"), field="pairing")
    if kind not in Contact.Kind.values:
        raise DomainError(gettext("请选择联系方式"), field="kind")
    now = timezone.now()
    at = at or now
    if at > now + timedelta(minutes=5):
        raise DomainError(gettext("联系时间不能晚于现在"), field="at")
    contact = Contact(
        pairing=pairing, kind=kind, at=at, note=(note or "").strip()[:200], recorded_by=_user(actor)
    )
    contact.full_clean()
    contact.save()
    if pairing.last_contact_at is None or at > pairing.last_contact_at:
        Pairing.objects.filter(pk=pairing.pk).update(last_contact_at=at)
        pairing.last_contact_at = at
    audit_record(
        actor=actor,
        kind="create",
        action="contact_log",
        obj=pairing,
        object_label=f"{pairing.resident.name} ← {pairing.helper.name}",
        after={"kind": kind, "at": at},
    )
    return contact


CONTACT_GAP_KIND = "livelihood.contact_gap"


def _gap_text(gap: timedelta) -> str:
    hours = int(gap.total_seconds() // 3600)
    return f"{hours // 24}天{hours % 24}小时" if hours >= 24 else f"{hours}小时"


@transaction.atomic
def contact_gaps_alert(*, actor=None, now: datetime | None = None) -> dict[str, int]:
    """The periodic scan (`shequ scheduler` → livelihood.tasks.alert_contact_gaps): every paired vulnerable
    resident not contacted within the limit (24 h during an active incident in their community, 7 days
    otherwise) is reported to the helper and to the community's workers, in their inbox and by SMS.

    A gap is one pairing left without contact since one moment (the last contact, or the pairing itself); its
    dedupe key is built from both, so a gap is alerted once however often the scan runs, and a new gap after a
    later contact is alerted again. Idempotent: a retry after a crash sends nothing twice."""
    from django.urls import reverse

    from shequ.livelihood.selectors import CONTACT_LIMIT_NORMAL, contact_gaps_everywhere, gap_alert_recipients
    from shequ.notifications.services import Message, notify_bulk

    gaps = contact_gaps_everywhere(now=now)
    if not gaps:
        return {"gaps": 0, "notified": 0}
    recipients = gap_alert_recipients(gaps)
    messages = [
        Message(
            recipients=recipients[p.pk],
            kind=CONTACT_GAP_KIND,
            title=f"结对联系超时:{p.resident.name}已{_gap_text(p.gap)}未联系",
            body=(
                f"帮扶人 {p.helper.name};联系时限 {_gap_text(p.limit)}"
                f"{'(应急事件期间)' if p.limit < CONTACT_LIMIT_NORMAL else ''}。请尽快电话或上门联系并登记。"
            ),
            url=reverse("livelihood:pairing_detail", args=[p.pk]),
            channels=("inbox", "sms"),
            dedupe_key=f"contact-gap:{p.pk}:{int(p.since.timestamp())}",
        )
        for p in gaps
        if recipients[p.pk]
    ]
    created = notify_bulk(actor=actor, messages=messages) if messages else []
    return {"gaps": len(gaps), "notified": len(created)}
