"""Every reference to a ledger person or household, registered by the app that owns it.

Merging two people (linkage), splitting one and undoing either iterate this registry: whatever belongs to the
merged-away record moves to the survivor, and undo moves exactly those rows back. An app that adds a foreign key
or one-to-one to `ledger.Person` or `ledger.Household` registers it in its `AppConfig.ready()` (usually through a
small `relations.py`); the system check `shequ.E010` (ledger/checks.py) refuses to start while one is missing.

    from shequ.ledger import person_relations

    person_relations.register(Monitoring, "person", label=_("居家监测"))
    person_relations.register_fixed(Merge, "keep", reason="the merge's own record of who was kept")

The default merge handler re-points the key from the duplicate to the survivor and records the moved ids. It
knows the model's unique constraints (unique, one-to-one, `UniqueConstraint` with its condition, unique_together):
a row of the duplicate that would clash with one of the survivor's stays where it is (the survivor's row wins) and
is listed in the merge's note, so undo has nothing to restore for it. A relation whose rule is different (end the
duplicate's row instead, say) passes its own `on_merge`/`on_undo`.

Handlers get plain primary keys and write with `.update()`: the caller (linkage) locks both people first
(ledger/lock_objects.py) and keeps the notes in its Merge row, which is JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from django.db import models
from django.db.models import Q, UniqueConstraint

# A handler's note is JSON kept on the Merge row (ids and small lists only).
Note = dict[str, Any]


@dataclass
class Moved:
    """What one relation's merge (or split) did: the ids moved to the other person, and a note for its undo."""

    ids: list[int] = field(default_factory=list)
    note: Note = field(default_factory=dict)


class MergeHandler(Protocol):
    def __call__(self, relation: Relation, *, keep_pk: int, drop_pk: int, today: date) -> Moved: ...


class UndoHandler(Protocol):
    def __call__(self, relation: Relation, *, ids: list[int], note: Note, to_pk: int) -> None: ...


class SplitHandler(Protocol):
    def __call__(
        self, relation: Relation, *, person_pk: int, new_pk: int, ids: list[int]
    ) -> dict[str, list[int]]: ...


# (pk, label) options for the split form, for the rows of one person.
SplitOptions = Callable[[Any], list[tuple[int, str]]]


@dataclass(frozen=True)
class Relation:
    """One foreign key (or one-to-one) to Person or Household."""

    model: type[models.Model]
    field: str
    label: Any  # gettext_lazy: named in the merge summary and the split form
    key: str  # stable name in Merge.moved (JSON); existing merges keep their keys
    on_merge: MergeHandler
    on_undo: UndoHandler
    moves: bool = True  # False: a record of history about that very person record (never moved)
    split_options: SplitOptions | None = None  # rows of this relation may be given to a new person by a split
    on_split: SplitHandler | None = None
    reason: str = ""

    @property
    def target(self) -> type[models.Model]:
        return self.model._meta.get_field(self.field).related_model  # type: ignore[return-value]

    @property
    def attname(self) -> str:
        return self.model._meta.get_field(self.field).attname  # type: ignore[union-attr]

    @property
    def splittable(self) -> bool:
        return self.split_options is not None

    def rows_of(self, pk: int) -> models.QuerySet:
        return self.model._default_manager.filter(**{self.attname: pk})

    def move(self, ids: Iterable[int], to_pk: int) -> None:
        ids = list(ids)
        if ids:
            self.model._default_manager.filter(pk__in=ids).update(**{self.attname: to_pk})


_registry: dict[tuple[str, str], Relation] = {}


def _unique_sets(model: type[models.Model], field_name: str) -> list[tuple[tuple[str, ...], Q | None]]:
    """The unique sets of `model` that include `field_name`, each with its condition (None: always)."""
    out: list[tuple[tuple[str, ...], Q | None]] = []
    if model._meta.get_field(field_name).unique:  # type: ignore[union-attr]
        out.append(((field_name,), None))
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.fields and field_name in constraint.fields:
            out.append((tuple(constraint.fields), constraint.condition))
    for together in model._meta.unique_together:
        if field_name in together:
            out.append((tuple(together), None))
    return out


def clashing_ids(relation: Relation, *, keep_pk: int, drop_pk: int) -> dict[int, int]:
    """Rows of the duplicate that would break a unique constraint if moved to the survivor: duplicate's row id →
    the survivor's row it clashes with."""
    clashes: dict[int, int] = {}
    for fields, condition in _unique_sets(relation.model, relation.field):
        others = [f for f in fields if f != relation.field]
        keep_rows = relation.rows_of(keep_pk)
        drop_rows = relation.rows_of(drop_pk)
        if condition is not None:
            keep_rows, drop_rows = keep_rows.filter(condition), drop_rows.filter(condition)
        taken = {tuple(values): pk for pk, *values in keep_rows.values_list("pk", *others)}
        if not taken:
            continue
        for pk, *values in drop_rows.values_list("pk", *others):
            if None not in values and tuple(values) in taken:
                clashes.setdefault(pk, taken[tuple(values)])
    return clashes


