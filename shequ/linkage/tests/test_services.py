"""Linkage services: thresholds through the real engine on a small dataset, decisions kept and reused, the
duplicate scan, review decisions, merge/split with an exact undo, and refusals across communities."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from shequ.core import idnumbers, pii
from shequ.core.jurisdiction import SYSTEM
from shequ.core.models import AuditEvent
from shequ.imports import services as imports
from shequ.imports.models import DataSource, FieldObservation, ImportRow
from shequ.imports.testing import run_batch, xlsx_bytes
from shequ.ledger import services as ledger
from shequ.ledger.models import Duty, GroupTag, Household, HouseholdMember, Need, Person, Residency
from shequ.linkage import services
from shequ.linkage.models import LinkRun, Merge, ReviewDecision, ReviewItem
from shequ.linkage.testing import duplicate_of, import_row, queue_people, queue_row

pytestmark = pytest.mark.django_db

HEADERS = ["序号", "姓名", "性别", "出生日期", "公民身份号码", "联系电话", "现住址"]


def _rows(world):
    head_id = idnumbers.make("110105", date(1970, 5, 4), 10, female=False)
    return [
        ["1", "张伟", "男", "1970-05-04", head_id, "13800131001", "阳光花园3栋2单元501"],  # the head, exactly
        ["2", "李娜", "女", "1972-08-09", "", "13900131002", "阳光花园3栋2单元501"],  # spouse, no ID
        ["3", "曾秀瑛", "女", "1940-01-02", "", "", "阳光花园3栋2单元502"],  # elder, homophone, no ID
        [
            "4",
            "王大力",
            "男",
            "1990-01-01",
            idnumbers.make("110105", date(1990, 1, 1), 31, female=False),
            "",
            "阳光花园3栋2单元601",
        ],
    ]


def _batch(world, name="走访.xlsx", source_name="入户走访一"):
    a = world.a
    source = imports.source_create(
        actor=a.worker, owner=a.community, name=source_name, kind=DataSource.Kind.SURVEY
    )
    return run_batch(
        actor=a.worker,
        source=source,
        place=a.community,
        name=name,
        content=xlsx_bytes(_rows(world), headers=HEADERS),
    )


def _row(batch, name):
    return ImportRow.objects.get(batch=batch, clean__name=name)


def test_batch_links_above_upper_creates_below_lower_and_queues_between(world):
    a = world.a
    batch = _batch(world)
    assert batch.status == "done"
    head_row = _row(batch, "张伟")
    assert head_row.link_status == "linked" and head_row.person_id == a.head.pk
    assert head_row.match_probability >= services.AUTO_LINK_THRESHOLD
    new_row = _row(batch, "王大力")
    assert new_row.link_status == "new" and new_row.person.name == "王大力"
    spouse_row, elder_row = _row(batch, "李娜"), _row(batch, "曾秀瑛")
    assert spouse_row.link_status == elder_row.link_status == "review"
    items = {i.row_id: i for i in ReviewItem.objects.filter(kind="row_person")}
    assert items[spouse_row.pk].person_id == a.spouse.pk
    assert items[elder_row.pk].person_id == a.elder.pk
    for item in items.values():
        assert services.REVIEW_THRESHOLD <= item.probability < services.AUTO_LINK_THRESHOLD
        labels = {c["label"] for c in item.contributions}
        assert {"姓名", "出生日期"} <= labels
        assert item.community_id == a.community.pk
    run = LinkRun.objects.get(batch=batch)
    assert (run.status, run.linked, run.created, run.review) == ("done", 1, 1, 2)
    batch.refresh_from_db()
    assert (batch.linked, batch.new, batch.review, batch.progress) == (1, 1, 2, 100)
    # nothing personal in clear in what linkage stored
    plain = [pii.decrypt(p.id_number_encrypted) for p in Person.objects.exclude(id_number_encrypted="")]
    stored = str(list(ReviewItem.objects.values())) + str(list(LinkRun.objects.values()))
    assert not [p for p in plain if p in stored]


def test_decisions_are_kept_and_reused_next_time(world):
    a = world.a
    first = _batch(world)
    spouse_item = ReviewItem.objects.get(row=_row(first, "李娜"))
    elder_item = ReviewItem.objects.get(row=_row(first, "曾秀瑛"))
    services.review_decide(actor=a.worker, item=spouse_item, decision="not_match")
    services.review_decide(actor=a.worker, item=elder_item, decision="match")
    assert ReviewDecision.objects.filter(community=a.community).count() == 2
    # not a match, and no other candidate: the row became a new person
    spouse_row = _row(first, "李娜")
    assert spouse_row.link_status == "new" and spouse_row.person_id != a.spouse.pk
    assert _row(first, "曾秀瑛").person_id == a.elder.pk

    # The same records from another source: the refused pair never comes back.
    second = _batch(world, name="走访二.xlsx", source_name="入户走访二")
    run = LinkRun.objects.get(batch=second)
    assert run.reused >= 1
    again = _row(second, "李娜")
    assert not ReviewItem.objects.filter(row=again, person=a.spouse).exists()
    assert again.person_id != a.spouse.pk


def test_review_match_attaches_row_and_closes_other_candidates(world):
    a = world.a
    row = import_row(
        actor=a.worker, community=a.community, dwelling=a.dwellings[0], name="张卫", birth=a.head.birth_date
    )
    first, second = queue_row(row, a.head, probability=0.8), queue_row(row, a.spouse, probability=0.3)
    services.review_decide(actor=a.worker, item=first, decision="match")
    row.refresh_from_db()
    second.refresh_from_db()
    assert row.person_id == a.head.pk and row.link_status == "linked" and row.link_method == "review"
    assert second.status == "closed"
    decision = ReviewDecision.objects.get(community=a.community)
    assert decision.is_match and decision.pair_key == first.pair_key
    assert AuditEvent.objects.filter(action="review_decide", object_id=str(first.pk)).exists()


def test_skip_keeps_item_decidable_and_bad_decision_is_refused(world):
    a = world.a
    row = import_row(actor=a.worker, community=a.community, name="某某", birth=date(1980, 1, 1))
    item = queue_row(row, a.head)
    services.review_decide(actor=a.worker, item=item, decision="skip")
    item.refresh_from_db()
    assert item.status == "skipped" and not ReviewDecision.objects.exists()
    with pytest.raises(services.DomainError) as err:
        services.review_decide(actor=a.worker, item=item, decision="maybe")
    assert "decision" in err.value.message_dict
    services.review_decide(actor=a.worker, item=item, decision="not_match")
    row.refresh_from_db()
    assert row.link_status == "new"
    with pytest.raises(services.DomainError):
        services.review_decide(actor=a.worker, item=item, decision="match")


def _snapshot(*people):
    """Every relation's owner and end marker, and every person column a merge may touch."""
    ids = [p.pk for p in people]
    return {
        "res": sorted(Residency.objects.filter(person_id__in=ids).values_list("pk", "person_id", "until")),
        "mem": sorted(
            HouseholdMember.objects.filter(person_id__in=ids).values_list("pk", "person_id", "left_on")
        ),
        "tag": sorted(GroupTag.objects.filter(person_id__in=ids).values_list("pk", "person_id", "until")),
        "duty": sorted(Duty.objects.filter(person_id__in=ids).values_list("pk", "person_id")),
        "need": sorted(Need.objects.filter(person_id__in=ids).values_list("pk", "person_id")),
        "obs": sorted(FieldObservation.objects.filter(person_id__in=ids).values_list("pk", "person_id")),
        "rows": sorted(ImportRow.objects.filter(person_id__in=ids).values_list("pk", "person_id")),
        "heads": sorted(Household.objects.filter(head_id__in=ids).values_list("pk", "head_id")),
        "people": sorted(
            Person.objects.filter(pk__in=ids).values_list(
                "pk",
                "merged_into_id",
                "home_id",
                "home_compound_id",
                "birth_date",
                "id_number_hash",
                "phone_hash",
            )
        ),
    }


