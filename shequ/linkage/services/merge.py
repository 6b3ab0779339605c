"""Merging two ledger people and splitting one in two, each with a snapshot that makes it undoable.

What moves is not decided here: every app registers its references to a person in ledger.person_relations, and
merge, split and undo iterate that registry (each relation's handler knows its own unique constraints). The
Merge row keeps, per relation key, the ids that moved and the handler's note, so undo moves exactly those back.
Both people are locked in one order (ledger.lock_objects) by merge and by undo."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.numbers import public_number
from shequ.ledger import person_relations
from shequ.ledger import services as ledger
from shequ.ledger.lock_objects import people_for_update
from shequ.ledger.models import Person
from shequ.linkage import policies
from shequ.linkage.frames import item_keys, pair_key
from shequ.linkage.models import Merge, ReviewDecision, ReviewItem
from shequ.linkage.services._common import user_or_none

if TYPE_CHECKING:
    from shequ.core.jurisdiction import Actor

# Raw person columns a merge may fill on `keep` from `drop` (blank on keep), restored exactly on undo.
ID_COLUMNS = ("id_type", "id_number_encrypted", "id_number_hash", "id_number_masked")
PHONE_COLUMNS = ("phone_encrypted", "phone_hash", "phone_masked", "phone_tail", "phone_is_landline")
STATE_COLUMNS = ("birth_date", "home_id", "home_compound_id", "merged_into_id", *ID_COLUMNS, *PHONE_COLUMNS)
WAITING = (ReviewItem.Status.OPEN, ReviewItem.Status.SKIPPED)


def relation_labels() -> dict[str, str]:
    """Relation key → its label's message id (the Chinese text), for every reference that moves with a person: the
    merge summary is stored in the database in Chinese and translated where it is shown."""
    with translation.override(None):
        return {r.key: str(r.label) for r in person_relations.person_relations()}


def split_relations() -> list[person_relations.Relation]:
    """The relations whose rows a split may give to the new person, in registration order."""
    return [r for r in person_relations.person_relations() if r.splittable]


def _summary(moved: dict) -> dict:
    labels = relation_labels()
    return {labels[k]: len(v) for k, v in moved.items() if k in labels and v}


def _state(person: Person) -> dict:
    data = {c: getattr(person, c) for c in STATE_COLUMNS}
    if data["birth_date"]:
        data["birth_date"] = data["birth_date"].isoformat()
    return data


def _restore_state(person_pk: int, state: dict) -> None:
    ledger.person_state_restore(person_pk=person_pk, state=state)


# Merge steps --------------------------------------------------------------------------------------------------


def _lock_pair(keep: Person, drop: Person) -> tuple[Person, Person]:
    locked = people_for_update([keep.pk, drop.pk])
    keep, drop = locked[keep.pk], locked[drop.pk]
    if keep.merged_into_id or drop.merged_into_id:
        raise DomainError(
            gettext("其中一人已被合并到其他人员,请刷新后再试"), field="drop", code="already_merged"
        )
    return keep, drop


def _move_relations(*, keep: Person, drop: Person, today: date) -> dict:
    """Every registered relation's rows of `drop` go to `keep`, by that relation's handler: moved ids by relation
    key, and the handlers' notes (rows ended or left behind on a unique clash) under "notes"."""
    moved: dict = {}
    notes: dict = {}
    for relation in person_relations.person_relations():
        result = relation.on_merge(relation, keep_pk=keep.pk, drop_pk=drop.pk, today=today)
        moved[relation.key] = result.ids
        if result.note:
            notes[relation.key] = result.note
    moved["notes"] = notes
    return moved


def _fill_blanks(keep: Person, drop: Person) -> list[str]:
    """Fill keep's blank ID number, phone and birth date from drop (the ID moves only when it agrees with keep's
    sex and birth date); mark drop merged into keep. Returns the columns filled."""
    fill: dict = {}
    drop_clear: dict = {}
    if (
        not keep.id_number_hash
        and drop.id_number_hash
        and keep.sex == drop.sex
        and (keep.birth_date in (None, drop.birth_date))
    ):
        fill.update({c: getattr(drop, c) for c in ID_COLUMNS})
        fill["birth_date"] = drop.birth_date
        drop_clear.update({"id_number_encrypted": "", "id_number_hash": "", "id_number_masked": ""})
    if not keep.phone_hash and drop.phone_hash:
        fill.update({c: getattr(drop, c) for c in PHONE_COLUMNS})
    if not keep.birth_date and drop.birth_date and "birth_date" not in fill and not keep.id_number_hash:
        fill["birth_date"] = drop.birth_date
    ledger.person_mark_merged(drop=drop, keep=keep, clear=drop_clear)
    ledger.person_fill_columns(person=keep, values=fill)
    return sorted(fill)


