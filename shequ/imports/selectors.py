"""Reads of imports and the calibrated ledger, always scoped to what the actor may see: batches and their rows,
sources, a batch's preview, who says what about a person, open conflicts, the owner-vs-occupant report,
stale households, and extract rows."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Max, Q, QuerySet, TextChoices
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from shequ.core.errors import DomainError
from shequ.core.jurisdiction import NOTHING, grants_with, scope_q
from shequ.core.pii import unseal
from shequ.core.rights import Right
from shequ.imports import policies
from shequ.imports.models import (
    FIELD_LABELS,
    OBSERVED_FIELDS,
    DataSource,
    Extract,
    FieldDecision,
    FieldObservation,
    ImportBatch,
    ImportRow,
)
from shequ.imports.parsing import FileFormatError, apply_mapping, open_table
from shequ.imports.pipeline import PlaceContext, process_row
from shequ.ledger.models import Household, Person, Residency
from shequ.ledger.selectors import people_visible_to
from shequ.places.models import Dwelling, Level, Place


def batches_visible_to(actor) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.filter(policies.batches_q(actor)).select_related(
        "source", "place", "created_by"
    )


def import_places_for(actor) -> QuerySet[Place]:
    """Streets and communities the actor may import into."""
    return Place.objects.filter(
        scope_q(actor, Right.IMPORTS_RUN), level__in=[Level.STREET, Level.COMMUNITY]
    ).order_by("path")


def sources_visible_to(actor) -> QuerySet[DataSource]:
    """Sources kept by a covered community or street, and the street-wide sources of a covered community."""
    q = NOTHING
    for g in grants_with(actor, Right.IMPORTS_RUN):
        if g.level == "street":
            q |= Q(owner__street_id=g.target_id)
        elif g.level == "community":
            q |= Q(owner_id=g.target_id) | Q(owner_id=g.street_id)
    return DataSource.objects.filter(q).select_related("owner")


def streets_without_default_sources(places: QuerySet[Place]) -> list[Place]:
    """Streets of these places that do not yet have the built-in registers (two queries once they all do)."""
    street_ids = {pk for pk in places.values_list("street_id", flat=True) if pk}
    complete = (
        DataSource.objects.filter(owner_id__in=street_ids, is_builtin=True)
        .values("owner_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=len(DataSource.Kind.values) - 1)
        .values_list("owner_id", flat=True)
    )
    missing = street_ids - set(complete)
    return list(Place.objects.filter(pk__in=missing)) if missing else []


def rows_of(batch: ImportBatch, status: str | None = None) -> QuerySet[ImportRow]:
    rows = ImportRow.objects.filter(batch=batch).order_by("row_number")
    return rows.filter(status=status) if status else rows


def rows_not_imported(batch: ImportBatch) -> QuerySet[ImportRow]:
    """The batch's rejected and duplicate rows, in file order."""
    return rows_of(batch).exclude(status=ImportRow.Status.ACCEPTED)


@dataclass
class PreviewRow:
    row_number: int
    cells: list[str]
    reasons: list[list[str]]

    @property
    def ok(self) -> bool:
        return not self.reasons


def batch_preview(batch: ImportBatch, limit: int = 20) -> list[PreviewRow]:
    """The first rows of the file, validated with the batch's mapping (nothing stored). Cells are masked."""
    ctx = PlaceContext.for_place(batch.place)
    out: list[PreviewRow] = []
    try:
        with batch.file.open("rb") as handle, open_table(handle, batch.original_name) as table:
            for source_row in table:
                values = apply_mapping(source_row.values, batch.mapping)
                result = process_row(
                    source_row.row_number, source_row.raw, values, ctx=ctx, source_key=batch.source_id
                )
                out.append(PreviewRow(source_row.row_number, result.raw, result.reasons))
                if len(out) >= limit:
                    break
    except FileFormatError as exc:
        raise DomainError(exc.message, field="file", code=exc.code) from exc
    except (OSError, ValueError) as exc:
        raise DomainError(
            gettext("原始文件已无法读取,请重新上传"), field="file", code="file_missing"
        ) from exc
    return out


def rejected_for_report(batch: ImportBatch):
    """(row number, original cells, reasons) of every row not imported, for write_error_report; streamed."""
    for row in rows_not_imported(batch).iterator(chunk_size=2000):
        yield row.row_number, unseal(row.sealed).get("raw") or row.raw, [tuple(r) for r in row.reasons]


# Provenance ---------------------------------------------------------------------------------------------------


@dataclass
class FieldStory:
    field: str
    label: str
    observations: list[FieldObservation] = dataclasses.field(default_factory=list)
    current_key: str = ""
    decision: FieldDecision | None = None

    @property
    def is_conflict(self) -> bool:
        return len({o.value_key for o in self.observations}) > 1


