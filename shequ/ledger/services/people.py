"""People: register, update, reveal a protected field."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from shequ.core import idnumbers, pii
from shequ.core.audit import audit_record, diff
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, require
from shequ.core.rights import Right
from shequ.ledger import policies
from shequ.ledger.models import IdType, Person
from shequ.ledger.names import name_pinyin
from shequ.ledger.services._common import (
    PERSON_FIELDS,
    _apply_id_number,
    _apply_phone,
    _check_duplicate,
    _snapshot,
    _validate_birth,
)
from shequ.places.models import Level, Place


@transaction.atomic
def person_create(
    *,
    actor: Actor,
    community: Place,
    name: str,
    sex: str = "",
    birth_date: date | None = None,
    id_number: str = "",
    id_type: str = IdType.RESIDENT,
    phone: str = "",
    phone_is_landline: bool = False,
    audit: bool = True,
    **fields,
) -> Person:
    """Register a person in a community's ledger. A second person with the same ID number is refused with a
    pointer to the existing one."""
    if community.level != Level.COMMUNITY:
        raise DomainError(gettext("人员须登记在社区"), field="community")
    require(actor, Right.LEDGER_EDIT, community)
    person = Person(
        community=community,
        name=(name or "").strip(),
        sex=sex or "",
        birth_date=birth_date,
        id_type=id_type or IdType.RESIDENT,
        **fields,
    )
    _apply_id_number(person, id_number, person.id_type)
    _apply_phone(person, phone, phone_is_landline)
    _validate_birth(person)
    person.name_pinyin, person.name_initials = name_pinyin(person.name)
    _check_duplicate(person)
    person.full_clean(exclude=["name_pinyin", "name_initials"])
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:  # a concurrent insert of the same ID number
        _check_duplicate(person)
        raise DomainError(gettext("该证件号码已登记"), field="id_number", code="duplicate_id_number") from exc
    if audit:
        audit_record(actor=actor, kind="create", action="person_create", obj=person, after=_snapshot(person))
    return person


@transaction.atomic
def person_update(*, actor: Actor, person: Person, **changes) -> Person:
    """Change a person's fields. `id_number` and `phone` given as plain text are validated, re-encrypted and
    re-hashed; an empty string clears them; leaving them out keeps them."""
    require(actor, Right.LEDGER_EDIT, person.home or person.community)
    person = Person.objects.select_for_update().get(pk=person.pk)
    before = _snapshot(person)
    id_number = changes.pop("id_number", None)
    phone = changes.pop("phone", None)
    for key, value in changes.items():
        if key not in PERSON_FIELDS:
            raise DomainError(gettext("不能修改字段 %(field)s") % {"field": key}, field=key)
        setattr(person, key, value)
    if id_number is not None and id_number.strip() != "":
        _apply_id_number(person, id_number, person.id_type)
    elif id_number is not None:
        _apply_id_number(person, "", person.id_type)
    elif person.id_number_encrypted and ("birth_date" in changes or "sex" in changes):
        info = idnumbers.parse(pii.decrypt(person.id_number_encrypted))
        if person.birth_date != info.birth_date:
            raise DomainError(
                gettext("出生日期与证件号码中的出生日期不一致"),
                field="birth_date",
                code="birth_date_mismatch",
            )
        if person.sex != info.sex:
            raise DomainError(gettext("性别与证件号码(第17位)不一致"), field="sex", code="sex_mismatch")
    if phone is not None:
        _apply_phone(person, phone, changes.get("phone_is_landline", person.phone_is_landline))
    _validate_birth(person)
    person.name_pinyin, person.name_initials = name_pinyin(person.name)
    _check_duplicate(person)
    person.full_clean(exclude=["name_pinyin", "name_initials"])
    person.save()
    b, a = diff(before, _snapshot(person))
    if a:
        audit_record(
            actor=actor,
            kind="update",
            action="person_update",
            obj=person,
            before=b,
            after=a,
            field=",".join(a),
        )
    return person


REVEALABLE = {"id_number": "id_number_encrypted", "phone": "phone_encrypted"}


@transaction.atomic
def person_reveal(*, actor: Actor, person: Person, field: str, reason: str) -> str:
    """Show one protected field in clear. Needs the reveal right over the person's place and a reason; the
    reveal is written to the audit log (who, when, which field of whom, why, from where)."""
    if field not in REVEALABLE:
        raise DomainError(gettext("该字段不能查看明文"), field="field")
    if not policies.can_reveal_person(actor, person):
        raise PermissionDenied(gettext("您没有查看完整个人信息的权限"))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(gettext("请填写查看原因"), field="reason", code="required")
    token = getattr(person, REVEALABLE[field])
    value = pii.decrypt(token) if token else ""
    audit_record(
        actor=actor, kind="reveal", action="person_reveal", obj=person, field=field, reason=reason[:300]
    )
    return value
