"""Writes to the place tree. Lineage columns and the materialised path are kept here, nowhere else."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, is_system, require
from shequ.core.rights import Right
from shequ.places.models import Dwelling, Grid, Level, Place

PLACE_FIELDS = (
    "name",
    "division_code",
    "has_property_management",
    "property_company",
    "has_security",
    "is_enclosed",
    "built_year",
    "floors",
    "has_elevator",
    "address",
    "sort_key",
)


def _snapshot(place: Place) -> dict:
    return {f: getattr(place, f) for f in PLACE_FIELDS if getattr(place, f) not in (None, "")}


def _sort_key(name: str) -> int:
    digits = "".join(ch for ch in name if ch.isdigit())
    return int(digits[:9]) if digits else 0


def _finish_lineage(place: Place) -> None:
    """After the insert: the own-level column points at itself and the path ends with its id."""
    setattr(place, f"{place.level}_id", place.pk)
    place.path = f"{place.parent.path if place.parent else '/'}{place.pk}/"
    Place.objects.filter(pk=place.pk).update(**{f"{place.level}_id": place.pk}, path=place.path)


@transaction.atomic
def place_create(
    *, actor: Actor, level: str, name: str, parent: Place | None = None, audit: bool = True, **fields
) -> Place:
    """Create a place under `parent`. A street (no parent) may be created only by the system (actor SYSTEM)."""
    if parent is None:
        if not is_system(actor):
            raise PermissionDenied(gettext("只有系统管理员可以新建街道"))
    else:
        require(actor, Right.PLACES_EDIT, parent)
    place = Place(level=level, name=name.strip(), parent=parent, **fields)
    if not place.sort_key:
        place.sort_key = _sort_key(place.name)
    place.fill_lineage()
    place.path = "pending"
    place.full_clean(exclude=["path"])
    place.save()
    _finish_lineage(place)
    if audit:
        audit_record(
            actor=actor,
            kind="create",
            action="place_create",
            obj=place,
            community=place.community,
            after={"level": level, **_snapshot(place)},
        )
    return place


@transaction.atomic
def place_update(*, actor: Actor, place: Place, **changes) -> Place:
    require(actor, Right.PLACES_EDIT, place)
    before = _snapshot(place)
    for key, value in changes.items():
        if key not in PLACE_FIELDS and key != "grid":
            raise ValueError(f"place_update does not change {key}")
        setattr(place, key, value)
    if "name" in changes and "sort_key" not in changes:
        place.sort_key = _sort_key(place.name)
    place.full_clean()
    place.save()
    if place.level in (Level.COMPOUND, Level.BUILDING, Level.UNIT) and (
        "name" in changes or "grid" in changes
    ):
        _refresh_descendants(place)
    after = _snapshot(place)
    audit_record(
        actor=actor,
        kind="update",
        action="place_update",
        obj=place,
        community=place.community,
        before=before,
        after=after,
    )
    return place


def _refresh_descendants(place: Place) -> None:
    """A renamed compound/building changes dwelling addresses; a building's grid moves its units and dwellings."""
    if place.level == Level.BUILDING:
        Place.objects.filter(building=place, level=Level.UNIT).update(grid_id=place.grid_id)
        Dwelling.objects.filter(building=place).update(grid_id=place.grid_id)
    for dwelling in Dwelling.objects.filter(**{place.level: place}).select_related(
        "unit__compound", "unit__building"
    ):
        dwelling.fill_lineage()
        Dwelling.objects.filter(pk=dwelling.pk).update(address=dwelling.address)


@transaction.atomic
def grid_create(*, actor: Actor, community: Place, name: str, code: str = "") -> Grid:
    require(actor, Right.PLACES_EDIT, community)
    if community.level != Level.COMMUNITY or community.street_id is None:
        raise DomainError(gettext("网格须建在社区下"), field="community")
    grid = Grid(community=community, street_id=community.street_id, name=name, code=code)
    grid.full_clean()
    grid.save()
    audit_record(
        actor=actor,
        kind="create",
        action="grid_create",
        obj=grid,
        community=community,
        after={"name": name, "code": code},
    )
    return grid


@transaction.atomic
def dwelling_create(*, actor: Actor, unit: Place, room: str, audit: bool = True, **fields) -> Dwelling:
    require(actor, Right.PLACES_EDIT, unit)
    dwelling = Dwelling(unit=unit, room=room.strip(), **fields)
    dwelling.fill_lineage()
    dwelling.full_clean()
    dwelling.save()
    if audit:
        audit_record(
            actor=actor,
            kind="create",
            action="dwelling_create",
            obj=dwelling,
            community=dwelling.community,
            after={"room": room, **{k: str(v) for k, v in fields.items()}},
        )
    return dwelling


@transaction.atomic
def dwelling_update(*, actor: Actor, dwelling: Dwelling, **changes) -> Dwelling:
    require(actor, Right.PLACES_EDIT, dwelling)
    allowed = {"room", "floor", "area_m2", "use", "is_vacant"}
    before = {k: str(getattr(dwelling, k)) for k in changes if k in allowed}
    for key, value in changes.items():
        if key not in allowed:
            raise ValueError(f"dwelling_update does not change {key}")
        setattr(dwelling, key, value)
    dwelling.fill_lineage()
    dwelling.full_clean()
    dwelling.save()
    audit_record(
        actor=actor,
        kind="update",
        action="dwelling_update",
        obj=dwelling,
        community=dwelling.community,
        before=before,
        after={k: str(getattr(dwelling, k)) for k in changes},
    )
    return dwelling
