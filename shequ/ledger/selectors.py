"""Reads of the household ledger, always scoped to what the actor may see."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from shequ.core import idnumbers, phones, pii
from shequ.core.jurisdiction import NOTHING, grants_with, scope_q
from shequ.core.models import AuditEvent
from shequ.core.rights import Right
from shequ.ledger.models import Duty, GroupTag, Household, HouseholdMember, Need, Person, Residency

HANZI = re.compile(r"[\u4e00-\u9fff]")
DIGITS_IN_ADDRESS = re.compile(r"[\u4e00-\u9fff].*\d|\d.*[栋幢号楼单元室]")


def _communities_of_street(street_id: int) -> list[int]:
    """The street's community ids (one small indexed query). Filtering people by this list, rather than
    joining every person or tag to the place tree to read the community's street, lets the planner use the
    community_id indexes and estimate the rows right (docs: bench/foundation/results.md)."""
    from shequ.places.models import Level, Place

    return list(Place.objects.filter(level=Level.COMMUNITY, street_id=street_id).values_list("id", flat=True))


def person_scope_q(actor, right: Right | str = Right.LEDGER_VIEW) -> Q:
    """People kept in a covered community's ledger, or living in a covered place (grid, building, home)."""
    q = NOTHING
    for g in grants_with(actor, right):
        if g.level == "street":
            q |= Q(community_id__in=_communities_of_street(g.target_id))
        elif g.level == "community":
            q |= Q(community_id=g.target_id)
        elif g.level in ("compound", "building", "unit", "grid"):
            q |= Q(**{f"home__{g.level}_id": g.target_id})
        elif g.level == "dwelling":
            q |= Q(home_id=g.target_id)
    return q


def people_visible_to(actor, right: Right | str = Right.LEDGER_VIEW) -> QuerySet[Person]:
    return Person.objects.filter(person_scope_q(actor, right), merged_into__isnull=True).select_related(
        "community", "home", "home_compound"
    )


def households_visible_to(actor, right: Right | str = Right.LEDGER_VIEW) -> QuerySet[Household]:
    return Household.objects.filter(
        scope_q(actor, right, via="dwelling__", target="dwelling")
    ).select_related(
        "dwelling",
        "dwelling__compound",
        "dwelling__building",
        "dwelling__unit",
        "dwelling__community",
        "head",
    )


def residencies_visible_to(actor, right: Right | str = Right.LEDGER_VIEW) -> QuerySet[Residency]:
    return Residency.objects.filter(
        scope_q(actor, right, via="dwelling__", target="dwelling")
    ).select_related("person", "dwelling")


def tags_visible_to(actor, right: Right | str = Right.LEDGER_VIEW) -> QuerySet[GroupTag]:
    q = NOTHING
    for g in grants_with(actor, right):
        if g.level == "street":
            q |= Q(person__community_id__in=_communities_of_street(g.target_id))
        elif g.level == "community":
            q |= Q(person__community_id=g.target_id)
        elif g.level in ("compound", "building", "unit", "grid"):
            q |= Q(**{f"person__home__{g.level}_id": g.target_id})
        elif g.level == "dwelling":
            q |= Q(person__home_id=g.target_id)
    return GroupTag.objects.filter(q).select_related("person", "recorded_by")


def needs_visible_to(actor, right: Right | str = Right.LEDGER_VIEW) -> QuerySet[Need]:
    return Need.objects.filter(
        scope_q(actor, right, via="household__dwelling__", target="dwelling")
    ).select_related("household__dwelling", "person")


def duties_visible_to(actor, right: Right | str = Right.LEDGER_VIEW) -> QuerySet[Duty]:
    return Duty.objects.filter(scope_q(actor, right)).select_related("person", "place", "grid", "community")


# Search -------------------------------------------------------------------------------------------------------


def classify_query(text: str) -> tuple[str, str]:
    """What the user typed: ('id', canonical) / ('phone', digits) / ('phone_tail', 4 digits) / ('pinyin', letters)
    / ('address', text) / ('name', hanzi)."""
    text = (text or "").strip()
    compact = idnumbers.normalize(text)
    if re.fullmatch(r"\d{17}[\dX]|\d{15}", compact):
        try:
            return "id", idnumbers.canonical(compact)
        except idnumbers.IdNumberError:
            return "invalid_id", compact
    digits = phones.normalize(text)
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return "phone", digits
    if re.fullmatch(r"\d{4}", digits):
        return "phone_tail", digits
    if re.fullmatch(r"[A-Za-z' ]+", text):
        return "pinyin", re.sub(r"[^a-z]", "", text.lower())
    if HANZI.search(text) and DIGITS_IN_ADDRESS.search(text):
        return "address", re.sub(r"\s+", "", text)
    return "name", re.sub(r"\s+", "", text)


