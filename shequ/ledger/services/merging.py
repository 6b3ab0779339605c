"""The person-record steps of a merge, a split and their undo, which linkage orchestrates (linkage owns the
decision, the Merge record and its audit event; ledger owns the Person rows). Called inside linkage's audited,
locked transaction, so these write no audit event of their own."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from shequ.ledger.models import Person


def person_mark_merged(*, drop: Person, keep: Person, clear: dict | None = None) -> None:
    """`drop` is merged into `keep`: it leaves every home and (with `clear`) gives up columns `keep` took over."""
    Person.objects.filter(pk=drop.pk).update(merged_into=keep, home=None, home_compound=None, **(clear or {}))


def person_fill_columns(*, person: Person, values: dict) -> None:
    """Blank identity columns of `person` filled from a merged-away record (ID number, phone, birth date)."""
    if values:
        Person.objects.filter(pk=person.pk).update(**values)


def person_state_restore(*, person_pk: int, state: dict) -> None:
    """Put a record's identity, home and merge columns back as a merge or split recorded them (birth date as ISO)."""
    values = dict(state)
    if values.get("birth_date"):
        values["birth_date"] = date.fromisoformat(values["birth_date"])
    Person.objects.filter(pk=person_pk).update(**values)


def person_discard_split(*, new_person: Person, into: Person) -> str:
    """Undo of a split: the person it created is deleted ("deleted"), or, when records were added to it since,
    kept and merged back into the original ("merged_back")."""
    try:
        with transaction.atomic():
            Person.objects.filter(pk=new_person.pk).delete()
    except (ProtectedError, IntegrityError):
        person_mark_merged(drop=new_person, keep=into)
        return "merged_back"
    return "deleted"
