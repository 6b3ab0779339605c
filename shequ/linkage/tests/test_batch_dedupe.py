"""One file that lists the same person twice makes one person: rows of a batch that matched no ledger person are
deduplicated among themselves (the model on a batch large enough to estimate it, exact keys on a small one), twins
stay two people, the review band goes to the review queue, and a "not a match" is honoured."""

from __future__ import annotations

from datetime import date

import pytest

from shequ.core import idnumbers
from shequ.core.models import AuditEvent
from shequ.imports import services as imports
from shequ.imports.models import DataSource, ImportRow
from shequ.imports.testing import run_batch, xlsx_bytes
from shequ.ledger.models import Person
from shequ.linkage import batch_dedupe, services
from shequ.linkage.models import LinkRun, ReviewDecision, ReviewItem

pytestmark = pytest.mark.django_db

HEADERS = ["序号", "姓名", "性别", "出生日期", "公民身份号码", "联系电话", "现住址"]
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施孔曹严华金魏陶姜"
GIVEN = "安邦宁泰和顺康乐福寿喜庆春夏秋冬山川林森"


def _background(n: int) -> list[list[str]]:
    """`n` distinct people with an ID number and no address (nobody the test world already holds)."""
    rows = []
    for i in range(n):
        born = date(1950 + i, 1 + i % 12, 1 + i % 27)
        female = i % 2 == 1
        rows.append(
            [
                "",
                SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)] + GIVEN[(i * 7 + 3) % len(GIVEN)],
                "女" if female else "男",
                born.isoformat(),
                idnumbers.make("110105", born, 200 + i * 2 + (1 if female else 0), female=female),
                f"1590000{i:04d}",
                "",
            ]
        )
    return rows


def _link(world, rows, *, name="走访.xlsx", source_name="入户走访"):
    a = world.a
    source = DataSource.objects.filter(owner=a.community, name=source_name).first() or imports.source_create(
        actor=a.worker, owner=a.community, name=source_name, kind=DataSource.Kind.SURVEY
    )
    for i, row in enumerate(rows):
        row[0] = str(i + 1)
    return run_batch(
        actor=a.worker,
        source=source,
        place=a.community,
        name=name,
        content=xlsx_bytes(rows, headers=HEADERS),
    )


def _rows_named(batch, *names):
    return list(ImportRow.objects.filter(batch=batch, clean__name__in=names).order_by("pk"))


def test_same_person_twice_without_id_becomes_one_person_with_both_rows(world):
    """Homophone name (张卫东/章卫东) and a phone one digit off, same birth date and home, no ID number; and the
    same record written twice (once without the phone): one person each, every row attached. Twins (same
    surname, birthday, home and phone, two valid ID numbers) stay two people."""
    born = date(1995, 3, 3)
    planted = [
        ["", "张卫东", "男", "1960-02-03", "", "13800139001", "阳光花园3栋2单元601"],
        ["", "赵敏", "女", "1980-04-05", "", "13700001111", "阳光花园3栋2单元502"],
        ["", "刘洋", "男", born.isoformat(), idnumbers.make("110105", born, 11, female=False), "13911112222",
         "阳光花园3栋2单元501"],
        ["", "章卫东", "男", "1960-02-03", "", "13800139007", "阳光花园3栋2单元601"],
        ["", "刘海", "男", born.isoformat(), idnumbers.make("110105", born, 13, female=False), "13911112222",
         "阳光花园3栋2单元501"],
        ["", "赵敏", "女", "1980-04-05", "", "", "阳光花园3栋2单元502"],
    ]  # fmt: skip
    background = _background(batch_dedupe.MIN_ROWS_FOR_MODEL)
    batch = _link(world, background + planted)
    assert batch.status == "done" and batch.accepted == len(background) + len(planted)

    first, second = _rows_named(batch, "张卫东", "章卫东")
    assert first.link_status == "new" and first.person_id
    assert second.link_status == "linked" and second.person_id == first.person_id
    assert second.link_method == "model" and second.match_probability >= services.AUTO_LINK_THRESHOLD
    person = Person.objects.get(pk=first.person_id)
    assert person.name in {"张卫东", "章卫东"}  # the ledger's current value: the latest source's word
    # both sources' values are kept as provenance on the one person
    names = set(person.observations.filter(field="name").values_list("value", flat=True))
    assert names == {"张卫东", "章卫东"}

    dup = _rows_named(batch, "赵敏")
    assert len(dup) == 2 and dup[0].person_id == dup[1].person_id
    assert Person.objects.filter(name="赵敏").count() == 1

    twins = _rows_named(batch, "刘洋", "刘海")
    assert twins[0].person_id != twins[1].person_id
    assert {t.link_status for t in twins} == {"new"}

    assert Person.objects.filter(name__in=["张卫东", "章卫东"]).count() == 1
    run = LinkRun.objects.get(batch=batch)
    assert run.status == "done" and run.progress == 100
    assert run.linked + run.created + run.review == len(background) + len(planted)
    assert run.linked >= 2  # 章卫东 and the second 赵敏 attach to the people their first rows made
    batch.refresh_from_db()
    assert (batch.linked, batch.new, batch.review) == (run.linked, run.created, run.review)
    assert AuditEvent.objects.filter(action="import_row_attach", object_id=str(second.pk)).exists()


