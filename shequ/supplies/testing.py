"""Supplies objects in both communities of the test world, for the generic jurisdiction walk."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from shequ.supplies import services
from shequ.supplies.models import Item


def catalogue(world) -> dict[str, Item]:
    """A small catalogue of the world's street (idempotent)."""
    street = world.street
    specs = [
        ("MASK-N95", "口罩", "mask", "KN95", "只", True, "1"),
        ("MASK-SURG", "口罩", "mask", "医用外科", "只", True, "2"),
        ("GLOVE", "一次性手套", "gloves", "", "副", True, "0.5"),
        ("DISINF", "84消毒液", "disinfectant", "", "升", False, "0.02"),
        ("THERMO", "红外体温计", "thermometer", "", "支", True, "0"),
        ("SUIT", "防护服", "suit", "医用", "套", True, "0.01"),
    ]
    items = {}
    for code, name, category, grade, unit, countable, norm in specs:
        item = Item.objects.filter(street=street, code=code).first() or services.item_create(
            actor=world.street_officer,
            street=street,
            code=code,
            name=name,
            category=category,
            grade=grade,
            unit=unit,
            is_countable=countable,
            daily_norm_per_person=norm,
        )
        items[code] = item
    return items


def populate(world) -> list[str]:
    """Stores, stock, a request and an allocation in communities A and B; returns strings only B's objects show."""
    items = catalogue(world)
    officer = world.street_officer
    expires = timezone.localdate() + timedelta(days=200)
    stores = {}
    for side, letter in ((world.a, "A"), (world.b, "B")):
        store = services.store_create(
            actor=side.worker,
            place=side.community,
            code=f"{letter}-STORE",
            name=f"{letter}社区应急仓库" if letter == "A" else "老街储备仓乙号",
        )
        services.stock_receive(
            actor=side.worker,
            store=store,
            item=items["MASK-N95"],
            quantity=500,
            lot_number=f"LOT-{letter}-1",
            expires_on=expires,
        )
        services.stock_issue(
            actor=side.worker,
            store=store,
            item=items["MASK-N95"],
            quantity=20,
            recipient="卡口值守组" if letter == "A" else "乙号卡口值守",
        )
        stores[letter] = store
    street_store = services.store_create(
        actor=officer, place=world.street, code="ST-STORE", name="街道应急仓库"
    )
    services.stock_receive(actor=officer, store=street_store, item=items["DISINF"], quantity=Decimal("100.5"))
    services.request_submit(
        actor=world.a.worker,
        place=world.a.compound,
        item=items["DISINF"],
        quantity=40,
        team="消杀组",
        reason="阳光花园楼道消杀",
    )
    services.request_submit(
        actor=world.b.worker,
        place=world.b.compound,
        item=items["DISINF"],
        quantity=60,
        team="乙号消杀队",
        reason="老街小区乙号消杀",
    )
    return ["老街储备仓乙号", "乙号卡口值守", "乙号消杀队", "老街小区乙号消杀"]