@pytest.fixture
def duplicate(world):
    """A second record of A's head: no ID, another phone, living at the head's home, with a tag, a duty, a need,
    an observation and an import row of their own; also a duplicate tag and membership in the head's household."""
    a = world.a
    twin = duplicate_of(a.head, name="张卫", phone="13700000001")
    ledger.household_add_member(actor=SYSTEM, household=a.household, person=twin, relation="relative")
    other_home = ledger.household_create(actor=SYSTEM, dwelling=a.dwellings[2], head=twin)
    ledger.tag_add(actor=SYSTEM, person=twin, kind=GroupTag.Kind.VETERAN)
    ledger.tag_add(actor=SYSTEM, person=a.head, kind=GroupTag.Kind.VETERAN)
    ledger.duty_assign(actor=SYSTEM, person=twin, kind=Duty.Kind.VOLUNTEER, place=a.building)
    ledger.need_create(actor=SYSTEM, household=other_home, kind=Need.Kind.REPAIR, person=twin)
    source = imports.source_create(
        actor=a.worker, owner=a.community, name="物业名册", kind=DataSource.Kind.PROPERTY
    )
    FieldObservation.objects.create(
        person=twin,
        field="name",
        value="张卫",
        value_masked="张卫",
        value_key="k",
        source=source,
        observed_on=date.today(),
    )
    row = import_row(actor=a.worker, community=a.community, name="张卫")
    ImportRow.objects.filter(pk=row.pk).update(person=twin, link_status="linked")
    return twin


