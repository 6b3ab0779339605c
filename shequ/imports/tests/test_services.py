"""The import pipeline on real files: xlsx with a title row and totals, GBK CSV; rejected rows kept with reasons;
the same file twice; remembered mappings; progress; unknown addresses; linking and provenance."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from shequ.core import pii
from shequ.core.errors import DomainError
from shequ.core.models import AuditEvent
from shequ.imports import selectors, services
from shequ.imports.models import ColumnMapping, FieldObservation, ImportBatch, ImportRow
from shequ.imports.parsing import write_error_report
from shequ.imports.testing import HEADERS, csv_bytes, person_id, run_batch, sample_rows, upload, xlsx_bytes
from shequ.ledger.models import HouseholdMember, Person, Residency
from shequ.places.models import Dwelling, Place

pytestmark = pytest.mark.django_db


def test_xlsx_with_title_and_totals_imports_and_keeps_rejected_rows(world, survey_a):
    rows = sample_rows(world.a.compound.name, count=3)
    batch = run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="走访.xlsx",
        content=xlsx_bytes(rows),
    )
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.total, batch.accepted, batch.rejected) == (5, 3, 2)
    assert batch.new == 3 and batch.progress == 100
    assert any("标题" in n for n in batch.notes) and any("合计" in n for n in batch.notes)
    rejected = {r.row_number: r for r in ImportRow.objects.filter(batch=batch, status="rejected")}
    assert len(rejected) == 2
    reasons = " ".join(m for r in rejected.values() for _, m in r.reasons)
    assert "校验位" in reasons and "没有9栋" in reasons
    # people, residencies and a household came from the accepted rows
    first = Person.objects.get(name="居民甲")
    assert first.home == world.a.dwellings[0]
    assert Residency.objects.filter(person=first, role="occupant", dwelling=world.a.dwellings[0]).exists()
    assert HouseholdMember.objects.filter(person=first, household__dwelling=world.a.dwellings[0]).exists()
    world.a.household.refresh_from_db()
    assert world.a.household.last_confirmed_source == survey_a.name


def test_no_plain_id_or_phone_in_row_json(world, survey_a):
    rows = sample_rows(world.a.compound.name, count=2)
    batch = run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="a.xlsx",
        content=xlsx_bytes(rows),
    )
    plain = [r[3] for r in rows] + [r[4] for r in rows]
    for row in ImportRow.objects.filter(batch=batch):
        text = str(row.raw) + str(row.clean) + str(row.reasons)
        assert not [p for p in plain if p and p in text]
    # but the sealed original has them, for the error report
    row = ImportRow.objects.get(batch=batch, row_number=3)
    assert row.sealed.startswith(pii.SEAL_PREFIX)
    assert rows[0][3] in pii.unseal(row.sealed)["raw"]


def test_gbk_csv_imports(world, survey_a):
    rows = sample_rows(world.a.compound.name, count=2, bad=False)
    batch = run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="名单.csv",
        content=csv_bytes(rows, encoding="gbk"),
    )
    assert (batch.accepted, batch.rejected) == (2, 0)
    assert Person.objects.filter(name="居民乙").exists()


def test_same_file_twice_is_refused_with_the_earlier_batch(world, survey_a):
    content = xlsx_bytes(sample_rows(world.a.compound.name, count=2))
    first = run_batch(
        actor=world.a.worker, source=survey_a, place=world.a.community, name="a.xlsx", content=content
    )
    people, batches = Person.objects.count(), ImportBatch.objects.count()
    with pytest.raises(DomainError) as caught:
        services.batch_upload(
            actor=world.a.worker,
            source=survey_a,
            place=world.a.community,
            uploaded=upload("again.xlsx", content),
        )
    assert caught.value.code == "duplicate_file" and caught.value.extra["batch"] == first
    assert (Person.objects.count(), ImportBatch.objects.count()) == (people, batches)


def test_same_rows_in_another_file_are_duplicates_not_new_people(world, survey_a):
    rows = sample_rows(world.a.compound.name, count=2, bad=False)
    run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="a.xlsx",
        content=xlsx_bytes(rows),
    )
    people = Person.objects.count()
    second = run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="b.csv",
        content=csv_bytes(rows, encoding="utf-8-sig"),
    )
    assert (second.accepted, second.duplicates, second.new) == (0, 2, 0)
    assert Person.objects.count() == people


def test_mapping_is_remembered_per_source(world, survey_a):
    headers = ["编号", "名字", "身份证", "手机", "住处"]
    rows = [["1", "赵六", person_id(901), "13711112222", f"{world.a.compound.name}3栋2单元601"]]
    batch = services.batch_upload(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        uploaded=upload("x.xlsx", xlsx_bytes(rows, headers=headers)),
    )
    assert batch.mapping["住处"] is None  # not a known header
    mapping = dict(batch.mapping, 住处="address")
    services.batch_set_mapping(actor=world.a.worker, batch=batch, mapping=mapping)
    assert ColumnMapping.objects.filter(source=survey_a, field="address").exists()
    rows[0][1] = "钱七"
    again = services.batch_upload(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        uploaded=upload("y.xlsx", xlsx_bytes(rows, headers=headers)),
    )
    assert again.mapping["住处"] == "address"


def test_mapping_refuses_a_field_twice_and_no_name(world, survey_a):
    batch = services.batch_upload(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        uploaded=upload("x.xlsx", xlsx_bytes(sample_rows(world.a.compound.name))),
    )
    with pytest.raises(DomainError, match="同一个字段"):
        services.batch_set_mapping(
            actor=world.a.worker, batch=batch, mapping={"姓名": "name", "序号": "name"}
        )
    with pytest.raises(DomainError, match="姓名"):
        services.batch_set_mapping(actor=world.a.worker, batch=batch, mapping={"序号": "notes"})
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.UPLOADED


def test_unknown_address_is_rejected_and_no_place_is_created(world, survey_a):
    places, dwellings = Place.objects.count(), Dwelling.objects.count()
    rows = [
        ["1", "孙八", "男", person_id(905), "", f"{world.a.compound.name}3栋2单元401", "", ""],
        ["2", "周九", "男", person_id(907), "", "不存在花园1栋1单元101", "", ""],
    ]
    batch = run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="x.xlsx",
        content=xlsx_bytes(rows),
    )
    assert batch.rejected == 2 and batch.accepted == 0
    reasons = [m for r in ImportRow.objects.filter(batch=batch) for _, m in r.reasons]
    assert any("不是已登记的房屋" in m for m in reasons) and any("小区" in m for m in reasons)
    assert (Place.objects.count(), Dwelling.objects.count()) == (places, dwellings)


def test_other_communitys_address_is_unknown_here(world, survey_a):
    rows = [["1", "吴十", "男", person_id(909), "", f"{world.b.compound.name}3栋2单元501", "", ""]]
    batch = run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="x.xlsx",
        content=xlsx_bytes(rows),
    )
    assert batch.rejected == 1
    assert not Person.objects.filter(name="吴十").exists()


def test_error_report_has_original_columns_and_reasons(world, survey_a):
    rows = sample_rows(world.a.compound.name, count=1)
    batch = run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="x.xlsx",
        content=xlsx_bytes(rows),
    )
    out = io.BytesIO()
    write_error_report(batch.headers, selectors.rejected_for_report(batch), out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    lines = list(sheet.iter_rows(values_only=True))
    assert list(lines[0][: len(HEADERS)]) == HEADERS and lines[0][-1] == "错误原因"
    assert len(lines) == 3
    assert lines[1][3] == rows[1][3]  # the original (wrong) ID number as typed, for correction
    assert "校验位" in lines[1][-1]


def test_progress_is_reported_while_running(world, survey_a, monkeypatch):
    seen = []
    from shequ.imports.services import run

    original = run._progress

    def spy(batch, value, phase, **counts):
        seen.append(value)
        original(batch, value, phase, **counts)

    monkeypatch.setattr(run, "_progress", spy)
    monkeypatch.setattr(run, "CHUNK", 2)
    rows = sample_rows(world.a.compound.name, count=3, bad=False) * 1
    batch = run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="x.xlsx",
        content=xlsx_bytes(rows),
    )
    assert batch.progress == 100
    assert seen and seen == sorted(seen) and 0 < seen[0] < 100


def test_existing_person_is_linked_by_id_and_provenance_kept(world, police):
    head = world.a.head
    plain = pii.decrypt(head.id_number_encrypted)
    rows = [["1", "张伟", "男", plain, "13900000001", f"{world.a.compound.name}3栋2单元501", "户主", "户籍"]]
    batch = run_batch(
        actor=world.a.worker,
        source=police,
        place=world.a.community,
        name="p.xlsx",
        content=xlsx_bytes(rows),
        observed_on=date(2026, 1, 5),
    )
    assert (batch.linked, batch.new) == (1, 0)
    row = ImportRow.objects.get(batch=batch, status="accepted")
    assert row.person == head and row.link_status == "linked"
    fields = set(FieldObservation.objects.filter(person=head).values_list("field", flat=True))
    assert {"name", "id_number", "phone", "address"} <= fields
    phone = FieldObservation.objects.get(person=head, field="phone")
    assert phone.value == "" and pii.decrypt(phone.value_encrypted) == "13900000001"
    # police outranks the ledger's blank: the current phone follows the most trusted source
    head.refresh_from_db()
    assert head.phone_masked == "139****0001"


def test_row_without_id_goes_to_review(world, survey_a):
    rows = [["1", "无证人", "女", "", "", f"{world.a.compound.name}3栋2单元601", "", ""]]
    batch = run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="x.xlsx",
        content=xlsx_bytes(rows),
    )
    assert batch.review == 1
    assert not Person.objects.filter(name="无证人").exists()


def test_conflict_listed_and_settled(world, police, survey_a):
    elder = world.a.elder
    plain = pii.decrypt(elder.id_number_encrypted)
    address = f"{world.a.compound.name}3栋2单元502"
    run_batch(
        actor=world.a.worker,
        source=police,
        place=world.a.community,
        name="p.xlsx",
        content=xlsx_bytes([["1", "曾秀英", "女", plain, "13911110000", address, "", "户籍"]]),
    )
    run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="s.xlsx",
        content=xlsx_bytes([["1", "曾秀英", "女", plain, "13922220000", address, "", "居住"]]),
    )
    conflicts = selectors.conflicts_for(world.a.worker)
    assert [(c.person, c.field) for c in conflicts] == [(elder, "phone")]
    assert selectors.conflicts_for(world.b.worker) == []
    elder.refresh_from_db()
    assert elder.phone_masked == "139****0000"  # police (more trusted) wins until someone settles
    survey_obs = next(o for o in conflicts[0].observations if o.source == survey_a)
    with pytest.raises(PermissionDenied):
        services.conflict_settle(actor=world.b.worker, person=elder, field="phone", observation=survey_obs)
    services.conflict_settle(
        actor=world.a.worker, person=elder, field="phone", observation=survey_obs, note="电话核实"
    )
    elder.refresh_from_db()
    assert pii.decrypt(elder.phone_encrypted) == "13922220000"
    assert selectors.conflicts_for(world.a.worker) == []
    assert AuditEvent.objects.filter(action="conflict_settle", field="phone").exists()
    stories = {s.field: s for s in selectors.person_provenance(elder)}
    assert stories["phone"].decision is not None and len(stories["phone"].observations) == 2


def test_owner_vs_occupant_report(world, property_list, survey_a):
    a = world.a
    owner_id = person_id(951)
    run_batch(
        actor=a.worker,
        source=property_list,
        place=a.community,
        name="业主.xlsx",
        content=xlsx_bytes(
            [["1", "房东甲", "男", owner_id, "", f"{a.compound.name}3栋2单元601", "", "业主"]]
        ),
    )
    run_batch(
        actor=a.worker,
        source=survey_a,
        place=a.community,
        name="走访.xlsx",
        content=xlsx_bytes(
            [["1", "租客乙", "男", person_id(953), "", f"{a.compound.name}3栋2单元601", "", "租户"]]
        ),
    )
    lines = {line.dwelling: line for line in selectors.owner_occupant_report(a.worker)}
    line = lines[a.dwellings[2]]
    assert line.kind == "owner_away"
    assert [r.person.name for r in line.owners] == ["房东甲"] and [r.person.name for r in line.occupants] == [
        "租客乙"
    ]
    # the elder's dwelling (502): lived in, no owner on any list
    assert lines[a.dwellings[1]].kind == "no_owner"
    # the head's dwelling (501): owners live there — not listed
    assert a.dwellings[0] not in lines
    assert selectors.owner_occupant_report(world.b.worker) and all(
        line.dwelling.community == world.b.community
        for line in selectors.owner_occupant_report(world.b.worker)
    )


def test_staleness(world, survey_a):
    from shequ.ledger import services as ledger

    ledger.household_confirm(
        actor=world.a.worker, household=world.a.household, source="入户走访", on=date(2020, 1, 1)
    )
    stale = list(selectors.stale_households(world.a.worker, before=date(2024, 1, 1)))
    assert world.a.household in stale and all(h.dwelling.community == world.a.community for h in stale)
    ledger.household_confirm(actor=world.a.worker, household=world.a.household, source="入户走访")
    assert world.a.household not in selectors.stale_households(world.a.worker, before=date(2024, 1, 1))


def test_extract_masked_and_logged(world):
    liaison = world.a.liaison
    extract = services.extract_create(
        actor=liaison, place=world.a.community, columns=["name", "id_number", "phone"], purpose="卫健核对"
    )
    assert extract.is_masked
    rows = list(selectors.extract_rows(actor=liaison, extract=extract))
    assert rows[0] == ["姓名", "证件号码", "联系电话"]
    names = {r[0] for r in rows[1:]}
    assert "张伟" in names and "章伟" not in names
    plain = pii.decrypt(world.a.head.id_number_encrypted)
    assert all(plain not in r[1] for r in rows[1:]) and any("*" in r[1] for r in rows[1:])
    assert AuditEvent.objects.filter(action="extract_create", kind="export").count() == 1
    with pytest.raises(PermissionDenied):
        services.extract_create(actor=liaison, place=world.b.community, columns=["name"], purpose="越权")
    with pytest.raises(DomainError):
        services.extract_create(actor=liaison, place=world.a.community, columns=[], purpose="卫健核对")


def test_upload_outside_jurisdiction_is_refused(world, survey_a):
    with pytest.raises(PermissionDenied):
        services.batch_upload(
            actor=world.b.worker,
            source=survey_a,
            place=world.a.community,
            uploaded=upload("x.xlsx", xlsx_bytes(sample_rows(world.a.compound.name))),
        )
    assert ImportBatch.objects.count() == 0


def test_bad_file_is_a_clear_message(world, survey_a):
    with pytest.raises(DomainError) as caught:
        services.batch_upload(
            actor=world.a.worker,
            source=survey_a,
            place=world.a.community,
            uploaded=upload("x.xlsx", b"not an excel file at all"),
        )
    assert caught.value.field == "file"
    with pytest.raises(DomainError, match=".xlsx"):
        services.batch_upload(
            actor=world.a.worker, source=survey_a, place=world.a.community, uploaded=upload("x.pdf", b"%PDF")
        )
    assert ImportBatch.objects.count() == 0


def test_person_of_another_community_is_linked_without_changing_their_record(world, survey_a):
    b_head = world.b.head
    plain = pii.decrypt(b_head.id_number_encrypted)
    rows = [["1", "章伟", "男", plain, "13912345678", f"{world.a.compound.name}3栋2单元601", "", "租户"]]
    batch = run_batch(
        actor=world.a.worker,
        source=survey_a,
        place=world.a.community,
        name="x.xlsx",
        content=xlsx_bytes(rows),
    )
    assert batch.status == "done" and batch.linked == 1
    b_head.refresh_from_db()
    assert b_head.phone_masked != "139****5678"  # A's worker may not change B's record
    assert Residency.objects.filter(person=b_head, dwelling=world.a.dwellings[2], role="tenant").exists()
