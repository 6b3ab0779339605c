"""Merchants: 保供商户 and the communities, compounds and buildings they serve."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from shequ.core import phones, pii
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.livelihood import policies
from shequ.livelihood.models import Merchant
from shequ.places.models import Level, Place


@transaction.atomic
def merchant_create(
    *,
    actor: Actor,
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
        policies.require_manage_at(actor, area)
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
