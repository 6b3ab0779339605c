"""Medicine bought on behalf (代购药品): the medicine list is health data, stored encrypted and shown masked; a
reveal is its own audited call."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from shequ.core import pii
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.ledger.models import Person
from shequ.livelihood import policies
from shequ.livelihood.models import MedicinePurchase, Merchant
from shequ.livelihood.parsing import parse_price
from shequ.livelihood.services._common import new_number, user_or_none


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
    *, actor: Actor, person: Person, details: str, pharmacy: Merchant | None = None
) -> MedicinePurchase:
    """代购药品 for a resident. The medicine list is health data: stored encrypted, shown masked."""
    dwelling = person.home
    if dwelling is None:
        raise DomainError(gettext("该居民没有登记现住址"), field="person")
    policies.require_order_for(actor, dwelling)
    details = (details or "").strip()
    if len(details) < 2:
        raise DomainError(gettext("请填写需要代购的药品"), field="details", code="required")
    if len(details) > 1000:
        raise DomainError(gettext("药品说明过长"), field="details")
    if pharmacy is not None and pharmacy.kind != Merchant.Kind.PHARMACY:
        raise DomainError(gettext("请选择药店"), field="pharmacy")
    purchase = MedicinePurchase(
        number=new_number("YP"),
        person=person,
        dwelling=dwelling,
        pharmacy=pharmacy,
        details_encrypted=pii.encrypt(details),
        details_masked=_mask_medicine(details),
        requested_by=user_or_none(actor),
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
def medicine_reveal(*, actor: Actor, purchase: MedicinePurchase, reason: str) -> str:
    """Show the medicine list in clear: the helper buying it, or a role with the reveal right; always logged."""
    policies.require_reveal_medicine(actor, purchase)
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
    *, actor: Actor, purchase: MedicinePurchase, status: str, cost=None, helper=None
) -> MedicinePurchase:
    policies.require_deliver_at(actor, purchase.dwelling)
    if status not in MedicinePurchase.Status.values:
        raise DomainError(gettext("状态无效"), field="status")
    before = purchase.status
    purchase.status = status
    if cost not in (None, ""):
        purchase.cost = parse_price(cost, "cost")
    if helper is not None:
        purchase.helper = helper
    elif purchase.helper_id is None and status == MedicinePurchase.Status.BOUGHT:
        purchase.helper = user_or_none(actor)
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
