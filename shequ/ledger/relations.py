"""The ledger's own references to a person or household, registered in LedgerConfig.ready() (see
person_relations.py). Labels name them in the merge summary and the split form."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shequ.ledger import person_relations as pr
from shequ.ledger.models import Duty, GroupTag, Household, HouseholdMember, Need, Person, Residency


def _residency_options(person) -> list[tuple[int, str]]:
    return [
        (r.pk, f"{r.dwelling.masked_address()} · {r.get_role_display()}")
        for r in Residency.objects.filter(person=person).select_related(
            "dwelling__compound", "dwelling__building", "dwelling__unit"
        )
    ]


def _membership_options(person) -> list[tuple[int, str]]:
    return [
        (m.pk, f"{m.household.dwelling.masked_address()} · {m.get_relation_display()}")
        for m in HouseholdMember.objects.filter(person=person).select_related(
            "household__dwelling__compound", "household__dwelling__building", "household__dwelling__unit"
        )
    ]


def _tag_options(person) -> list[tuple[int, str]]:
    return [(t.pk, t.get_kind_display()) for t in GroupTag.objects.filter(person=person)]


def _duty_options(person) -> list[tuple[int, str]]:
    return [
        (d.pk, f"{d.get_kind_display()} · {d.place}")
        for d in Duty.objects.filter(person=person).select_related("place")
    ]


def _need_options(person) -> list[tuple[int, str]]:
    return [(n.pk, n.get_kind_display()) for n in Need.objects.filter(person=person)]


def _split_memberships(relation: pr.Relation, *, person_pk: int, new_pk: int, ids: list[int]) -> dict:
    """Memberships go to the new person, and so does heading a household whose membership went."""
    relation.move(ids, new_pk)
    heads = list(
        Household.objects.filter(head_id=person_pk, members__pk__in=ids)
        .values_list("pk", flat=True)
        .distinct()
    )
    Household.objects.filter(pk__in=heads).update(head_id=new_pk)
    return {relation.key: list(ids), "household_heads": heads}


def register() -> None:
    end_residency = pr.end_active_duplicates(end_field="until", same=("dwelling", "role"), not_before="since")
    end_membership = pr.end_active_duplicates(end_field="left_on", same=("household",))
    end_tag = pr.end_active_duplicates(end_field="until", same=("kind",))
    pr.register(
        Residency,
        "person",
        label=_("居住关系"),
        key="residencies",
        on_merge=end_residency[0],
        on_undo=end_residency[1],
        split_options=_residency_options,
    )
    pr.register(
        HouseholdMember,
        "person",
        label=_("户成员"),
        key="memberships",
        on_merge=end_membership[0],
        on_undo=end_membership[1],
        split_options=_membership_options,
        on_split=_split_memberships,
    )
    pr.register(
        GroupTag,
        "person",
        label=_("人群标签"),
        key="tags",
        on_merge=end_tag[0],
        on_undo=end_tag[1],
        split_options=_tag_options,
    )
    pr.register(Duty, "person", label=_("职责"), key="duties", split_options=_duty_options)
    pr.register(Need, "person", label=_("服务需求"), key="needs", split_options=_need_options)
    pr.register(Household, "head", label=_("户主"), key="household_heads")
    pr.register_fixed(Person, "merged_into", reason="who this record was merged into (the merge itself)")
    # References to a household: no household merge exists yet; registered so a future one moves them too.
    pr.register(HouseholdMember, "household", label=_("户成员"))
    pr.register(Need, "household", label=_("服务需求"))