def test_exact_duplicate_in_a_small_batch_is_one_person(world):
    rows = [
        ["", "钱多多", "女", "1988-08-08", "", "13500001234", "阳光花园3栋2单元502"],
        ["", "孙大圣", "男", "1970-01-01", "", "", ""],
        ["", "钱多多", "女", "1988-08-08", "", "", "阳光花园3栋2单元502"],
    ]
    batch = _link(world, rows)
    first, second = _rows_named(batch, "钱多多")
    assert first.link_status == "new" and second.link_status == "linked"
    assert second.person_id == first.person_id
    assert Person.objects.filter(name="钱多多").count() == 1
    run = LinkRun.objects.get(batch=batch)
    assert (run.linked, run.created, run.review) == (1, 2, 0)


def test_twins_in_a_small_batch_stay_two_people(world):
    born = date(2001, 6, 1)
    rows = [
        ["", "周文", "男", born.isoformat(), idnumbers.make("110105", born, 21, female=False), "13600006666",
         "阳光花园3栋2单元601"],
        ["", "周文", "男", born.isoformat(), idnumbers.make("110105", born, 23, female=False), "13600006666",
         "阳光花园3栋2单元601"],
    ]  # fmt: skip
    batch = _link(world, rows)
    a, b = _rows_named(batch, "周文")
    assert a.person_id and b.person_id and a.person_id != b.person_id
    assert not ReviewItem.objects.filter(row__in=[a, b]).exists()


def _review_band_rows():
    # Same name and birth date, another phone and home, no ID number: maybe one person, a person decides.
    return [
        ["", "吴芳", "女", "1975-09-09", "", "13300001111", "阳光花园3栋2单元601"],
        ["", "郑强", "男", "1966-06-06", "", "", ""],
        ["", "吴芳", "女", "1975-09-09", "", "13300002222", ""],
    ]


def test_review_band_pair_queues_one_item_and_does_not_merge(world):
    batch = _link(world, _review_band_rows())
    first, second = _rows_named(batch, "吴芳")
    assert first.link_status == "new" and second.link_status == "review" and second.person_id is None
    item = ReviewItem.objects.get(row=second)
    assert item.kind == "row_person" and item.person_id == first.person_id
    assert services.REVIEW_THRESHOLD <= item.probability < services.AUTO_LINK_THRESHOLD
    assert {c["label"] for c in item.contributions} >= {"姓名", "出生日期"}
    assert item.pair_key == services.pair_key(services.row_key(second), services.person_key(first.person))
    assert Person.objects.filter(name="吴芳").count() == 1
    run = LinkRun.objects.get(batch=batch)
    assert (run.linked, run.created, run.review) == (0, 2, 1)

    # a reviewer says "match": the row joins the person its twin row made
    services.review_decide(actor=world.a.worker, item=item, decision="match")
    second.refresh_from_db()
    assert second.person_id == first.person_id and second.link_status == "linked"


def test_not_a_match_is_honoured_when_linking_again(world):
    a = world.a
    batch = _link(world, _review_band_rows())
    first, second = _rows_named(batch, "吴芳")
    item = ReviewItem.objects.get(row=second)
    services.review_decide(actor=a.worker, item=item, decision="not_match")
    second.refresh_from_db()
    assert second.link_status == "new" and second.person_id != first.person_id
    assert ReviewDecision.objects.filter(community=a.community, is_match=False).count() == 1

    # The same file from another source: the refused pair is never merged, nor asked again.
    again = _link(world, _review_band_rows(), name="走访二.xlsx", source_name="入户走访二")
    rows = _rows_named(again, "吴芳")
    assert not Person.objects.filter(pk__in=[first.person_id, second.person_id], merged_into__isnull=False)
    assert rows[0].person_id != rows[1].person_id or rows[0].person_id is None
    assert not ReviewItem.objects.filter(pair_key=item.pair_key).exclude(pk=item.pk).exists()
    # Within one batch the kept decision keeps the two rows apart, whatever the score.
    within = batch_dedupe.dedupe_rows(
        rows,
        communities=[a.community.pk],
        auto=services.AUTO_LINK_THRESHOLD,
        review=services.REVIEW_THRESHOLD,
    )
    assert within.reused >= 1 and within.pairs.empty
    plan = batch_dedupe.plan(
        rows, within.pairs, auto=services.AUTO_LINK_THRESHOLD, forbidden=within.forbidden
    )
    assert plan.cluster[f"r{rows[0].pk}"] != plan.cluster[f"r{rows[1].pk}"]


