"""Test support for linkage: review items without running the model (the model's own tests and a few service
tests run it for real), and the `populate` hook the jurisdiction walk calls."""

from __future__ import annotations

import json
import secrets
from datetime import date

from django.core.files.base import ContentFile

from shequ.core import idnumbers, phones, pii
from shequ.core.jurisdiction import SYSTEM
from shequ.core.numbers import public_number
from shequ.ledger import services as ledger
from shequ.linkage import frames, services
from shequ.linkage.models import LinkRun, ReviewItem

CONTRIBUTIONS = [
    {"label": "姓名", "level": "同音(拼音相同)", "weight": 3.2},
    {"label": "出生日期", "level": "相同", "weight": 2.0},
    {"label": "住址与电话", "level": "同一房号", "weight": 1.1},
    {"label": "身份证号", "level": "缺失", "weight": 0.0},
    {"label": "性别", "level": "不同", "weight": -1.5},
]


def _run(place, kind=LinkRun.Kind.DEDUPE, batch=None) -> LinkRun:
    return LinkRun.objects.create(
        number=public_number("CC" if kind == LinkRun.Kind.DEDUPE else "BD", entropy_bytes=5),
        kind=kind,
        place=place,
        batch=batch,
        status=LinkRun.Status.DONE,
        progress=100,
        phase="已完成",
    )


def queue_people(left, right, *, probability: float = 0.7, run: LinkRun | None = None) -> ReviewItem:
    """A person↔person review item, as the duplicate scan would queue it."""
    return ReviewItem.objects.create(
        number=public_number("HD", entropy_bytes=5),
        kind=ReviewItem.Kind.PERSON_PERSON,
        community=right.community,
        run=run or _run(right.community),
        left_person=left,
        person=right,
        probability=probability,
        contributions=CONTRIBUTIONS,
        pair_key=frames.pair_key(frames.person_key(left), frames.person_key(right)),
    )


def import_row(
    *,
    actor,
    community,
    dwelling=None,
    name: str,
    sex: str = "M",
    birth: date | None = None,
    id_number: str = "",
    phone: str = "",
    source_name: str = "测试来源",
):
    """An accepted import row waiting for review (made directly: the pipeline's own tests cover how rows are
    read and validated)."""
    from shequ.imports import services as imports
    from shequ.imports.models import DataSource, ImportBatch, ImportRow

    source = DataSource.objects.filter(owner=community, name=source_name).first() or imports.source_create(
        actor=actor, owner=community, name=source_name, kind=DataSource.Kind.SURVEY
    )
    batch = ImportBatch(
        number=public_number("DR", entropy_bytes=3),
        source=source,
        place=community,
        created_by=actor,
        original_name="核对名单.csv",
        file_sha256=secrets.token_hex(32),
        status=ImportBatch.Status.DONE,
        headers=["姓名"],
        mapping={"姓名": "name"},
        accepted=1,
        total=1,
    )
    # A real file behind the batch, so the imports pages (preview, error report) can open it.
    batch.file.save("核对名单.csv", ContentFile(f"姓名\n{name}\n".encode()), save=False)
    batch.save()
    clean = {"name": name, "sex": sex}
    if birth:
        clean["birth_date"] = birth.isoformat()
    if id_number:
        clean["id_hash"] = pii.keyed_hash("id", idnumbers.canonical(id_number))
        clean["id_masked"] = idnumbers.mask(id_number)
    if phone:
        clean["phone_hash"] = pii.keyed_hash("phone", phone)
        clean["phone_masked"] = phones.mask(phone)
    if dwelling is not None:
        clean["address"] = dwelling.address
        clean["dwelling"] = dwelling.pk
    return ImportRow.objects.create(
        batch=batch,
        row_number=3,
        raw=[name],
        sealed=pii.encrypt(json.dumps({"raw": [name], "id": id_number, "phone": phone}, ensure_ascii=False)),
        clean=clean,
        status=ImportRow.Status.ACCEPTED,
        fingerprint=secrets.token_hex(16),
        dwelling=dwelling,
        link_status=ImportRow.Link.REVIEW,
    )


def queue_row(row, person, *, probability: float = 0.6) -> ReviewItem:
    """A row↔person review item, as link_import_batch would queue it."""
    return ReviewItem.objects.create(
        number=public_number("HD", entropy_bytes=5),
        kind=ReviewItem.Kind.ROW_PERSON,
        community=person.community,
        run=_run(row.batch.place, LinkRun.Kind.BATCH, row.batch),
        row=row,
        person=person,
        probability=probability,
        contributions=CONTRIBUTIONS,
        pair_key=frames.pair_key(frames.row_key(row), frames.person_key(person)),
    )


def duplicate_of(person, *, name: str, phone: str = ""):
    """A second ledger record of the same person (no ID number, a homophone name), living at the same home."""
    twin = ledger.person_create(
        actor=SYSTEM,
        community=person.community,
        name=name,
        sex=person.sex,
        birth_date=person.birth_date,
        phone=phone,
    )
    if person.home_id:
        ledger.residency_create(actor=SYSTEM, person=twin, dwelling=person.home, role="occupant")
    return twin


def populate(world) -> list[str]:
    """In each community: a row↔person and a person↔person item waiting, and a merge made and kept. Returns
    strings found only in community B's objects."""
    fingerprints: list[str] = []
    for side, names in ((world.a, ("张卫", "李那", "曾秀瑛")), (world.b, ("章玮乙", "王芳芳乙", "刘桂岚乙"))):
        row = import_row(
            actor=side.worker,
            community=side.community,
            dwelling=side.dwellings[0],
            name=names[0],
            birth=side.head.birth_date,
            source_name=f"{side.community.name}核对来源",
        )
        queue_row(row, side.head)
        twin = duplicate_of(side.spouse, name=names[1])
        queue_people(side.spouse, twin)
        other = duplicate_of(side.elder, name=names[2])
        services.person_merge(actor=side.worker, keep=side.elder, drop=other)
        if side is world.b:
            # Names only: public numbers appear in the URLs a refused request echoes back on its 404 page.
            fingerprints += [names[0], names[1], names[2]]
    return fingerprints