def person_search(
    *, actor, query: str, limit: int = 20, right: Right | str = Right.LEDGER_VIEW
) -> list[Person]:
    """People in the actor's jurisdiction matching a name in 汉字, full pinyin or initials, a phone tail, a full
    phone or ID number (through the keyed hash), or an address; exact matches first."""
    kind, value = classify_query(query)
    base = people_visible_to(actor, right)
    if not value:
        return []
    if kind == "id":
        return list(base.filter(id_number_hash=pii.keyed_hash("id", value))[:limit])
    if kind == "invalid_id":
        return []
    if kind == "phone":
        return list(base.filter(phone_hash=pii.keyed_hash("phone", value)).order_by("name", "id")[:limit])
    if kind == "phone_tail":
        return list(base.filter(phone_tail=value).order_by("name", "id")[:limit])
    if kind == "pinyin":
        qs = base.filter(Q(name_pinyin__startswith=value) | Q(name_initials__startswith=value)).annotate(
            rank=Case(
                When(name_pinyin=value, then=Value(0)),
                When(name_initials=value, then=Value(1)),
                When(name_pinyin__startswith=value, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
        return list(qs.order_by("rank", "name", "id")[:limit])
    if kind == "address":
        from shequ.places.selectors import normalize_address

        address = normalize_address(value)
        return list(
            base.filter(home__address__startswith=address).order_by("home__address", "name", "id")[:limit]
        )
    qs = base.filter(name__contains=value).annotate(
        rank=Case(
            When(name=value, then=Value(0)),
            When(name__startswith=value, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    )
    return list(qs.order_by("rank", "name", "id")[:limit])


# The household page -------------------------------------------------------------------------------------------


def household_detail(*, actor, household: Household) -> dict:
    """Everything known about one household, for the 一户一档 page: members with their residencies and tags,
    other people tied to the dwelling (owners who do not live there, tenants), needs, and the change history."""
    today = timezone.localdate()
    members = list(
        HouseholdMember.objects.filter(household=household).select_related("person").order_by("left_on", "id")
    )
    person_ids = [m.person_id for m in members]
    residencies = list(
        Residency.objects.filter(dwelling=household.dwelling)
        .select_related("person")
        .order_by("until", "role", "id")
    )
    person_ids += [r.person_id for r in residencies]
    tags = list(
        GroupTag.objects.filter(person_id__in=person_ids).select_related("recorded_by").order_by("kind")
    )
    tags_by_person: dict[int, list[GroupTag]] = {}
    for t in tags:
        tags_by_person.setdefault(t.person_id, []).append(t)
    for m in members:
        m.current_tags = [
            t for t in tags_by_person.get(m.person_id, []) if t.until is None or t.until >= today
        ]
        m.past_tags = [
            t for t in tags_by_person.get(m.person_id, []) if t.until is not None and t.until < today
        ]
    for r in residencies:
        r.current_tags = [
            t for t in tags_by_person.get(r.person_id, []) if t.until is None or t.until >= today
        ]
    member_ids = {m.person_id for m in members if m.left_on is None}
    owners_not_living = [
        r for r in residencies if r.role == Residency.Role.OWNER and r.until is None and not r.lives_here
    ]
    living_not_owner = [
        r for r in residencies if r.until is None and r.lives_here and r.role != Residency.Role.OWNER
    ]
    needs = list(
        Need.objects.filter(household=household).select_related("person").order_by("status", "-created_at")
    )
    history = household_history(household=household, person_ids=set(person_ids))
    return {
        "members": members,
        "current_members": [m for m in members if m.left_on is None],
        "past_members": [m for m in members if m.left_on is not None],
        "residencies": residencies,
        "current_residencies": [r for r in residencies if r.until is None or r.until >= today],
        "past_residencies": [r for r in residencies if r.until is not None and r.until < today],
        "owners_not_living": owners_not_living,
        "living_not_owner": living_not_owner,
        "non_member_residents": [r for r in residencies if r.person_id not in member_ids and r.until is None],
        "needs": needs,
        "history": history,
    }


def household_history(*, household: Household, person_ids: set[int], limit: int = 200) -> list[AuditEvent]:
    """Every audited change of the household, its dwelling, its residencies and its people (reveals included)."""
    q = Q(object_type="ledger.household", object_id=str(household.pk)) | Q(
        object_type="places.dwelling", object_id=str(household.dwelling_id)
    )
    if person_ids:
        q |= Q(object_type="ledger.person", object_id__in=[str(i) for i in person_ids])
    residency_ids = list(
        Residency.objects.filter(dwelling_id=household.dwelling_id).values_list("id", flat=True)
    )
    if residency_ids:
        q |= Q(object_type="ledger.residency", object_id__in=[str(i) for i in residency_ids])
    tag_ids = list(GroupTag.objects.filter(person_id__in=person_ids).values_list("id", flat=True))
    if tag_ids:
        q |= Q(object_type="ledger.grouptag", object_id__in=[str(i) for i in tag_ids])
    need_ids = list(Need.objects.filter(household=household).values_list("id", flat=True))
    if need_ids:
        q |= Q(object_type="ledger.need", object_id__in=[str(i) for i in need_ids])
    return list(AuditEvent.objects.filter(q).order_by("-at", "-id")[:limit])


def person_history(*, person: Person, limit: int = 100) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="ledger.person", object_id=str(person.pk)).order_by(
            "-at", "-id"
        )[:limit]
    )


# Roll-ups for home pages ----------------------------------------------------------------------------------------

AGE_BANDS = [
    (0, 4),
    (5, 9),
    (10, 14),
    (15, 19),
    (20, 24),
    (25, 29),
    (30, 34),
    (35, 39),
    (40, 44),
    (45, 49),
    (50, 54),
    (55, 59),
    (60, 64),
    (65, 69),
    (70, 74),
    (75, 79),
    (80, 84),
    (85, 120),
]


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _age_pyramid(*, actor, right: Right | str = Right.LEDGER_VIEW) -> dict:
    """Counts by five-year band and sex for living people in scope: one GROUP BY (band, sex) over the
    covering index person_alive_age_idx, with the band computed by one CASE on the birth date."""
    today = timezone.localdate()
    base = Person.objects.filter(person_scope_q(actor, right), is_deceased=False, merged_into__isnull=True)
    band = Case(
        *[
            When(birth_date__gt=_years_ago(today, hi + 1), then=Value(i))
            for i, (_lo, hi) in enumerate(AGE_BANDS)
        ],
        default=Value(-1),
        output_field=IntegerField(),
    )
    aged60_from = _years_ago(today, 60)
    male, female = [0] * len(AGE_BANDS), [0] * len(AGE_BANDS)
    total = aged60 = floating = 0
    rows = (
        base.order_by()
        .annotate(band=band)
        .values("band", "sex", "hukou_is_local")
        .annotate(n=Count("id"), aged60=Count("id", filter=Q(birth_date__lte=aged60_from)))
    )
    for r in rows:
        total += r["n"]
        aged60 += r["aged60"]
        if not r["hukou_is_local"]:
            floating += r["n"]
        if r["band"] is None or r["band"] < 0 or r["sex"] not in ("M", "F"):
            continue
        (male if r["sex"] == "M" else female)[r["band"]] += r["n"]
    labels = [f"{lo}-{hi}" if hi < 120 else f"{lo}+" for lo, hi in AGE_BANDS]
    return {
        "labels": labels,
        "male": male,
        "female": female,
        "total": total,
        "aged60": aged60,
        "floating": floating,
    }


def _vulnerable_by_compound(*, actor, right: Right | str = Right.LEDGER_VIEW, limit: int = 15) -> dict:
    """Current vulnerable-group tags per compound (one GROUP BY), top compounds first."""
    today = timezone.localdate()
    rows = (
        tags_visible_to(actor, right)
        .filter(Q(until__isnull=True) | Q(until__gte=today), person__home_compound__isnull=False)
        .values("person__home_compound__name", "kind")
        .annotate(n=Count("id"))
    )
    by_compound: dict[str, dict[str, int]] = {}
    for r in rows:
        by_compound.setdefault(r["person__home_compound__name"], {})[r["kind"]] = r["n"]
    compounds = sorted(by_compound, key=lambda c: -sum(by_compound[c].values()))[:limit]
    kinds = [k for k in GroupTag.Kind.values if any(k in by_compound[c] for c in compounds)]
    labels = dict(GroupTag.Kind.choices)
    return {
        "compounds": compounds,
        "series": [
            {"name": str(labels[k]), "data": [by_compound[c].get(k, 0) for c in compounds]} for k in kinds
        ],
    }


def _ledger_counts(*, actor, right: Right | str = Right.LEDGER_VIEW) -> dict:
    today = timezone.localdate()
    tags = tags_visible_to(actor, right).filter(Q(until__isnull=True) | Q(until__gte=today))
    tag_counts = dict(tags.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    households = households_visible_to(actor, right).filter(is_active=True).count()
    open_needs = (
        needs_visible_to(actor, right).filter(status__in=[Need.Status.OPEN, Need.Status.IN_PROGRESS]).count()
    )
    return {"households": households, "tags": tag_counts, "open_needs": open_needs}


def _community_rollup(*, actor, right: Right | str = Right.LEDGER_VIEW) -> list[dict]:
    """One row per community in scope for the street home page: people, aged 60+, floating population,
    households, current vulnerable-group tags, open needs and 三无小区. Each figure is one GROUP BY."""
    from shequ.places.models import Level, Place

    today = timezone.localdate()
    communities = list(
        Place.objects.filter(scope_q(actor, right, target="place"), level=Level.COMMUNITY).order_by(
            "sort_key", "name"
        )
    )
    if not communities:
        return []
    people: dict[int, Any] = {
        r["community_id"]: r
        for r in Person.objects.filter(
            person_scope_q(actor, right), is_deceased=False, merged_into__isnull=True
        )
        .values("community_id")
        .annotate(
            total=Count("id"),
            aged60=Count("id", filter=Q(birth_date__lte=_years_ago(today, 60))),
            floating=Count("id", filter=Q(hukou_is_local=False)),
        )
    }

    def grouped(qs, key: str) -> dict:
        return dict(qs.order_by().values_list(key).annotate(n=Count("id")).values_list(key, "n"))

    households = grouped(
        Household.objects.filter(scope_q(actor, right, via="dwelling__", target="dwelling"), is_active=True),
        "dwelling__community_id",
    )
    needs = grouped(
        Need.objects.filter(
            scope_q(actor, right, via="household__dwelling__", target="dwelling"),
            status__in=[Need.Status.OPEN, Need.Status.IN_PROGRESS],
        ),
        "household__dwelling__community_id",
    )
    vulnerable = grouped(
        tags_visible_to(actor, right).filter(
            Q(until__isnull=True) | Q(until__gte=today), kind__in=GroupTag.VULNERABLE_KINDS
        ),
        "person__community_id",
    )
    three_without = grouped(
        Place.objects.filter(
            scope_q(actor, right, target="place"),
            level=Level.COMPOUND,
            has_property_management=False,
            has_security=False,
            is_enclosed=False,
        ),
        "community_id",
    )
    rows = []
    for c in communities:
        p = people.get(c.pk, {})
        rows.append(
            {
                "community": c,
                "people": p.get("total", 0),
                "aged60": p.get("aged60", 0),
                "floating": p.get("floating", 0),
                "households": households.get(c.pk, 0),
                "vulnerable": vulnerable.get(c.pk, 0),
                "open_needs": needs.get(c.pk, 0),
                "three_without": three_without.get(c.pk, 0),
            }
        )
    return rows


# Street-wide roll-ups ------------------------------------------------------------------------------------------


def _street_cached(name: str, actor, right: Right | str, compute, **kwargs):
    """A roll-up over a whole street (a million people) is cached for SHEQU_STREET_ROLLUP_SECONDS (default 60;
    0 under tests), shared by every user holding the same grants: a street officer's home page then costs one
    full pass per minute, not one per visit. Community and smaller scopes are always computed fresh, so a
    worker sees their own edits at once (bench/foundation/results.md has the timings both ways)."""
    seconds = settings.SHEQU_STREET_ROLLUP_SECONDS
    held = grants_with(actor, right)
    if not seconds or not any(g.level == "street" for g in held):
        return compute(actor=actor, right=right, **kwargs)
    scope = ",".join(sorted({f"{g.level}:{g.target_id}" for g in held}))
    key = f"ledger:rollup:{name}:{right}:{scope}:{timezone.localdate():%Y%m%d}:{sorted(kwargs.items())}"
    value = cache.get(key)
    if value is None:
        value = compute(actor=actor, right=right, **kwargs)
        cache.set(key, value, seconds)
    return value


def age_pyramid(*, actor, right: Right | str = Right.LEDGER_VIEW) -> dict:
    return _street_cached("age_pyramid", actor, right, _age_pyramid)


def vulnerable_by_compound(*, actor, right: Right | str = Right.LEDGER_VIEW, limit: int = 15) -> dict:
    return _street_cached("vulnerable_by_compound", actor, right, _vulnerable_by_compound, limit=limit)


def ledger_counts(*, actor, right: Right | str = Right.LEDGER_VIEW) -> dict:
    return _street_cached("ledger_counts", actor, right, _ledger_counts)


def community_rollup(*, actor, right: Right | str = Right.LEDGER_VIEW) -> list[dict]:
    return _street_cached("community_rollup", actor, right, _community_rollup)


def find_by_id_number(raw: str) -> Person | None:
    """Exact look-up through the keyed hash (both 15- and 18-digit forms hash alike)."""
    try:
        canonical = idnumbers.canonical(raw)
    except idnumbers.IdNumberError:
        return None
    return Person.objects.filter(id_number_hash=pii.keyed_hash("id", canonical)).first()


def resident_counts_by_place(*, level: str, ids: list[int], by: str | None = None) -> dict[int, int]:
    """People currently living under the places `ids` (all of one `level`), counted per place of level `by` (the
    same level when not given): one GROUP BY. Registered as LedgerConfig.resident_counters for the place pages."""
    by = by or level
    return dict(
        Residency.objects.filter(**{f"dwelling__{level}_id__in": ids}, until__isnull=True, lives_here=True)
        .order_by()
        .values_list(f"dwelling__{by}_id")
        .annotate(n=Count("person_id", distinct=True))
        .values_list(f"dwelling__{by}_id", "n")
    )


# One person's or one household's records, for pages that already resolved the person or household through a
# scoped selector (people_visible_to, households_visible_to) -------------------------------------------------------


def person_memberships(person: Person) -> list[HouseholdMember]:
    return list(
        HouseholdMember.objects.filter(person=person)
        .select_related("household__dwelling")
        .order_by("left_on", "-id")
    )


def person_records(person: Person) -> dict:
    """A person's residencies, tags and duties, as the person page lists them."""
    return {
        "residencies": list(
            Residency.objects.filter(person=person)
            .select_related("dwelling")
            .order_by("until", "-since", "id")
        ),
        "tags": list(
            GroupTag.objects.filter(person=person).select_related("recorded_by").order_by("until", "kind")
        ),
        "duties": list(
            Duty.objects.filter(person=person).select_related("place").order_by("-is_active", "kind")
        ),
    }


def household_current_members(household: Household) -> QuerySet[HouseholdMember]:
    return HouseholdMember.objects.select_related("person", "household__dwelling").filter(
        household=household, left_on__isnull=True
    )


def household_current_residencies(household: Household) -> QuerySet[Residency]:
    return Residency.objects.select_related("person", "dwelling").filter(
        dwelling=household.dwelling, until__isnull=True
    )


def household_current_tags(household: Household) -> QuerySet[GroupTag]:
    """Open tags of the household's members and of the people with a residency at its dwelling."""
    person_ids = set(household.members.values_list("person_id", flat=True)) | set(
        Residency.objects.filter(dwelling=household.dwelling).values_list("person_id", flat=True)
    )
    return GroupTag.objects.select_related("person__home", "person__community").filter(
        person_id__in=person_ids, until__isnull=True
    )


def household_needs(household: Household) -> QuerySet[Need]:
    return Need.objects.select_related("household__dwelling").filter(household=household)


def people_tagged(kind: str) -> QuerySet:
    """Ids of the people with a current tag of `kind` (a sub-query for filters over an already scoped list)."""
    today = timezone.localdate()
    return GroupTag.objects.filter(Q(until__isnull=True) | Q(until__gte=today), kind=kind).values("person_id")


def households_with_tagged_member(kind: str) -> QuerySet:
    """Ids of the households with a current member tagged `kind` (a sub-query, as people_tagged)."""
    return Household.objects.filter(
        members__left_on__isnull=True, members__person_id__in=people_tagged(kind)
    ).values("pk")