def test_plan_never_chains_twins_into_one_person():
    """A–B and B–C above the threshold, but A and C were decided "not a match": B joins one of them only."""

    class Row:
        def __init__(self, pk):
            self.pk, self.clean = pk, {}

    rows = [Row(1), Row(2), Row(3)]
    import pandas as pd

    pairs = pd.DataFrame(
        [
            {"record_id_1": "r1", "record_id_2": "r2", "match_probability": 0.99, "decided": ""},
            {"record_id_1": "r2", "record_id_2": "r3", "match_probability": 0.98, "decided": ""},
        ]
    )
    plan = batch_dedupe.plan(rows, pairs, auto=0.95, forbidden={("r1", "r3")})
    assert plan.cluster["r1"] == plan.cluster["r2"] == "r1"
    assert plan.cluster["r3"] == "r3"


def _person_pair_rows():
    # 吴芳 (row 1) makes a person first; rows 3 and 4 are one 吴芳 written twice (same phone), a cluster whose
    # first row makes a second person, and row 3 is in the review band with row 1 (same name and birth date,
    # another phone and home, no ID number).
    return [
        ["", "吴芳", "女", "1975-09-09", "", "13300001111", "阳光花园3栋2单元601"],
        ["", "郑强", "男", "1966-06-06", "", "", ""],
        ["", "吴芳", "女", "1975-09-09", "", "13300002222", ""],
        ["", "吴芳", "女", "1975-09-09", "", "13300002222", "阳光花园3栋2单元502"],
    ]


@pytest.mark.parametrize("decision", ["match", "not_match"])
def test_first_row_of_a_cluster_in_the_review_band_queues_two_people(world, decision):
    """Reached through link_import_batch on a small batch (4 rows < MIN_ROWS_FOR_MODEL: the exact-key stand-in
    scores the pairs): the first row of a two-row cluster makes its person, so its review-band likeness to the
    person an earlier row made is queued as two people (PERSON_PERSON), not as a row; the reviewer's "match"
    merges them, "not a match" keeps them apart."""
    a = world.a
    batch = _link(world, _person_pair_rows())
    first, head, tail = _rows_named(batch, "吴芳")
    assert first.link_status == "new" and head.link_status == "new" and tail.link_status == "linked"
    assert first.person_id and head.person_id and first.person_id != head.person_id
    assert tail.person_id == head.person_id
    run = LinkRun.objects.get(batch=batch)
    # counts are per row: the pair of people is a question about two people, no row waits for it
    assert (run.linked, run.created, run.review) == (1, 3, 0)
    batch.refresh_from_db()
    assert (batch.linked, batch.new, batch.review) == (run.linked, run.created, run.review)
    assert not ReviewItem.objects.filter(row__in=[first, head, tail]).exists()

    item = ReviewItem.objects.get(run=run)  # exactly one item
    older, newer = sorted(Person.objects.filter(pk__in=[first.person_id, head.person_id]), key=lambda p: p.pk)
    assert item.kind == "person_person" and item.row_id is None and item.status == "open"
    assert (item.left_person_id, item.person_id) == (older.pk, newer.pk)
    assert item.number.startswith("HD")
    assert item.community_id == a.community.pk == newer.community_id
    assert services.REVIEW_THRESHOLD <= item.probability < services.AUTO_LINK_THRESHOLD
    assert {c["label"] for c in item.contributions} >= {"姓名", "出生日期"}
    assert item.pair_key == services.pair_key(services.person_key(older), services.person_key(newer))
    # the ledger's duplicate scan knows the pair is already waiting: it is not asked twice
    services.ledger_dedupe_scan(actor=a.worker, community=a.community)
    assert ReviewItem.objects.filter(pair_key=item.pair_key).count() == 1

    decided = services.review_decide(actor=a.worker, item=item, decision=decision)
    item.refresh_from_db()
    older.refresh_from_db()
    newer.refresh_from_db()
    for row in (first, head, tail):
        row.refresh_from_db()
    if decision == "match":
        assert item.status == "match" and decided.merge is not None
        assert decided.merge.keep_id == older.pk and decided.merge.drop_id == newer.pk
        assert newer.merged_into_id == older.pk and older.merged_into_id is None
        # the import rows move with the person: all three 吴芳 rows are now the one person
        assert {first.person_id, head.person_id, tail.person_id} == {older.pk}
        assert Person.objects.filter(name="吴芳", merged_into__isnull=True).count() == 1
    else:
        assert item.status == "not_match" and decided.merge is None
        assert older.merged_into_id is None and newer.merged_into_id is None
        assert first.person_id == older.pk and {head.person_id, tail.person_id} == {newer.pk}
        assert Person.objects.filter(name="吴芳", merged_into__isnull=True).count() == 2
    assert ReviewDecision.objects.filter(
        community=a.community, pair_key=item.pair_key, is_match=(decision == "match")
    ).exists()
    assert AuditEvent.objects.filter(action="review_decide", object_id=str(item.pk)).exists()
