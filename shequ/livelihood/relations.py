"""livelihood's references to a ledger person or household, registered in LivelihoodConfig.ready() (see
ledger/person_relations.py). A helper's capacity and a care selection are one-to-one, and a resident has one
active pairing: when both records hold one, the survivor's is kept (the default handler's clash rule)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shequ.ledger import person_relations as pr
from shequ.livelihood.models import CareSelection, HelperCapacity, MedicinePurchase, Order, Pairing


def register() -> None:
    pr.register(Pairing, "resident", label=_("结对帮扶(被帮扶人)"))
    pr.register(Pairing, "helper", label=_("结对帮扶(帮扶人)"))
    pr.register(MedicinePurchase, "person", label=_("代购药品"))
    pr.register(HelperCapacity, "person", label=_("帮扶能力"))
    pr.register(CareSelection, "person", label=_("纳入帮扶"))
    pr.register(Order, "household", label=_("团购订单"))