def person_provenance(person: Person) -> list[FieldStory]:
    """谁说了什么 — for each field, every source's value with its date, which one the ledger holds now, and the
    worker's decision if the field was settled."""
    from shequ.imports.fields import person_value_key

    stories = {f: FieldStory(f, str(FIELD_LABELS[f])) for f in OBSERVED_FIELDS}
    for obs in (
        FieldObservation.objects.filter(person=person)
        .select_related("source", "batch")
        .order_by("field", "-source__trust_rank", "-observed_on", "-id")
    ):
        stories[obs.field].observations.append(obs)
    for decision in (
        FieldDecision.objects.filter(person=person).select_related("decided_by").order_by("decided_at")
    ):
        if decision.field in stories:
            stories[decision.field].decision = decision
    for story in stories.values():
        story.current_key = person_value_key(person, story.field)
    return [s for s in stories.values() if s.observations]


def observation_of(person: Person, *, pk: int, field: str) -> FieldObservation | None:
    """One of the person's observations of a field (the value a worker picks when settling a conflict); None
    when the id names another person's observation or another field. `person` comes from a scoped selector."""
    return FieldObservation.objects.filter(person=person, pk=pk, field=field).select_related("source").first()


@dataclass
class Conflict:
    person: Person
    field: str
    label: str
    observations: list[FieldObservation]


def conflicts_for(actor, *, community: Place | None = None) -> list[Conflict]:
    """Open conflicts: a person and field on which sources disagree, not settled since the latest observation.
    Addresses are left out (registered here, living there is 人户分离, not a conflict)."""
    people = people_visible_to(actor, Right.LEDGER_EDIT)
    if community is not None:
        people = people.filter(community=community)
    groups = list(
        FieldObservation.objects.filter(person__in=people.values("pk"))
        .exclude(field="address")
        .values("person_id", "field")
        .annotate(n=Count("value_key", distinct=True), last=Max("created_at"))
        .filter(n__gt=1)
        .order_by("person_id", "field")[:500]
    )
    if not groups:
        return []
    decided = {
        (d["person_id"], d["field"]): d["at"]
        for d in FieldDecision.objects.filter(person_id__in={g["person_id"] for g in groups})
        .values("person_id", "field")
        .annotate(at=Max("decided_at"))
    }
    open_groups = [
        g
        for g in groups
        if decided.get((g["person_id"], g["field"])) is None
        or decided[(g["person_id"], g["field"])] < g["last"]
    ]
    if not open_groups:
        return []
    person_ids = {g["person_id"] for g in open_groups}
    persons = {p.pk: p for p in Person.objects.filter(pk__in=person_ids).select_related("community")}
    obs_by: dict[tuple[int, str], list[FieldObservation]] = defaultdict(list)
    wanted = {(g["person_id"], g["field"]) for g in open_groups}
    for obs in (
        FieldObservation.objects.filter(person_id__in=person_ids)
        .select_related("source")
        .order_by("-source__trust_rank", "-observed_on")
    ):
        if (obs.person_id, obs.field) in wanted:
            obs_by[(obs.person_id, obs.field)].append(obs)
    return [
        Conflict(
            persons[g["person_id"]],
            g["field"],
            str(FIELD_LABELS[g["field"]]),
            obs_by[(g["person_id"], g["field"])],
        )
        for g in open_groups
    ]


# Owner vs occupant --------------------------------------------------------------------------------------------


class OwnerOccupantKind(TextChoices):
    OWNER_AWAY = "owner_away", gettext_lazy("业主不在此居住")
    NO_OWNER = "no_owner", gettext_lazy("居住人不在业主名单")


@dataclass
class OwnerOccupantLine:
    dwelling: Dwelling
    owners: list[Residency]
    occupants: list[Residency]
    kind: OwnerOccupantKind

    @property
    def kind_label(self) -> str:
        return str(OwnerOccupantKind(self.kind).label)


def owner_occupant_report(actor) -> list[OwnerOccupantLine]:
    """Dwellings whose owners are not among the people living there, and dwellings lived in by people when no
    owner list names any owner (occupants not on any owner list). Current residencies only."""
    today = timezone.localdate()
    residencies = (
        Residency.objects.filter(scope_q(actor, Right.LEDGER_EDIT, via="dwelling__", target="dwelling"))
        .filter(Q(until__isnull=True) | Q(until__gte=today), person__merged_into__isnull=True)
        .select_related("person", "dwelling", "dwelling__compound", "dwelling__building", "dwelling__unit")
        .order_by("dwelling__address", "role")
    )
    by_dwelling: dict[int, list[Residency]] = defaultdict(list)
    dwellings: dict[int, Dwelling] = {}
    for r in residencies:
        by_dwelling[r.dwelling_id].append(r)
        dwellings[r.dwelling_id] = r.dwelling
    lines = []
    for pk, items in by_dwelling.items():
        owners = [r for r in items if r.role == Residency.Role.OWNER]
        living = [r for r in items if r.lives_here and r.role != Residency.Role.REGISTERED]
        living_people = {r.person_id for r in living}
        owner_people = {r.person_id for r in owners}
        if owners and living and not (owner_people & living_people):
            lines.append(OwnerOccupantLine(dwellings[pk], owners, living, OwnerOccupantKind.OWNER_AWAY))
        elif not owners and living:
            lines.append(OwnerOccupantLine(dwellings[pk], [], living, OwnerOccupantKind.NO_OWNER))
    return lines


