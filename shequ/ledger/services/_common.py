"""What the ledger services share: a person's masked snapshot, and applying and validating the protected fields."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext

from shequ.core import idnumbers, phones, pii
from shequ.core.errors import DomainError
from shequ.ledger.models import IdType, Person

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


def _snapshot(person: Person) -> dict:
    data = {f: getattr(person, f) for f in PERSON_FIELDS}
    data["id_number"] = person.id_number_masked
    data["phone"] = person.phone_masked
    return data


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
