"""Demo living guarantee: a supermarket and a pharmacy serving the street, a group buy for one building with
orders (some entered by the building leader), medicine bought on behalf, and helpers paired with the vulnerable
residents of each community by the optimiser, with some contacts logged."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from shequ.core.jurisdiction import SYSTEM
from shequ.ledger.models import Household
from shequ.livelihood import services
from shequ.livelihood.models import Contact, Merchant, Pairing
from shequ.places.models import Level, Place


def seed_demo(*, street: Place, rng, progress, scale: int) -> None:
    communities = list(Place.objects.filter(level=Level.COMMUNITY, street=street).order_by("path"))
    if not communities:
        return
    bar = progress(total=len(communities) + 1, desc="livelihood")
    market = services.merchant_create(
        actor=SYSTEM,
        name="惠民生鲜超市",
        kind=Merchant.Kind.SUPERMARKET,
        areas=communities,
        contact_name="王经理",
        contact_phone="13800138000",
    )
    pharmacy = services.merchant_create(
        actor=SYSTEM, name="仁心大药房", kind=Merchant.Kind.PHARMACY, areas=communities
    )
    building = Place.objects.filter(level=Level.BUILDING, community=communities[0]).order_by("path").first()
    if building is not None:
        gb = services.group_buy_create(
            actor=SYSTEM,
            merchant=market,
            place=building,
            title=f"{building.compound.name}{building.name}蔬菜肉蛋团购",
            cutoff_at=timezone.now() + timedelta(hours=20),
            delivery_on=timezone.localdate() + timedelta(days=1),
            items=[
                {"name": "蔬菜包(约5斤)", "unit": "份", "price": "39.90", "limit_per_household": 2},
                {"name": "猪肉(2斤)", "unit": "份", "price": "36.00", "limit_per_household": 1},
                {"name": "土鸡蛋(30枚)", "unit": "盒", "price": "28.50", "limit_per_household": 1},
                {"name": "大米(10kg)", "unit": "袋", "price": "59.00", "limit_per_household": 1},
            ],
            note="无接触配送,送达后凭取件码签收",
        )
        items = list(gb.items.all())
        households = list(Household.objects.filter(dwelling__building=building, is_active=True)[:40])
        for household in households:
            wanted = {i.pk: rng.randint(0, i.limit_per_household) for i in items}
            if not any(wanted.values()):
                wanted[items[0].pk] = 1
            services.order_place(actor=SYSTEM, group_buy=gb, household=household, quantities=wanted)
    bar.update(1)
    for community in communities:
        services.pairing_apply_suggestions(actor=SYSTEM, community=community)
        pairings = list(Pairing.objects.filter(is_active=True, dwelling__community=community)[:200])
        for p in pairings:
            if rng.random() < 0.7:
                services.contact_log(
                    actor=SYSTEM,
                    pairing=p,
                    kind=rng.choice(Contact.Kind.values),
                    note=rng.choice(["电话问候,身体良好", "送菜上门", "代购药品已送达", "上门查看"]),
                    at=timezone.now() - timedelta(hours=rng.randint(1, 24 * 10)),
                )
        for p in pairings[:3]:
            services.medicine_request(
                actor=SYSTEM, person=p.resident, details="降压药 2盒、降糖药 1盒", pharmacy=pharmacy
            )
        bar.update(1)
    bar.close()
