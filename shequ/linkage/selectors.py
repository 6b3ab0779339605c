"""Reads of record linkage, scoped to the communities where the actor may review linkage."""

from __future__ import annotations

from django.db.models import QuerySet

from shequ.core.jurisdiction import grants_with, scope_q
from shequ.core.rights import Right
from shequ.ledger import person_relations
from shequ.ledger.models import Household, HouseholdMember, Person
from shequ.ledger.selectors import person_scope_q
from shequ.linkage.models import LinkRun, Merge, ReviewItem
from shequ.places.models import Level, Place

R = Right.LINKAGE_REVIEW


def review_items_visible_to(actor) -> QuerySet[ReviewItem]:
    return ReviewItem.objects.filter(scope_q(actor, R, via="community__")).select_related(
        "community",
        "person",
        "person__home",
        "person__community",
        "left_person",
        "left_person__home",
        "left_person__community",
        "row__batch__source",
        "row__batch__place",
        "row__dwelling",
        "run",
    )


def open_items(actor) -> QuerySet[ReviewItem]:
    return review_items_visible_to(actor).filter(status=ReviewItem.Status.OPEN).order_by("-probability", "id")


def runs_visible_to(actor) -> QuerySet[LinkRun]:
    return LinkRun.objects.filter(scope_q(actor, R, via="place__")).select_related(
        "place", "batch", "started_by"
    )


def merges_visible_to(actor) -> QuerySet[Merge]:
    return Merge.objects.filter(scope_q(actor, R, via="community__")).select_related(
        "community", "keep", "keep__home", "drop", "created_by", "undone_by", "review_item"
    )


def people_for_linkage(actor) -> QuerySet[Person]:
    """People the actor may merge or split (not already merged away)."""
    return Person.objects.filter(person_scope_q(actor, R), merged_into__isnull=True).select_related(
        "community", "home", "home_compound"
    )


def scan_communities_for(actor) -> list[Place]:
    """The communities the actor may start a duplicate scan of (the scan form's choices)."""
    ids = set()
    streets = set()
    for g in grants_with(actor, R):
        if g.level == "community":
            ids.add(g.target_id)
        elif g.level == "street":
            streets.add(g.target_id)
    qs = Place.objects.filter(level=Level.COMMUNITY)
    return list(qs.filter(pk__in=ids) | qs.filter(street_id__in=streets))


def community_by_pk(pk) -> Place | None:
    """A community by id (the duplicate-scan service checks the actor's jurisdiction over it)."""
    return Place.objects.filter(pk=pk, level=Level.COMMUNITY).first()


def households_of(person_ids) -> list[Household]:
    """The households these people are current members of (a merge's page shows them)."""
    ids = HouseholdMember.objects.filter(person_id__in=person_ids, left_on__isnull=True).values_list(
        "household_id", flat=True
    )
    return list(Household.objects.filter(pk__in=ids).select_related("dwelling"))


def split_groups(person: Person) -> list[dict]:
    """The rows a split may give to a new person, by registered relation (ledger.person_relations), in
    registration order: [{"key", "label", "options": [(pk, label)]}], only relations with rows to offer."""
    groups = []
    for relation in person_relations.person_relations():
        if relation.split_options is None:
            continue
        options = relation.split_options(person)
        if options:
            groups.append({"key": relation.key, "label": relation.label, "options": options})
    return groups


# The side-by-side view of a pair ---------------------------------------------------------------------------

SEX = {"M": "男", "F": "女"}


def _masked_address(dwelling, text: str = "") -> str:
    if dwelling is not None:
        return dwelling.masked_address()
    if text:
        import re

        return re.sub(r"\d+[A-Za-z]?(室)?$", "***", text)
    return ""


def _person_side(person: Person) -> dict:
    home = person.home
    return {
        "name": person.name,
        "sex": SEX.get(person.sex, ""),
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "id_number": person.id_number_masked,
        "id_key": person.id_number_hash,
        "phone": person.phone_masked,
        "phone_key": person.phone_hash,
        "address": _masked_address(home),
        "address_key": f"d{home.pk}" if home else "",
        "source": "居民台账",
        "community": person.community.name,
    }


def _row_side(row) -> dict:
    clean = row.clean or {}
    return {
        "name": clean.get("name", ""),
        "sex": SEX.get(clean.get("sex", ""), ""),
        "birth_date": clean.get("birth_date", ""),
        "id_number": clean.get("id_masked", ""),
        "id_key": clean.get("id_hash", ""),
        "phone": clean.get("phone_masked", ""),
        "phone_key": clean.get("phone_hash", ""),
        "address": _masked_address(row.dwelling, clean.get("address", "")),
        "address_key": f"d{row.dwelling_id}" if row.dwelling_id else clean.get("address", ""),
        "source": f"{row.batch.source.name} · {row.batch.number} 第{row.row_number}行",
        "community": row.batch.place.name,
    }


FIELDS = (
    ("name", "姓名", "name"),
    ("sex", "性别", "sex"),
    ("birth_date", "出生日期", "birth_date"),
    ("id_number", "证件号码", "id_key"),
    ("phone", "手机号", "phone_key"),
    ("address", "住址", "address_key"),
)


def pair_view(item: ReviewItem) -> dict:
    """The two records side by side (masked), with per-field differences, and the model's contributions scaled
    for bars."""
    left = _row_side(item.row) if item.row_id else _person_side(item.left_person)
    right = _person_side(item.person)
    fields = []
    for key, label, compare in FIELDS:
        a, b = left[compare], right[compare]
        if not a and not b:
            state = "missing"
        elif not a or not b:
            state = "one_missing"
        else:
            state = "same" if a == b else "differs"
        fields.append({"key": key, "label": label, "left": left[key], "right": right[key], "state": state})
    contributions = item.contributions or []
    top = max([abs(c["weight"]) for c in contributions if c.get("weight") is not None] or [1.0]) or 1.0
    bars = []
    for c in contributions:
        weight = c.get("weight")
        bars.append(
            {
                "label": c.get("label", ""),
                "level": c.get("level", ""),
                "weight": weight,
                "percent": 5 * round(20 * abs(weight) / top) if weight is not None else 0,
                "sign": "pos" if (weight or 0) > 0 else ("neg" if (weight or 0) < 0 else "zero"),
            }
        )
    return {
        "left": left,
        "right": right,
        "fields": fields,
        "bars": bars,
        "percent": round(100 * item.probability, 1),
    }
