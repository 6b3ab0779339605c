"""Data sources: the registers a street or community imports from."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import require
from shequ.core.rights import Right
from shequ.imports.models import (
    DataSource,
)
from shequ.imports.services._common import user_or_none
from shequ.places.models import Level, Place

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor

logger = logging.getLogger("shequ.imports.services")


@transaction.atomic
def source_create(
    *, actor: Actor, owner: Place, name: str, kind: str, trust_rank: int | None = None
) -> DataSource:
    """Add a data source kept by a street or community."""
    if owner.level not in (Level.STREET, Level.COMMUNITY):
        raise DomainError(gettext("数据来源须属于街道或社区"), field="owner")
    require(actor, Right.IMPORTS_RUN, owner)
    name = (name or "").strip()
    if not name:
        raise DomainError(gettext("请填写来源名称"), field="name", code="required")
    if kind not in DataSource.Kind.values:
        raise DomainError(gettext("请选择来源类别"), field="kind")
    if trust_rank is None:
        trust_rank = DataSource.DEFAULT_TRUST[kind]
    if not 0 <= int(trust_rank) <= 100:
        raise DomainError(gettext("可信度应在0到100之间"), field="trust_rank")
    if DataSource.objects.filter(owner=owner, name=name).exists():
        raise DomainError(
            gettext("已有名为“%(name)s”的数据来源") % {"name": name}, field="name", code="duplicate"
        )
    source = DataSource(
        owner=owner,
        name=name,
        kind=kind,
        trust_rank=int(trust_rank),
        created_by=user_or_none(actor),
    )
    source.full_clean()
    source.save()
    audit_record(
        actor=actor, kind="create", action="source_create", obj=source, after={"name": name, "kind": kind}
    )
    return source


@transaction.atomic
def sources_ensure_defaults(*, street: Place) -> list[DataSource]:
    """The six registers every street has (公安户籍, 物业业主名册, …), created once per street by the system."""
    made = []
    for kind, label in DataSource.Kind.choices:
        if kind == DataSource.Kind.OTHER:
            continue
        source, created = DataSource.objects.get_or_create(
            owner=street,
            name=str(label),
            defaults={"kind": kind, "trust_rank": DataSource.DEFAULT_TRUST[kind], "is_builtin": True},
        )
        if created:
            made.append(source)
    return made