def _close_waiting_items(drop: Person) -> list[list]:
    """Review questions about the merged-away record are closed; (pk, status) kept to reopen them on undo."""
    closed = list(
        ReviewItem.objects.filter(status__in=WAITING)
        .filter(Q(person=drop) | Q(left_person=drop))
        .values_list("pk", "status")
    )
    ReviewItem.objects.filter(pk__in=[pk for pk, _ in closed]).update(
        status=ReviewItem.Status.CLOSED, decided_at=timezone.now()
    )
    return [list(c) for c in closed]


@transaction.atomic
def person_merge(*, actor: Actor, keep: Person, drop: Person, review_item: ReviewItem | None = None) -> Merge:
    """Make two ledger people one: everything registered as belonging to a person (ledger.person_relations:
    residencies, memberships, tags, duties, needs, import rows, monitoring, pairings, team posts, a user account
    …) moves from `drop` to `keep`; `keep`'s blank ID number, phone and birth date are filled from `drop`; `drop`
    is marked merged into `keep` (and disappears from lists). The Merge row keeps a full snapshot of what moved
    and what changed, so merge_undo restores it exactly."""
    if keep.pk == drop.pk:
        raise DomainError(gettext("不能把一个人与自己合并"), field="drop")
    policies.require_change_person(actor, keep)
    policies.require_change_person(actor, drop)
    keep, drop = _lock_pair(keep, drop)
    before = {"keep": _state(keep), "drop": _state(drop)}
    moved = _move_relations(keep=keep, drop=drop, today=timezone.localdate())
    moved["filled"] = _fill_blanks(keep, drop)
    keep.refresh_from_db()
    ledger.person_refresh_home(keep)
    moved["closed_items"] = _close_waiting_items(drop)
    moved["before"] = before
    merge = Merge(
        number=public_number("HB", entropy_bytes=5),
        kind=Merge.Kind.MERGE,
        community=keep.community,
        keep=keep,
        drop=drop,
        drop_name=drop.name,
        moved=moved,
        summary=_summary(moved),
        review_item=review_item,
        created_by=user_or_none(actor),
    )
    merge.full_clean()
    merge.save()
    audit_record(
        actor=actor,
        kind="update",
        action="person_merge",
        obj=keep,
        object_label=f"{keep.name} ← {drop.name}",
        community=keep.community,
        before={"keep": keep.name, "drop": drop.name, "drop_id_number": drop.id_number_masked},
        after={"merge": merge.number, "moved": merge.summary, "filled": moved["filled"]},
    )
    return merge


# Undo ---------------------------------------------------------------------------------------------------------


def _note(moved: dict, key: str) -> dict:
    note = (moved.get("notes") or {}).get(key)
    if note is not None:
        return note
    # Merges made before the registry kept the ended duplicates under "ended", by the same keys.
    ended = (moved.get("ended") or {}).get(key)
    return {"ended": ended} if ended else {}


def _move_back(moved: dict, to_pk: int) -> None:
    for relation in person_relations.person_relations():
        ids = moved.get(relation.key) or []
        note = _note(moved, relation.key)
        if ids or note:
            relation.on_undo(relation, ids=list(ids), note=note, to_pk=to_pk)


def _reopen_review(merge: Merge) -> None:
    for pk, status in merge.moved.get("closed_items") or []:
        ReviewItem.objects.filter(pk=pk, status=ReviewItem.Status.CLOSED).update(
            status=status, decided_at=None
        )
    if merge.review_item_id:
        ReviewItem.objects.filter(pk=merge.review_item_id).update(
            status=ReviewItem.Status.OPEN, decided_at=None, decided_by=None
        )
        item = merge.review_item
        assert item is not None
        ReviewDecision.objects.filter(
            community_id=item.community_id, pair_key=pair_key(*item_keys(item))
        ).delete()


@transaction.atomic
def merge_undo(*, actor: Actor, merge: Merge) -> Merge:
    """Undo a merge (or a split): everything that moved goes back, ended duplicates are reopened, both people's
    ID/phone/birth/home columns are restored to what they were, and the dropped person reappears."""
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.is_undone:
        raise DomainError(gettext("已经撤销过了"), field="merge", code="undone")
    if merge.drop_id is None:
        raise DomainError(gettext("该记录已无法撤销(人员已删除)"), field="merge", code="gone")
    locked = people_for_update([merge.keep_id, merge.drop_id])
    keep, drop = locked[merge.keep_id], locked[merge.drop_id]
    policies.require_change_person(actor, keep)
    if merge.kind == Merge.Kind.SPLIT:
        return _split_undo(actor=actor, merge=merge, person=keep, new_person=drop)
    moved = merge.moved
    _move_back(moved, drop.pk)
    before = moved.get("before") or {}
    _restore_state(keep.pk, {**before["keep"], "merged_into_id": keep.merged_into_id})
    _restore_state(drop.pk, before["drop"])
    _reopen_review(merge)
    merge.undone_at = timezone.now()
    merge.undone_by = user_or_none(actor)
    merge.save(update_fields=["undone_at", "undone_by"])
    audit_record(
        actor=actor,
        kind="update",
        action="merge_undo",
        obj=keep,
        object_label=f"{keep.name} → {drop.name}",
        community=keep.community,
        after={"merge": merge.number, "restored": merge.summary},
    )
    return merge


