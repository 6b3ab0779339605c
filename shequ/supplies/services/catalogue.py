"""Catalogue, stores, norms: the street's item catalogue and consumption norms, stores and reorder levels."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.places.models import Level, Place
from shequ.supplies import policies
from shequ.supplies.models import ConsumptionNorm, Item, ReorderLevel, Store
from shequ.supplies.parsing import format_quantity, parse_norm, parse_quantity
from shequ.supplies.services._common import stock_changed


@transaction.atomic
def item_create(
    *,
    actor: Actor,
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
    policies.require_edit_catalogue(actor, street, message=gettext("只有街道可以维护物资目录"))
    code = (code or "").strip().upper()
    if not code:
        raise DomainError(gettext("请填写物资编码"), field="code", code="required")
    if Item.objects.filter(street=street, code=code).exists():
        raise DomainError(gettext("该物资编码已存在"), field="code", code="duplicate")
    norm = parse_norm(daily_norm_per_person)
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
def item_set_norm(*, actor: Actor, item: Item, norm, plan: str = "") -> Item:
    """Set the consumption norm (per person per day) — the item's default, or an emergency plan's own."""
    policies.require_edit_catalogue(actor, item.street, message=gettext("只有街道可以设置消耗定额"))
    value = parse_norm(norm, max_places=4)
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
    stock_changed()
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
def store_create(*, actor: Actor, place: Place, code: str, name: str, keeper: str = "") -> Store:
    if place.level not in (Level.STREET, Level.COMMUNITY):
        raise DomainError(gettext("仓库设在街道或社区"), field="place")
    policies.require_manage_stores_at(actor, place)
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
def reorder_level_set(*, actor: Actor, store: Store, item: Item, level) -> ReorderLevel:
    policies.require_manage_store(actor, store)
    value = parse_quantity(item, level, field="level", allow_zero=True)
    row, _created = ReorderLevel.objects.update_or_create(store=store, item=item, defaults={"level": value})
    audit_record(
        actor=actor,
        kind="update",
        action="reorder_level_set",
        obj=store,
        street=store.place.street,
        field="reorder_level",
        after={"item": item.code, "level": format_quantity(value)},
    )
    return row
