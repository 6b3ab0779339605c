"""Living-guarantee objects in both communities of the test world, for the generic jurisdiction walk."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from shequ.ledger import services as ledger
from shequ.ledger.models import Duty
from shequ.livelihood import services
from shequ.livelihood.models import Contact, Merchant


def group_buy_for(world, side, *, title: str, merchant_name: str):
    merchant = services.merchant_create(
        actor=side.worker, name=merchant_name, kind=Merchant.Kind.SUPERMARKET, areas=[side.community]
    )
    return services.group_buy_create(
        actor=side.worker,
        merchant=merchant,
        place=side.building,
        title=title,
        cutoff_at=timezone.now() + timedelta(hours=6),
        items=[
            {"name": "蔬菜包", "unit": "份", "price": "39.90", "limit_per_household": 2},
            {"name": "鸡蛋", "unit": "盒", "price": "18", "limit_per_household": 1},
        ],
    )


def populate(world) -> list[str]:
    """Merchants, group buys with orders, a pairing with a contact and a medicine purchase in A and B.
    Returns strings that only community B's objects carry."""
    names = {"A": ("阳光3栋蔬菜团", "阳光便民超市"), "B": ("老街乙栋平价菜团", "乙号平价超市")}
    for side, letter in ((world.a, "A"), (world.b, "B")):
        title, merchant = names[letter]
        gb = group_buy_for(world, side, title=title, merchant_name=merchant)
        items = list(gb.items.all())
        services.order_place(
            actor=side.resident, group_buy=gb, household=side.household, quantities={items[0].pk: 1}
        )
        helper = side.spouse
        ledger.duty_assign(actor=side.worker, person=helper, kind=Duty.Kind.VOLUNTEER, place=side.building)
        pairing = services.pairing_create(actor=side.worker, resident=side.elder, helper=helper)
        services.contact_log(
            actor=side.worker,
            pairing=pairing,
            kind=Contact.Kind.CALL,
            note="电话问候" if letter == "A" else "乙栋电话回访",
        )
        services.medicine_request(actor=side.worker, person=side.elder, details="硝苯地平缓释片 2盒")
    return ["老街乙栋平价菜团", "乙号平价超市", "乙栋电话回访"]