# Split --------------------------------------------------------------------------------------------------------


def _chosen_rows(person: Person, moves: dict[str, list[int]]) -> dict[str, list[int]]:
    """The rows the user chose to give the new person, checked to be this person's, by relation key."""
    relations = {r.key: r for r in split_relations()}
    labels = relation_labels()
    chosen: dict[str, list[int]] = {}
    for key, raw_ids in (moves or {}).items():
        if key not in relations:
            raise DomainError(f"不能拆分的内容:{key}", field="moves")
        ids = sorted({int(i) for i in raw_ids})
        found = set(relations[key].rows_of(person.pk).filter(pk__in=ids).values_list("pk", flat=True))
        if len(found) != len(ids):
            raise DomainError(f"所选{labels[key]}不属于该人员", field="moves")
        if ids:
            chosen[key] = ids
    if not chosen:
        raise DomainError(gettext("请至少选择一项归入新人员的记录"), field="moves", code="required")
    return chosen


@transaction.atomic
def person_split(
    *,
    actor: Actor,
    person: Person,
    moves: dict[str, list[int]],
    name: str,
    sex: str = "",
    birth_date: date | None = None,
    id_number: str = "",
    phone: str = "",
) -> Merge:
    """Split one ledger record that holds two people: a new person (given fields) in the same community takes the
    chosen rows of the splittable relations (residencies, memberships, tags, duties, needs, source observations,
    import rows). Undone by merge_undo."""
    policies.require_change_person(actor, person)
    person = people_for_update([person.pk])[person.pk]
    if person.merged_into_id:
        raise DomainError(gettext("该人员已被合并,不能拆分"), field="person", code="already_merged")
    chosen = _chosen_rows(person, moves)
    before = _state(person)
    try:
        new_person = ledger.person_create(
            actor=actor,
            community=person.community,
            name=name,
            sex=sex,
            birth_date=birth_date,
            id_number=id_number,
            phone=phone,
        )
    except IntegrityError as exc:  # pragma: no cover - person_create reports duplicates itself
        raise DomainError(gettext("无法新建人员"), field="name") from exc
    moved: dict = {"household_heads": []}
    relations = {r.key: r for r in split_relations()}
    for key, ids in chosen.items():
        relation = relations[key]
        assert relation.on_split is not None
        for moved_key, moved_ids in relation.on_split(
            relation, person_pk=person.pk, new_pk=new_person.pk, ids=ids
        ).items():
            moved[moved_key] = [*moved.get(moved_key, []), *moved_ids]
    ledger.person_refresh_home(person)
    ledger.person_refresh_home(new_person)
    moved["before"] = {"keep": before}
    return _record_split(actor=actor, person=person, new_person=new_person, moved=moved)


def _record_split(*, actor: Actor, person: Person, new_person: Person, moved: dict) -> Merge:
    merge = Merge(
        number=public_number("CF", entropy_bytes=5),
        kind=Merge.Kind.SPLIT,
        community=person.community,
        keep=person,
        drop=new_person,
        drop_name=new_person.name,
        moved=moved,
        summary=_summary(moved),
        created_by=user_or_none(actor),
    )
    merge.full_clean()
    merge.save()
    audit_record(
        actor=actor,
        kind="update",
        action="person_split",
        obj=person,
        object_label=f"{person.name} → {new_person.name}",
        community=person.community,
        after={"split": merge.number, "new_person": new_person.name, "moved": merge.summary},
    )
    return merge


def _split_undo(*, actor: Actor, merge: Merge, person: Person, new_person: Person) -> Merge:
    _move_back(merge.moved, person.pk)
    _restore_state(person.pk, {**merge.moved["before"]["keep"], "merged_into_id": person.merged_into_id})
    # Records added to the new person since the split keep it, merged back into the original.
    outcome = ledger.person_discard_split(new_person=new_person, into=person)
    merge.undone_at = timezone.now()
    merge.undone_by = user_or_none(actor)
    merge.save(update_fields=["undone_at", "undone_by"])
    audit_record(
        actor=actor,
        kind="update",
        action="split_undo",
        obj=person,
        object_label=f"{person.name} ← {merge.drop_name}",
        community=person.community,
        after={"split": merge.number, "restored": merge.summary, "new_person": outcome},
    )
    return merge
