"""Field names and keys shared by imports' reads and writes: the key of a field's value (comparable across
sources and with the person's current value) and the columns of a data-sharing extract. A leaf module: no
services, no selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_noop

from shequ.core import pii

if TYPE_CHECKING:
    from shequ.ledger.models import Person


def value_key(field: str, value: str) -> str:
    return pii.keyed_hash("obs", f"{field}:{value}")


def person_value_key(person: Person, field: str) -> str:
    """The key of the person's current value of a field, comparable with FieldObservation.value_key."""
    if field == "id_number":
        return person.id_number_hash
    if field == "phone":
        return person.phone_hash
    if field == "address":
        home = person.home if person.home_id else None
        return value_key("address", home.address) if home is not None else ""
    value = getattr(person, field)
    if value in (None, ""):
        return ""
    if field == "birth_date":
        value = value.isoformat()
    return value_key(field, str(value))


# Column headings of a data-sharing extract; marked for the catalogue, translated where shown (forms).
EXTRACT_COLUMNS = {
    "name": gettext_noop("姓名"),
    "sex": gettext_noop("性别"),
    "birth_date": gettext_noop("出生日期"),
    "age": gettext_noop("年龄"),
    "id_number": gettext_noop("证件号码"),
    "phone": gettext_noop("联系电话"),
    "address": gettext_noop("现住址"),
    "community": gettext_noop("所属社区"),
    "tags": gettext_noop("人群标签"),
    "hukou": gettext_noop("户籍"),
}