def test_merge_moves_everything_and_undo_restores_exactly(world, duplicate):
    a = world.a
    keep, drop = Person.objects.get(pk=a.head.pk), Person.objects.get(pk=duplicate.pk)
    before = _snapshot(keep, drop)
    merge = services.person_merge(actor=a.worker, keep=keep, drop=drop)
    drop.refresh_from_db()
    keep.refresh_from_db()
    assert drop.merged_into_id == keep.pk and drop.home_id is None
    for model in (Residency, HouseholdMember, GroupTag, Duty, Need, FieldObservation, ImportRow):
        assert not model.objects.filter(person=drop).exists(), model
    assert Household.objects.filter(head=keep).count() == 2
    # duplicates of what keep already had were ended, not doubled
    assert GroupTag.objects.filter(person=keep, kind="veteran", until__isnull=True).count() == 1
    assert (
        HouseholdMember.objects.filter(person=keep, household=a.household, left_on__isnull=True).count() == 1
    )
    assert keep.phone_hash  # keep had a phone: not replaced
    assert merge.summary["职责"] == 1 and merge.summary["导入记录"] == 1
    assert not Person.objects.filter(pk=drop.pk, merged_into__isnull=True).exists()
    event = AuditEvent.objects.get(action="person_merge")
    assert "张卫" in event.object_label and merge.number in str(event.after)

    services.merge_undo(actor=a.worker, merge=merge)
    assert _snapshot(keep, drop) == before
    merge.refresh_from_db()
    assert merge.is_undone
    with pytest.raises(services.DomainError):
        services.merge_undo(actor=a.worker, merge=merge)


def test_merge_fills_missing_id_number_and_undo_takes_it_back(world):
    a = world.a
    keep = ledger.person_create(
        actor=SYSTEM, community=a.community, name="赵六", sex="M", birth_date=date(1966, 6, 6)
    )
    drop = ledger.person_create(
        actor=SYSTEM,
        community=a.community,
        name="赵陆",
        id_number=idnumbers.make("110105", date(1966, 6, 6), 77, female=False),
    )
    before = _snapshot(keep, drop)
    merge = services.person_merge(actor=a.worker, keep=keep, drop=drop)
    keep.refresh_from_db()
    assert keep.id_number_masked and Person.objects.get(pk=drop.pk).id_number_hash == ""
    services.merge_undo(actor=a.worker, merge=merge)
    assert _snapshot(keep, drop) == before


