"""Test support for imports: real files as people make them (an .xlsx with a title row, a GBK CSV) and the
`populate` hook the jurisdiction walk calls."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from shequ.core import idnumbers

HEADERS = ["序号", "姓名", "性别", "公民身份号码", "联系电话", "现住址", "与户主关系", "人员身份"]


def person_id(seq: int, born: date = date(1980, 1, 1), *, female: bool = False) -> str:
    return idnumbers.make("110105", born, seq, female=female)


def sample_rows(compound: str, *, prefix: str = "", count: int = 3, bad: bool = True) -> list[list[str]]:
    """Rows for a compound built like the test world's (3栋2单元 501/502/601): `count` good rows, then (when
    `bad`) one with a wrong check digit and one at an address that does not exist."""
    rows = []
    for i in range(count):
        rows.append(
            [
                str(i + 1),
                f"{prefix}居民{'甲乙丙丁戊己庚辛'[i % 8]}",
                "男",
                person_id(500 + i * 2 + (1 if prefix else 0) * 100),
                f"1370000{i:04d}",
                f"{compound}3栋2单元{('501', '502', '601')[i % 3]}",
                "户主" if i == 0 else "子",
                "居住",
            ]
        )
    if bad:
        wrong = person_id(700)
        wrong = wrong[:17] + ("0" if wrong[17] != "0" else "1")
        rows.append(
            [
                str(count + 1),
                f"{prefix}错号",
                "男",
                wrong,
                "13700009999",
                f"{compound}3栋2单元501",
                "",
                "居住",
            ]
        )
        rows.append(
            [
                str(count + 2),
                f"{prefix}无址",
                "女",
                person_id(703, female=True),
                "",
                f"{compound}9栋1单元101",
                "",
                "居住",
            ]
        )
    return rows


def xlsx_bytes(rows: list[list[str]], *, title: str = "幸福街道实有人口登记表", headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    sheet.append(["合计", f"{len(rows)}人"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[str]], *, encoding: str = "gbk", headers=HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def run_batch(
    *,
    actor,
    source,
    place,
    name: str,
    content: bytes,
    observed_on: date | None = None,
    use_linkage: bool = True,
):
    """Upload, accept the suggested mapping, run (ImmediateBackend or inline). `use_linkage=False` links by the
    exact-ID fallback only (deterministic, for fixtures that must not depend on the model)."""
    from shequ.imports import services

    batch = services.batch_upload(
        actor=actor, source=source, place=place, uploaded=upload(name, content), observed_on=observed_on
    )
    services.batch_set_mapping(actor=actor, batch=batch, mapping=batch.mapping)
    if not use_linkage:
        services.batch_run(batch_id=batch.pk, use_linkage=False)
        batch.refresh_from_db()
        return batch
    services.batch_start(actor=actor, batch=batch)
    batch.refresh_from_db()
    if batch.status != "done":  # a queued backend: run the task's body here
        services.batch_run(batch_id=batch.pk)
        batch.refresh_from_db()
    return batch


def populate(world) -> list[str]:
    """A finished batch in each community (accepted and rejected rows, provenance, an extract); returns strings
    found only in community B's objects."""
    from shequ.imports import services
    from shequ.imports.models import DataSource

    fingerprints = []
    for side, prefix in ((world.a, ""), (world.b, "乙方")):
        source = services.source_create(
            actor=side.worker, owner=side.community, name=f"{prefix}走访台账", kind=DataSource.Kind.SURVEY
        )
        rows = sample_rows(side.compound.name, prefix=prefix, count=2)
        batch = run_batch(
            actor=side.worker,
            source=source,
            place=side.community,
            name=f"{prefix}走访名单.xlsx" if prefix else "走访名单.xlsx",
            content=xlsx_bytes(rows),
            use_linkage=False,
        )
        services.extract_create(
            actor=side.liaison, place=side.community, columns=["name", "phone"], purpose="核对名单"
        )
        if side is world.b:
            fingerprints += [batch.number, source.name, f"{prefix}错号", f"{prefix}无址", f"{prefix}居民甲"]
    return fingerprints
