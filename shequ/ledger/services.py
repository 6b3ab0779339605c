"""Writes to the household ledger. Every write checks the actor's jurisdiction, validates, and leaves an audit
event with before/after (personal data masked) in the same transaction."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from pypinyin import Style, lazy_pinyin

from shequ.core import idnumbers, phones, pii
from shequ.core.audit import audit_record, diff
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import covers
from shequ.core.rights import Right
from shequ.ledger.models import (
    Duty,
    GroupTag,
    Household,
    HouseholdMember,
    IdType,
    Need,
    Person,
    Relation,
    Residency,
)
from shequ.places.models import Dwelling, Level, Place

# pypinyin reads these by their common reading; as surnames they are read otherwise.
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "仇": "qiu",
    "解": "xie",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "尉": "yu",
    "乐": "yue",
    "缪": "miao",
    "覃": "qin",
    "翟": "zhai",
    "长": "chang",
    "种": "chong",
    "员": "yun",
    "秘": "bi",
    "重": "chong",
    "折": "she",
    "繁": "po",
    "纪": "ji",
    "任": "ren",
    "沈": "shen",
    "薄": "bo",
}
COMPOUND_SURNAMES = {
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "司徒",
    "万俟",
    "长孙",
    "宇文",
    "夏侯",
    "轩辕",
    "端木",
    "独孤",
    "南宫",
    "西门",
    "澹台",
    "申屠",
}
COMPOUND_READINGS = {"尉迟": ["yu", "chi"], "万俟": ["mo", "qi"], "长孙": ["zhang", "sun"]}

PERSON_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "id_type",
    "hukou_region",
    "hukou_is_local",
    "political_status",
    "education",
    "occupation",
    "is_deceased",
    "notes",
    "phone_is_landline",
)


def name_syllables(name: str) -> list[str]:
    """Pinyin syllables of a personal name, reading the surname as a surname."""
    name = (name or "").strip()
    if not name:
        return []
    if name[:2] in COMPOUND_SURNAMES:
        head = COMPOUND_READINGS.get(name[:2]) or lazy_pinyin(name[:2])
        return head + lazy_pinyin(name[2:], style=Style.NORMAL)
    first = SURNAME_READINGS.get(name[0]) or lazy_pinyin(name[0])[0]
    return [first] + lazy_pinyin(name[1:], style=Style.NORMAL)


def name_pinyin(name: str) -> tuple[str, str]:
    """('zhangwei', 'zw') for 张伟; Latin names come back lower-cased without spaces."""
    syllables = [s.lower() for s in name_syllables(name) if s.strip()]
    full = "".join(ch for ch in "".join(syllables) if ch.isalnum())
    initials = "".join(s[0] for s in syllables if s and s[0].isalnum())
    return full[:120], initials[:20]


def _snapshot(person: Person) -> dict:
    data = {f: getattr(person, f) for f in PERSON_FIELDS}
    data["id_number"] = person.id_number_masked
    data["phone"] = person.phone_masked
    return data


def _require(actor, right: Right, place_like, *, field: str | None = None) -> None:
    if actor is None:  # the system itself (seed, imports run by a job on behalf of an audited batch)
        return
    if not covers(actor, right, place_like):
        raise PermissionDenied(gettext("不在您的管辖范围内"))


def _require_person_visible(actor, person: Person) -> None:
    """A person the actor cannot see may not be attached to anything (defence in depth: views and the API
    already resolve people through the scoped selector)."""
    if actor is None:
        return
    from shequ.ledger.selectors import person_scope_q

    if not Person.objects.filter(pk=person.pk).filter(person_scope_q(actor, Right.LEDGER_VIEW)).exists():
        raise DomainError(gettext("该人员不在您的管辖范围内"), field="person", code="outside_jurisdiction")


def _apply_id_number(person: Person, raw: str, id_type: str) -> None:
    raw = (raw or "").strip()
    if not raw:
        person.id_number_encrypted = person.id_number_hash = person.id_number_masked = ""
        return
    try:
        info = idnumbers.parse(raw)
    except idnumbers.IdNumberError as exc:
        raise DomainError(gettext(exc.message), field="id_number", code=exc.code) from exc
    if person.birth_date and person.birth_date != info.birth_date:
        raise DomainError(
            gettext("出生日期(%(entered)s)与证件号码中的出生日期(%(from_id)s)不一致")
            % {"entered": person.birth_date.isoformat(), "from_id": info.birth_date.isoformat()},
            field="birth_date",
            code="birth_date_mismatch",
        )
    if person.sex and person.sex != info.sex:
        raise DomainError(gettext("性别与证件号码(第17位)不一致"), field="sex", code="sex_mismatch")
    person.birth_date = info.birth_date
    person.sex = info.sex
    if info.kind == idnumbers.IdKind.LEGACY:
        person.id_type = IdType.LEGACY
    elif info.kind == idnumbers.IdKind.FOREIGN_PR:
        person.id_type = IdType.FOREIGN_PR
    elif info.kind == idnumbers.IdKind.HKMO_TW_PERMIT:
        person.id_type = IdType.PERMIT
    else:
        person.id_type = id_type if id_type != IdType.NONE else IdType.RESIDENT
    canonical = idnumbers.canonical(raw)
    person.id_number_encrypted = pii.encrypt(info.normalized)
    person.id_number_hash = pii.keyed_hash("id", canonical)
    person.id_number_masked = idnumbers.mask(info.normalized)


def _apply_phone(person: Person, raw: str, allow_landline: bool) -> None:
    raw = (raw or "").strip()
    if not raw:
        person.phone_encrypted = person.phone_hash = person.phone_masked = person.phone_tail = ""
        return
    try:
        value = phones.parse(raw, allow_landline=allow_landline)
    except phones.PhoneError as exc:
        raise DomainError(gettext(exc.message), field="phone", code="bad_phone") from exc
    person.phone_encrypted = pii.encrypt(value)
    person.phone_hash = pii.keyed_hash("phone", phones.normalize(value).replace("-", ""))
    person.phone_masked = phones.mask(value)
    person.phone_tail = value.replace("-", "")[-4:]
    person.phone_is_landline = not phones.MOBILE_RE.fullmatch(value)


def find_by_id_number(raw: str) -> Person | None:
    """Exact look-up through the keyed hash (both 15- and 18-digit forms hash alike)."""
    try:
        canonical = idnumbers.canonical(raw)
    except idnumbers.IdNumberError:
        return None
    return Person.objects.filter(id_number_hash=pii.keyed_hash("id", canonical)).first()


def _check_duplicate(person: Person) -> None:
    if not person.id_number_hash:
        return
    existing = Person.objects.filter(id_number_hash=person.id_number_hash).exclude(pk=person.pk).first()
    if existing is not None:
        raise DomainError(
            gettext("该证件号码已登记:%(name)s(%(community)s),请打开已有人员记录,不要重复登记")
            % {"name": existing.name, "community": existing.community.name},
            field="id_number",
            code="duplicate_id_number",
            extra={"existing_person": existing},
        )


def _validate_birth(person: Person) -> None:
    if person.birth_date and person.birth_date > date.today():
        raise DomainError(gettext("出生日期不能晚于今天"), field="birth_date")
    if person.birth_date and person.birth_date.year < 1880:
        raise DomainError(gettext("出生日期不合理"), field="birth_date")
    if not (person.name or "").strip():
        raise DomainError(gettext("请填写姓名"), field="name", code="required")
    if not person.sex:
        raise DomainError(gettext("请选择性别,或填写证件号码以自动识别"), field="sex", code="required")


@transaction.atomic
def person_create(
    *,
    actor,
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
    _require(actor, Right.LEDGER_EDIT, community)
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
def person_update(*, actor, person: Person, **changes) -> Person:
    """Change a person's fields. `id_number` and `phone` given as plain text are validated, re-encrypted and
    re-hashed; an empty string clears them; leaving them out keeps them."""
    _require(actor, Right.LEDGER_EDIT, person.home or person.community)
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
def person_reveal(*, actor, person: Person, field: str, reason: str) -> str:
    """Show one protected field in clear. Needs the reveal right over the person's place and a reason; the
    reveal is written to the audit log (who, when, which field of whom, why, from where)."""
    if field not in REVEALABLE:
        raise DomainError(gettext("该字段不能查看明文"), field="field")
    if not covers(actor, Right.PII_REVEAL, person.home or person.community) and not covers(
        actor, Right.PII_REVEAL, person.community
    ):
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


# Households ---------------------------------------------------------------------------------------------------


@transaction.atomic
def household_create(
    *,
    actor,
    dwelling: Dwelling,
    head: Person | None = None,
    kind: str = Household.Kind.FAMILY,
    audit: bool = True,
) -> Household:
    _require(actor, Right.LEDGER_EDIT, dwelling)
    household = Household(dwelling=dwelling, kind=kind, head=head)
    household.full_clean()
    household.save()
    if head is not None:
        HouseholdMember.objects.create(household=household, person=head, relation=Relation.HEAD)
    if audit:
        audit_record(
            actor=actor,
            kind="create",
            action="household_create",
            obj=household,
            community=dwelling.community,
            after={"dwelling": dwelling.address, "head": str(head or "")},
        )
    return household


@transaction.atomic
def household_add_member(
    *, actor, household: Household, person: Person, relation: str, joined_on: date | None = None
) -> HouseholdMember:
    _require(actor, Right.LEDGER_EDIT, household.dwelling)
    _require_person_visible(actor, person)
    if relation not in Relation.values:
        raise DomainError(gettext("请选择与户主关系"), field="relation")
    if household.members.filter(person=person, left_on__isnull=True).exists():
        raise DomainError(gettext("%(name)s 已是本户成员") % {"name": person.name}, field="person")
    if (
        relation == Relation.HEAD
        and household.members.filter(relation=Relation.HEAD, left_on__isnull=True).exists()
    ):
        raise DomainError(gettext("本户已有户主;请先变更户主"), field="relation")
    member = HouseholdMember(household=household, person=person, relation=relation, joined_on=joined_on)
    member.full_clean()
    member.save()
    if relation == Relation.HEAD:
        Household.objects.filter(pk=household.pk).update(head=person)
    audit_record(
        actor=actor,
        kind="update",
        action="household_add_member",
        obj=household,
        community=household.dwelling.community,
        after={"member": person.name, "relation": relation},
    )
    return member


@transaction.atomic
def household_remove_member(
    *, actor, member: HouseholdMember, left_on: date | None = None
) -> HouseholdMember:
    _require(actor, Right.LEDGER_EDIT, member.household.dwelling)
    member.left_on = left_on or timezone.localdate()
    member.save(update_fields=["left_on", "updated_at"])
    if member.household.head_id == member.person_id:
        Household.objects.filter(pk=member.household_id).update(head=None)
    audit_record(
        actor=actor,
        kind="update",
        action="household_remove_member",
        obj=member.household,
        community=member.household.dwelling.community,
        before={"member": member.person.name},
        after={"left_on": member.left_on},
    )
    return member


@transaction.atomic
def household_confirm(*, actor, household: Household, source: str, on: date | None = None) -> Household:
    """Record that the household's facts were confirmed (by a visit, a source import …) on a date."""
    _require(actor, Right.LEDGER_EDIT, household.dwelling)
    before = {"last_confirmed_on": household.last_confirmed_on, "source": household.last_confirmed_source}
    household.last_confirmed_on = on or timezone.localdate()
    household.last_confirmed_source = source[:60]
    household.save(update_fields=["last_confirmed_on", "last_confirmed_source", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="household_confirm",
        obj=household,
        community=household.dwelling.community,
        before=before,
        after={"last_confirmed_on": household.last_confirmed_on, "source": source},
    )
    return household


# Residency ----------------------------------------------------------------------------------------------------


def person_refresh_home(person: Person) -> None:
    current = (
        Residency.objects.filter(person=person, lives_here=True, until__isnull=True)
        .select_related("dwelling")
        .order_by("-since", "-id")
        .first()
    )
    home = current.dwelling if current else None
    Person.objects.filter(pk=person.pk).update(home=home, home_compound=home.compound if home else None)
    person.home = home
    person.home_compound = home.compound if home else None


@transaction.atomic
def residency_create(
    *,
    actor,
    person: Person,
    dwelling: Dwelling,
    role: str,
    lives_here: bool = True,
    since: date | None = None,
    until: date | None = None,
    source: str = "",
    audit: bool = True,
) -> Residency:
    """Record that a person stands in `role` to a dwelling. Moving someone into a dwelling outside the actor's
    jurisdiction is refused and changes nothing."""
    if actor is not None and not covers(actor, Right.LEDGER_EDIT, dwelling):
        raise DomainError(
            gettext("该房屋不在您的管辖范围内,不能登记入住"), field="dwelling", code="outside_jurisdiction"
        )
    if role not in Residency.Role.values:
        raise DomainError(gettext("请选择居住关系"), field="role")
    if since and until and until < since:
        raise DomainError(gettext("结束日期不能早于起始日期"), field="until")
    if since and since > timezone.localdate():
        raise DomainError(gettext("起始日期不能晚于今天"), field="since")
    if Residency.objects.filter(person=person, dwelling=dwelling, role=role, until__isnull=True).exists():
        raise DomainError(
            gettext("%(name)s 已以该身份登记在此房屋") % {"name": person.name}, field="role", code="duplicate"
        )
    residency = Residency(
        person=person,
        dwelling=dwelling,
        role=role,
        lives_here=lives_here,
        since=since,
        until=until,
        source=source[:60],
    )
    residency.full_clean()
    residency.save()
    if lives_here and until is None:
        person_refresh_home(person)
    if audit:
        audit_record(
            actor=actor,
            kind="create",
            action="residency_create",
            obj=residency,
            community=dwelling.community,
            after={
                "person": person.name,
                "dwelling": dwelling.address,
                "role": role,
                "lives_here": lives_here,
                "since": since,
            },
        )
    return residency


@transaction.atomic
def residency_end(*, actor, residency: Residency, until: date | None = None) -> Residency:
    _require(actor, Right.LEDGER_EDIT, residency.dwelling)
    until = until or timezone.localdate()
    if residency.since and until < residency.since:
        raise DomainError(gettext("结束日期不能早于起始日期"), field="until")
    residency.until = until
    residency.save(update_fields=["until", "updated_at"])
    person_refresh_home(residency.person)
    audit_record(
        actor=actor,
        kind="update",
        action="residency_end",
        obj=residency,
        community=residency.dwelling.community,
        after={"until": until},
    )
    return residency


@transaction.atomic
def person_move(
    *,
    actor,
    person: Person,
    dwelling: Dwelling,
    role: str = Residency.Role.OCCUPANT,
    on: date | None = None,
    source: str = "",
) -> Residency:
    """Move a person: their current lived-in residencies end, a new one starts."""
    if actor is not None and not covers(actor, Right.LEDGER_EDIT, dwelling):
        raise DomainError(
            gettext("该房屋不在您的管辖范围内,不能迁入"), field="dwelling", code="outside_jurisdiction"
        )
    on = on or timezone.localdate()
    for old in Residency.objects.filter(person=person, lives_here=True, until__isnull=True).select_related(
        "dwelling"
    ):
        residency_end(actor=actor, residency=old, until=max(on, old.since or on))
    return residency_create(actor=actor, person=person, dwelling=dwelling, role=role, since=on, source=source)


# Tags, needs, duties --------------------------------------------------------------------------------------------


@transaction.atomic
def tag_add(
    *,
    actor,
    person: Person,
    kind: str,
    grade: str = "",
    detail: str = "",
    since: date | None = None,
    until: date | None = None,
    audit: bool = True,
) -> GroupTag:
    _require(actor, Right.LEDGER_EDIT, person.home or person.community)
    if kind not in GroupTag.Kind.values:
        raise DomainError(gettext("请选择人群类别"), field="kind")
    if kind == GroupTag.Kind.DISABLED and grade and grade not in {"一级", "二级", "三级", "四级"}:
        raise DomainError(gettext("残疾等级应为一级至四级"), field="grade")
    if GroupTag.objects.filter(person=person, kind=kind, until__isnull=True).exists():
        raise DomainError(gettext("该人员已有此类别标签"), field="kind", code="duplicate")
    tag = GroupTag(
        person=person,
        kind=kind,
        grade=grade,
        detail=detail,
        since=since,
        until=until,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    tag.full_clean()
    tag.save()
    if audit:
        audit_record(
            actor=actor,
            kind="create",
            action="tag_add",
            obj=tag,
            community=person.community,
            object_label=f"{person.name} · {tag.get_kind_display()}",
            after={"kind": kind, "grade": grade, "since": since},
        )
    return tag


@transaction.atomic
def tag_end(*, actor, tag: GroupTag, until: date | None = None) -> GroupTag:
    _require(actor, Right.LEDGER_EDIT, tag.person.home or tag.person.community)
    tag.until = until or timezone.localdate()
    tag.save(update_fields=["until", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="tag_end",
        obj=tag,
        community=tag.person.community,
        object_label=f"{tag.person.name} · {tag.get_kind_display()}",
        after={"until": tag.until},
    )
    return tag


@transaction.atomic
def need_create(
    *, actor, household: Household, kind: str, detail: str = "", person: Person | None = None
) -> Need:
    _require(actor, Right.LEDGER_EDIT, household.dwelling)
    if kind not in Need.Kind.values:
        raise DomainError(gettext("请选择需求类别"), field="kind")
    need = Need(
        household=household,
        kind=kind,
        detail=detail,
        person=person,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    need.full_clean()
    need.save()
    audit_record(
        actor=actor,
        kind="create",
        action="need_create",
        obj=need,
        community=household.dwelling.community,
        after={"kind": kind, "detail": detail},
    )
    return need


@transaction.atomic
def need_set_status(*, actor, need: Need, status: str) -> Need:
    _require(actor, Right.LEDGER_EDIT, need.household.dwelling)
    if status not in Need.Status.values:
        raise DomainError(gettext("状态无效"), field="status")
    before = need.status
    need.status = status
    need.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="need_set_status",
        obj=need,
        community=need.household.dwelling.community,
        before={"status": before},
        after={"status": status},
    )
    return need


@transaction.atomic
def duty_assign(
    *,
    actor,
    person: Person,
    kind: str,
    place: Place,
    title: str = "",
    employer: str = "",
    skills: str = "",
    since: date | None = None,
    grid=None,
    audit: bool = True,
) -> Duty:
    """Put a person on the roster with a duty and a place of duty (community, compound or building)."""
    if place.level not in (Level.COMMUNITY, Level.COMPOUND, Level.BUILDING, Level.UNIT):
        raise DomainError(gettext("履职地点须为社区、小区、楼栋或单元"), field="place")
    _require(actor, Right.LEDGER_EDIT, place)
    if kind not in Duty.Kind.values:
        raise DomainError(gettext("请选择职责"), field="kind")
    if Duty.objects.filter(person=person, kind=kind, place=place, is_active=True).exists():
        raise DomainError(gettext("该人员已在此地点担任此职责"), field="kind", code="duplicate")
    duty = Duty(
        person=person,
        kind=kind,
        place=place,
        title=title,
        employer=employer,
        skills=skills,
        since=since,
        grid=grid or place.grid,
        street_id=place.street_id,
        community_id=place.community_id,
        compound_id=place.compound_id,
        building_id=place.building_id,
        unit_id=place.unit_id,
    )
    duty.full_clean()
    duty.save()
    if audit:
        audit_record(
            actor=actor,
            kind="create",
            action="duty_assign",
            obj=duty,
            community=place.community,
            after={"person": person.name, "kind": kind, "place": place.name},
        )
    return duty


@transaction.atomic
def duty_end(*, actor, duty: Duty, until: date | None = None) -> Duty:
    _require(actor, Right.LEDGER_EDIT, duty.place)
    duty.is_active = False
    duty.until = until or timezone.localdate()
    duty.save(update_fields=["is_active", "until", "updated_at"])
    audit_record(
        actor=actor,
        kind="update",
        action="duty_end",
        obj=duty,
        community=duty.community,
        after={"until": duty.until},
    )
    return duty
