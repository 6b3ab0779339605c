"""The service catalogue (服务目录): what a resident may ask for, the lowest level that handles it and the time
limit at each level. Street-wide items are edited by the street, a community's own items by that community."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils.translation import gettext

from shequ.cases import policies
from shequ.cases.models import DEPARTMENTS, SERVICE_ITEM_FIELDS, HandlingLevel, ServiceItem
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor
from shequ.places.models import Place


def _item_snapshot(item: ServiceItem) -> dict:
    return {f: getattr(item, f) for f in SERVICE_ITEM_FIELDS}


def _check_item(item: ServiceItem) -> None:
    if not (item.name or "").strip():
        raise DomainError(gettext("请填写事项名称"), field="name", code="required")
    if item.lowest_level == HandlingLevel.DEPARTMENT and not item.department:
        raise DomainError(gettext("最低层级为职能部门时,须指定责任部门"), field="department")
    if item.department and item.department not in DEPARTMENTS:
        raise DomainError(
            gettext("未知部门:%(departments)s") % {"departments": item.department}, field="department"
        )
    clash = ServiceItem.objects.filter(street_id=item.street_id, code=item.code).exclude(pk=item.pk)
    if clash.exists():
        raise DomainError(gettext("编码已被使用"), field="code")
    item.full_clean(exclude=["street", "community"])


@transaction.atomic
def service_item_create(
    *, actor: Actor, street: Place, community: Place | None = None, **fields
) -> ServiceItem:
    item = ServiceItem(
        street=street, community=community, **{k: v for k, v in fields.items() if k in SERVICE_ITEM_FIELDS}
    )
    if community is not None and community.street_id != street.pk:
        raise DomainError(gettext("社区不属于该街道"), field="community")
    if not item.code:
        item.code = f"item-{secrets.token_hex(3)}"
    policies.require_edit_catalogue_item(actor, item)
    _check_item(item)
    item.save()
    audit_record(
        actor=actor,
        kind="create",
        action="service_item_create",
        obj=item,
        street=street,
        after=_item_snapshot(item),
    )
    return item


@transaction.atomic
def service_item_update(*, actor: Actor, item: ServiceItem, **changes) -> ServiceItem:
    policies.require_edit_catalogue_item(actor, item)
    before = _item_snapshot(item)
    for key, value in changes.items():
        if key in SERVICE_ITEM_FIELDS:
            setattr(item, key, value)
    _check_item(item)
    item.save()
    after = _item_snapshot(item)
    audit_record(
        actor=actor,
        kind="update",
        action="service_item_update",
        obj=item,
        street=item.street,
        before=before,
        after=after,
    )
    return item