def test_person_pair_match_merges_and_undo_reopens_the_item(world):
    a = world.a
    twin = duplicate_of(a.spouse, name="李那")
    item = queue_people(a.spouse, twin)
    item = services.review_decide(actor=a.worker, item=item, decision="match")
    assert item.merge.keep_id == a.spouse.pk and item.merge.drop_id == twin.pk  # the older record is kept
    assert ReviewDecision.objects.filter(pair_key=item.pair_key, is_match=True).exists()
    services.merge_undo(actor=a.worker, merge=item.merge)
    item.refresh_from_db()
    assert item.status == "open" and not ReviewDecision.objects.exists()
    assert Person.objects.get(pk=twin.pk).merged_into_id is None


def test_split_moves_chosen_records_and_undo_restores(world):
    a = world.a
    person = Person.objects.get(pk=a.head.pk)
    ledger.tag_add(actor=SYSTEM, person=person, kind=GroupTag.Kind.CHRONIC)
    tag = GroupTag.objects.get(person=person, kind="chronic")
    residency = Residency.objects.get(person=person)
    before = _snapshot(person)
    merge = services.person_split(
        actor=a.worker,
        person=person,
        moves={"tags": [tag.pk], "residencies": [residency.pk]},
        name="张伟(父)",
        sex="M",
        birth_date=date(1945, 3, 3),
    )
    new = Person.objects.get(pk=merge.drop_id)
    assert GroupTag.objects.get(pk=tag.pk).person_id == new.pk
    assert Residency.objects.get(pk=residency.pk).person_id == new.pk
    assert Person.objects.get(pk=person.pk).home_id is None and new.home_id == residency.dwelling_id
    services.merge_undo(actor=a.worker, merge=merge)
    assert _snapshot(person) == before
    assert not Person.objects.filter(pk=new.pk).exists()
    assert AuditEvent.objects.filter(action="split_undo").exists()


def test_split_refuses_records_of_someone_else_and_empty_choice(world):
    a = world.a
    other_tag = GroupTag.objects.get(person=a.elder)
    with pytest.raises(services.DomainError) as err:
        services.person_split(actor=a.worker, person=a.head, moves={"tags": [other_tag.pk]}, name="某")
    assert "moves" in err.value.message_dict
    with pytest.raises(services.DomainError):
        services.person_split(actor=a.worker, person=a.head, moves={}, name="某")
    assert Person.objects.filter(name="某").count() == 0


def test_other_community_is_refused_and_nothing_changes(world):
    a, b = world.a, world.b
    before = _snapshot(a.head, b.head, b.spouse)
    with pytest.raises(PermissionDenied):
        services.person_merge(actor=a.worker, keep=b.head, drop=b.spouse)
    with pytest.raises(PermissionDenied):
        services.person_merge(actor=a.worker, keep=a.head, drop=b.head)
    with pytest.raises(PermissionDenied):
        services.person_split(actor=a.worker, person=b.head, moves={"tags": []}, name="某")
    with pytest.raises(PermissionDenied):
        services.dedupe_scan_start(actor=a.worker, community=b.community)
    assert _snapshot(a.head, b.head, b.spouse) == before
    assert not Merge.objects.exists() and not LinkRun.objects.exists()
    twin = duplicate_of(b.spouse, name="王方")
    item = queue_people(b.spouse, twin)
    with pytest.raises(PermissionDenied):
        services.review_decide(actor=a.worker, item=item, decision="match")
    item.refresh_from_db()
    assert item.status == "open" and not ReviewDecision.objects.exists()
    merge = services.person_merge(actor=b.worker, keep=b.spouse, drop=twin)
    with pytest.raises(PermissionDenied):
        services.merge_undo(actor=a.worker, merge=merge)
    merge.refresh_from_db()
    assert not merge.is_undone and Person.objects.get(pk=twin.pk).merged_into_id == b.spouse.pk


