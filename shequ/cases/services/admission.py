"""The admission list (准入清单) of what departments may hand down to communities, and the duties they hand
down (下派事项): one off the list is flagged to the street (权随责走、费随事转)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from shequ.cases import policies
from shequ.cases import selectors as sel
from shequ.cases.models import DEPARTMENTS, AdmissionItem, HandedDownDuty
from shequ.cases.services._common import _user
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.notifications.services import notify
from shequ.places.models import Place


def _money(value) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation as exc:
        raise DomainError(gettext("金额格式不正确"), field="funding_yuan") from exc


@transaction.atomic
def admission_item_create(
    *,
    actor: Actor,
    street: Place,
    department: str,
    name: str,
    basis: str = "",
    resources: str = "",
    funding_yuan=0,
    is_active: bool = True,
) -> AdmissionItem:
    policies.require_edit_admission_list(actor, street)
    if department not in DEPARTMENTS:
        raise DomainError(gettext("请选择部门"), field="department", code="required")
    if not (name or "").strip():
        raise DomainError(gettext("请填写事项名称"), field="name", code="required")
    if AdmissionItem.objects.filter(street=street, department=department, name=name.strip()).exists():
        raise DomainError(gettext("该部门已有同名事项"), field="name")
    item = AdmissionItem(
        street=street,
        department=department,
        name=name.strip(),
        basis=basis,
        resources=resources,
        funding_yuan=_money(funding_yuan),
        is_active=is_active,
    )
    item.full_clean(exclude=["street"])
    item.save()
    audit_record(
        actor=actor,
        kind="create",
        action="admission_item_create",
        obj=item,
        street=street,
        after={"department": department, "name": item.name, "funding_yuan": str(item.funding_yuan)},
    )
    return item


@transaction.atomic
def admission_item_update(*, actor: Actor, item: AdmissionItem, **changes) -> AdmissionItem:
    policies.require_edit_admission_list(actor, item.street)
    before = {
        "name": item.name,
        "resources": item.resources,
        "funding_yuan": str(item.funding_yuan),
        "is_active": item.is_active,
    }
    for key in ("name", "basis", "resources", "is_active"):
        if key in changes:
            setattr(item, key, changes[key])
    if "funding_yuan" in changes:
        item.funding_yuan = _money(changes["funding_yuan"])
    if not item.name.strip():
        raise DomainError(gettext("请填写事项名称"), field="name", code="required")
    item.full_clean(exclude=["street"])
    item.save()
    audit_record(
        actor=actor,
        kind="update",
        action="admission_item_update",
        obj=item,
        street=item.street,
        before=before,
        after={
            "name": item.name,
            "resources": item.resources,
            "funding_yuan": str(item.funding_yuan),
            "is_active": item.is_active,
        },
    )
    return item


@transaction.atomic
def duty_record(
    *,
    actor: Actor,
    community: Place,
    department: str,
    title: str,
    description: str = "",
    admission_item: AdmissionItem | None = None,
    handed_on=None,
    estimated_hours=0,
) -> HandedDownDuty:
    """Record a duty a department handed to a community. Not on the admission list → flagged to the street."""
    policies.require_record_duty(actor, community)
    if department not in DEPARTMENTS:
        raise DomainError(gettext("请选择下派部门"), field="department", code="required")
    title = (title or "").strip()
    if not title:
        raise DomainError(gettext("请填写下派事项"), field="title", code="required")
    if admission_item is not None and (
        admission_item.street_id != community.street_id
        or admission_item.department != department
        or not admission_item.is_active
    ):
        raise DomainError(gettext("所选清单事项不属于该部门或已失效"), field="admission_item")
    if admission_item is None:
        admission_item = AdmissionItem.objects.filter(
            street_id=community.street_id, department=department, name=title, is_active=True
        ).first()
    try:
        hours = Decimal(str(estimated_hours or 0))
    except InvalidOperation as exc:
        raise DomainError(gettext("工时格式不正确"), field="estimated_hours") from exc
    duty = HandedDownDuty(
        community=community,
        street_id=community.street_id,
        department=department,
        title=title,
        description=description,
        admission_item=admission_item,
        is_on_list=admission_item is not None,
        handed_on=handed_on or timezone.localdate(),
        estimated_hours=hours,
        recorded_by=_user(actor),
    )
    duty.full_clean(exclude=["community", "street", "admission_item", "recorded_by"])
    duty.save()
    audit_record(
        actor=actor,
        kind="create",
        action="duty_record",
        obj=duty,
        after={"department": department, "title": title, "on_list": duty.is_on_list},
    )
    if not duty.is_on_list:
        notify(
            actor=actor,
            recipients=sel.street_officers(community.street_id),
            kind="cases.duty_off_list",
            title=f"清单外下派事项:{department}向{community.name}下派“{title}”",
            body="该事项不在准入清单内,请街道核查(权随责走、费随事转)",
            url=reverse("cases:admission"),
        )
    return duty