# Staleness ----------------------------------------------------------------------------------------------------


def stale_households(actor, *, before: date) -> QuerySet[Household]:
    """Active households in the actor's jurisdiction not confirmed on or after `before` (never confirmed first)."""
    return (
        Household.objects.filter(
            scope_q(actor, Right.LEDGER_VIEW, via="dwelling__", target="dwelling"), is_active=True
        )
        .filter(Q(last_confirmed_on__isnull=True) | Q(last_confirmed_on__lt=before))
        .select_related("dwelling", "dwelling__compound", "dwelling__building", "dwelling__unit", "head")
        .order_by("last_confirmed_on", "dwelling__address")
    )


# Extracts -----------------------------------------------------------------------------------------------------


def extract_places_for(actor) -> QuerySet[Place]:
    return (
        Place.objects.filter(scope_q(actor, Right.EXTRACT_RECEIVE)).exclude(level=Level.UNIT).order_by("path")
    )


def extracts_visible_to(actor) -> QuerySet[Extract]:
    return Extract.objects.filter(scope_q(actor, Right.EXTRACT_RECEIVE, via="place__")).select_related(
        "place", "requested_by"
    )


def extracts_requested_by(actor) -> QuerySet[Extract]:
    """The actor's own extracts, within the places they may still receive extracts for."""
    return extracts_visible_to(actor).filter(requested_by=actor)


def extract_people(*, actor, place: Place) -> QuerySet[Person]:
    people = people_visible_to(actor, Right.EXTRACT_RECEIVE)
    if place.level in (Level.STREET, Level.COMMUNITY):
        return (
            people.filter(**{f"community__{place.level}_id": place.pk})
            if place.level == Level.STREET
            else people.filter(community=place)
        )
    return people.filter(**{f"home__{place.level}_id": place.pk})


def extract_rows(*, actor, extract: Extract):
    """The extract's header and rows (masked when the extract is masked), streamed."""
    from shequ.core import pii
    from shequ.imports.fields import EXTRACT_COLUMNS

    columns = extract.columns
    yield [EXTRACT_COLUMNS[c] for c in columns]
    people = (
        extract_people(actor=actor, place=extract.place)
        .prefetch_related("tags")
        .select_related("home", "home__compound", "home__building", "home__unit")
    )
    today = timezone.localdate()
    for person in people.iterator(chunk_size=1000):
        line = []
        for column in columns:
            if column == "name":
                line.append(person.name)
            elif column == "sex":
                line.append(person.get_sex_display())
            elif column == "birth_date":
                line.append(
                    person.birth_date.strftime("%Y-%m")
                    if extract.is_masked and person.birth_date
                    else (person.birth_date.isoformat() if person.birth_date else "")
                )
            elif column == "age":
                line.append(str(person.age) if person.age is not None else "")
            elif column == "id_number":
                line.append(
                    person.id_number_masked if extract.is_masked else pii.decrypt(person.id_number_encrypted)
                )
            elif column == "phone":
                line.append(person.phone_masked if extract.is_masked else pii.decrypt(person.phone_encrypted))
            elif column == "address":
                home = person.home
                line.append(
                    "" if home is None else (home.masked_address() if extract.is_masked else home.address)
                )
            elif column == "community":
                line.append(person.community.name)
            elif column == "tags":
                tags = [
                    t
                    for t in person.tags.all()
                    if (t.until is None or t.until >= today) and not (extract.is_masked and t.is_health)
                ]
                line.append("、".join(str(t.get_kind_display()) for t in tags))
            elif column == "hukou":
                line.append("本地" if person.hukou_is_local else "外地")
        yield line


def rows_to_link(batch) -> QuerySet:
    """A validated batch's accepted rows not yet linked, in file order (what a linker works through)."""
    return (
        ImportRow.objects.filter(
            batch=batch, status=ImportRow.Status.ACCEPTED, link_status=ImportRow.Link.PENDING
        )
        .select_related("batch__source", "batch__place")
        .order_by("pk")
    )