def move_to_survivor(relation: Relation, *, keep_pk: int, drop_pk: int, today: date) -> Moved:
    """The default: every row of the duplicate now points at the survivor, except those that would clash with a
    unique constraint (the survivor's row wins; the duplicate's stays with the merged-away record)."""
    del today
    clashes = clashing_ids(relation, keep_pk=keep_pk, drop_pk=drop_pk)
    ids = sorted(set(relation.rows_of(drop_pk).values_list("pk", flat=True)) - set(clashes))
    relation.move(ids, keep_pk)
    note: Note = {"kept_on_drop": [[pk, clashes[pk]] for pk in sorted(clashes)]} if clashes else {}
    return Moved(ids=ids, note=note)


def move_back(relation: Relation, *, ids: list[int], note: Note, to_pk: int) -> None:
    """The default undo: exactly the moved ids go back (rows left on the duplicate never left)."""
    del note
    relation.move(ids, to_pk)


def split_move(relation: Relation, *, person_pk: int, new_pk: int, ids: list[int]) -> dict[str, list[int]]:
    """The default split: the chosen rows go to the new person. Returns what moved, by relation key (a handler
    may move rows of other relations along, e.g. the head of a household whose membership moves)."""
    del person_pk
    relation.move(ids, new_pk)
    return {relation.key: list(ids)}


def end_active_duplicates(
    *, end_field: str, same: tuple[str, ...], not_before: str | None = None
) -> tuple[MergeHandler, UndoHandler]:
    """Handlers for a dated relation (a residency, a membership, a tag): an active row of the duplicate that
    repeats an active row of the survivor (same `same` values) is ended today (never before its `not_before`
    date) first, then every row moves. Undo moves them back and reopens what was ended."""

    def on_merge(relation: Relation, *, keep_pk: int, drop_pk: int, today: date) -> Moved:
        active = {f"{end_field}__isnull": True}
        taken = set(relation.rows_of(keep_pk).filter(**active).values_list(*same))
        ended = []
        attnames = [relation.model._meta.get_field(f).attname for f in same]  # type: ignore[union-attr]
        for row in relation.rows_of(drop_pk).filter(**active):
            if tuple(getattr(row, a) for a in attnames) in taken:
                since = getattr(row, not_before) if not_before else None
                value = max(today, since) if since else today
                relation.model._default_manager.filter(pk=row.pk).update(**{end_field: value})
                ended.append([row.pk, None])
        ids = sorted(relation.rows_of(drop_pk).values_list("pk", flat=True))
        relation.move(ids, keep_pk)
        return Moved(ids=ids, note={"ended": ended} if ended else {})

    def on_undo(relation: Relation, *, ids: list[int], note: Note, to_pk: int) -> None:
        relation.move(ids, to_pk)
        for pk, value in note.get("ended") or []:
            relation.model._default_manager.filter(pk=pk).update(**{end_field: value})

    return on_merge, on_undo


def _nothing(relation: Relation, *, keep_pk: int, drop_pk: int, today: date) -> Moved:
    return Moved()


def _nothing_back(relation: Relation, *, ids: list[int], note: Note, to_pk: int) -> None:
    return None


def register(
    model: type[models.Model],
    field: str,
    *,
    label: Any,
    key: str | None = None,
    on_merge: MergeHandler | None = None,
    on_undo: UndoHandler | None = None,
    split_options: SplitOptions | None = None,
    on_split: SplitHandler | None = None,
) -> Relation:
    """Register a reference to Person or Household that moves with the person on merge (and back on undo).
    `key` names it in Merge.moved (default "app.Model.field"); `split_options` makes its rows choosable when a
    record is split in two (`on_split` moves the chosen ones; default: just those rows). Registering the same (model, field) twice replaces the first (tests, reloads)."""
    relation = Relation(
        model=model,
        field=field,
        label=label,
        key=key or f"{model._meta.label}.{field}",
        on_merge=on_merge or move_to_survivor,
        on_undo=on_undo or move_back,
        split_options=split_options,
        on_split=on_split or split_move,
    )
    return _add(relation)


def register_fixed(model: type[models.Model], field: str, *, reason: str, label: Any = "") -> Relation:
    """Register a reference that records a fact about that very person record (who was merged into whom, a
    review item about this record): it never moves. `reason` says why, for the reader of the registry."""
    relation = Relation(
        model=model,
        field=field,
        label=label or field,
        key=f"{model._meta.label}.{field}",
        on_merge=_nothing,
        on_undo=_nothing_back,
        moves=False,
        reason=reason,
    )
    return _add(relation)


def _add(relation: Relation) -> Relation:
    field = relation.model._meta.get_field(relation.field)
    if not (field.many_to_one or field.one_to_one):
        raise TypeError(f"{relation.model._meta.label}.{relation.field} is not a foreign key or one-to-one")
    _registry[(relation.model._meta.label, relation.field)] = relation
    return relation


def unregister(model: type[models.Model], field: str) -> None:
    """For tests only."""
    _registry.pop((model._meta.label, field), None)


def relations(*, target: type[models.Model] | None = None, moving: bool | None = None) -> list[Relation]:
    """The registered relations in registration order (app order), optionally to one target model and only
    those that move (or only the fixed ones)."""
    out = list(_registry.values())
    if target is not None:
        out = [r for r in out if r.target is target]
    if moving is not None:
        out = [r for r in out if r.moves is moving]
    return out


def person_relations(*, moving: bool | None = True) -> list[Relation]:
    from shequ.ledger.models import Person

    return relations(target=Person, moving=moving)


def is_registered(model: type[models.Model], field: str) -> bool:
    return (model._meta.label, field) in _registry


def get(key: str) -> Relation | None:
    return next((r for r in _registry.values() if r.key == key), None)
