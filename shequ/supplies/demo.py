"""Demo supplies for the demo street: a catalogue, a street store and one store per community, stock with
lots and expiry (some near expiry, some below the reorder level), a few movements and open requests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from shequ.core.jurisdiction import SYSTEM
from shequ.places.models import Level, Place
from shequ.supplies import services
from shequ.supplies.models import Item

CATALOGUE = [
    ("MASK-KN95", "口罩", "mask", "KN95", "只", True, "0.5"),
    ("MASK-SURG", "口罩", "mask", "医用外科", "只", True, "1"),
    ("GLOVE", "一次性手套", "gloves", "丁腈", "副", True, "0.5"),
    ("DISINF-84", "84消毒液", "disinfectant", "5%", "升", False, "0.01"),
    ("ALCOHOL", "医用酒精", "disinfectant", "75%", "升", False, "0.005"),
    ("THERMO", "红外额温枪", "thermometer", "", "支", True, "0"),
    ("SUIT", "医用防护服", "suit", "一次性", "套", True, "0.002"),
    ("GOGGLES", "护目镜", "suit", "", "副", True, "0.001"),
    ("MED-FEVER", "退烧药", "medicine", "布洛芬缓释胶囊", "盒", True, "0.001"),
    ("RICE", "大米", "food", "10kg", "袋", True, "0.01"),
    ("OIL", "食用油", "food", "5L", "桶", True, "0.003"),
]


def seed_demo(*, street: Place, rng, progress, scale: int) -> None:
    items: dict[str, Item] = {}
    for code, name, category, grade, unit, countable, norm in CATALOGUE:
        items[code] = Item.objects.filter(street=street, code=code).first() or services.item_create(
            actor=SYSTEM,
            street=street,
            code=code,
            name=name,
            category=category,
            grade=grade,
            unit=unit,
            is_countable=countable,
            daily_norm_per_person=norm,
            pack_size=50 if code.startswith("MASK") else 1,
        )
    services.item_set_norm(actor=SYSTEM, item=items["MASK-KN95"], norm="1", plan="疫情一级响应")
    services.item_set_norm(actor=SYSTEM, item=items["MASK-SURG"], norm="2", plan="疫情一级响应")
    communities = list(Place.objects.filter(level=Level.COMMUNITY, street=street).order_by("path"))
    today = timezone.localdate()
    bar = progress(total=len(communities) + 1, desc="supplies")
    street_store = services.store_create(
        actor=SYSTEM,
        place=street,
        code=f"ST{street.pk}",
        name=f"{street.name}应急物资储备库",
        keeper="街道应急办",
    )
    factor = max(1, scale // 10_000)
    for code, item in items.items():
        qty = Decimal(rng.randint(500, 5000) * factor)
        if not item.is_countable:
            qty = qty / 10
        services.stock_receive(
            actor=SYSTEM,
            store=street_store,
            item=item,
            quantity=qty,
            lot_number=f"{code}-2026A",
            expires_on=today + timedelta(days=rng.randint(60, 720)),
        )
    bar.update(1)
    for index, community in enumerate(communities):
        store = services.store_create(
            actor=SYSTEM, place=community, code=f"CS{community.pk}", name=f"{community.name}物资点"
        )
        for code in ("MASK-SURG", "GLOVE", "DISINF-84", "THERMO"):
            item = items[code]
            qty = Decimal(rng.randint(20, 400))
            expires = today + timedelta(days=rng.choice([10, 25, 200, 400]))
            services.stock_receive(
                actor=SYSTEM,
                store=store,
                item=item,
                quantity=qty,
                lot_number=f"{code}-{index:02d}",
                expires_on=expires,
            )
            services.reorder_level_set(actor=SYSTEM, store=store, item=item, level=Decimal(100))
        services.stock_issue(
            actor=SYSTEM, store=store, item=items["MASK-SURG"], quantity=10, recipient="小区卡口值守组"
        )
        compound = Place.objects.filter(level=Level.COMPOUND, community=community).order_by("path").first()
        for item_code, team in (("MASK-KN95", "卡口值守组"), ("SUIT", "转运专班")):
            services.request_submit(
                actor=SYSTEM,
                place=compound or community,
                item=items[item_code],
                quantity=rng.randint(50, 400),
                team=team,
                reason="应急响应期间值守消耗",
            )
        bar.update(1)
    bar.close()