def test_dedupe_scan_queues_probable_duplicates_once_and_respects_decisions(world):
    a = world.a
    twin = duplicate_of(a.head, name="章伟", phone="13800131001")
    run = services.dedupe_scan_start(actor=a.worker, community=a.community)
    run.refresh_from_db()
    assert run.status == "done" and run.records == 4
    item = ReviewItem.objects.get(kind="person_person", community=a.community)
    assert {item.left_person_id, item.person_id} == {a.head.pk, twin.pk}
    assert item.probability >= services.REVIEW_THRESHOLD
    # scanning again does not queue the same pair twice
    services.ledger_dedupe_scan(actor=a.worker, community=a.community)
    assert ReviewItem.objects.filter(kind="person_person").count() == 1
    # decided "not a match": never asked again
    services.review_decide(actor=a.worker, item=item, decision="not_match")
    again = services.ledger_dedupe_scan(actor=a.worker, community=a.community)
    assert again.reused == 1 and ReviewItem.objects.filter(kind="person_person").count() == 1


def test_too_few_records_for_the_model_falls_back_to_exact_keys(world, monkeypatch):
    """The model cannot be estimated from a handful of records: exact ID → linked, same name and birth date →
    review, anything else → new; the run says why."""
    from shequ.linkage.engine import model as engine

    def cannot_estimate(*args, **kwargs):
        raise ValueError("math domain error")

    monkeypatch.setattr(engine, "link_frames", cannot_estimate)
    batch = _batch(world)
    assert _row(batch, "张伟").person_id == world.a.head.pk
    assert _row(batch, "王大力").link_status == "new"
    assert _row(batch, "李娜").link_status == "review"  # same name and birth date, no ID on the row
    assert _row(batch, "曾秀瑛").link_status == "new"
    run = LinkRun.objects.get(batch=batch)
    assert run.status == "done" and "记录太少" in run.error
    twin = duplicate_of(world.a.elder, name="曾秀英")
    scan = services.ledger_dedupe_scan(actor=world.a.worker, community=world.a.community)
    assert "记录太少" in scan.error
    item = ReviewItem.objects.get(kind="person_person")
    assert {item.left_person_id, item.person_id} == {world.a.elder.pk, twin.pk}


def test_link_task_links_pending_rows_with_progress_on_the_batch(world):
    from shequ.linkage.tasks import run_link_batch

    a = world.a
    row = import_row(actor=a.worker, community=a.community, name="王小二", birth=date(1999, 9, 9))
    ImportRow.objects.filter(pk=row.pk).update(link_status="pending")
    result = run_link_batch.enqueue(row.batch_id, a.worker.pk)
    assert result.return_value == {"linked": 0, "new": 1, "review": 0}
    row.refresh_from_db()
    assert row.link_status == "new" and row.person.name == "王小二"
    row.batch.refresh_from_db()
    assert row.batch.progress >= 60


def test_a_merge_recorded_before_the_registry_still_undoes_exactly(world, duplicate):
    """Merges made before the person-relations registry kept ended duplicates under moved["ended"]; undo reads
    that layout too."""
    a = world.a
    keep, drop = Person.objects.get(pk=a.head.pk), Person.objects.get(pk=duplicate.pk)
    before = _snapshot(keep, drop)
    merge = services.person_merge(actor=a.worker, keep=keep, drop=drop)
    moved = dict(merge.moved)
    notes = moved.pop("notes")
    assert notes["tags"]["ended"] and notes["memberships"]["ended"]
    moved["ended"] = {key: note["ended"] for key, note in notes.items() if "ended" in note}
    Merge.objects.filter(pk=merge.pk).update(moved=moved)
    merge.refresh_from_db()

    services.merge_undo(actor=a.worker, merge=merge)
    assert _snapshot(keep, drop) == before
