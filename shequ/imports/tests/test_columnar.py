"""The column-at-a-time validation of the fast path gives every row the outcome `pipeline.process_row` gives it:
status, reasons, clean values, masked cells, fingerprint, dwelling and the sealed original, on a few thousand
generated rows with good and bad values of every kind."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest

from shequ.core import idnumbers
from shequ.core.pii import unseal
from shequ.imports.columnar import validate_chunk
from shequ.imports.parsing import PlaceIndex, apply_mapping, suggest_mapping
from shequ.imports.parsing.values import CellParsers
from shequ.imports.pipeline import PlaceContext, process_row

HEADERS = ["序号", "姓名", "性别", "公民身份号码", "出生日期", "联系电话", "现住址", "与户主关系", "人员身份", "民族", "标签", "备注"]  # fmt: skip
COMPOUNDS = ["阳光花园", "锦绣苑", "金桂园"]
TODAY = date(2026, 6, 1)


def make_ctx() -> PlaceContext:
    compounds = [(i, name, ()) for i, name in enumerate(COMPOUNDS)]
    buildings, dwellings, key, pk = [], [], 100, 1
    for ci in range(len(COMPOUNDS)):
        for b in range(1, 6):
            key += 1
            units = ["1", "2"] if b != 5 else None  # building 5 has no units registered
            buildings.append((ci, f"{b}栋", key, units, 12))
            for u in (1, 2):
                for floor in range(1, 13):
                    for r in (1, 2):
                        dwellings.append((pk, key, f"{u}单元", f"{floor}{r:02d}"))
                        pk += 1
    ctx = PlaceContext(
        index=PlaceIndex.from_rows(compounds, buildings, district_prefixes=["玉林街道", "玉林社区"])
    )
    for d in dwellings:
        ctx.add_dwelling(*d)
    return ctx


def _cells(rng: random.Random, i: int) -> list[str]:
    born = TODAY - timedelta(days=rng.randint(365, 90 * 365))
    female = rng.random() < 0.5
    number = idnumbers.make(
        rng.choice(["510107", "110105", "810000", "910000"]), born, rng.randint(0, 999), female=female
    )
    compound = rng.choice(COMPOUNDS)
    b, u, floor, r = rng.randint(1, 5), rng.randint(1, 2), rng.randint(1, 12), rng.randint(1, 2)
    address = rng.choice(
        [
            f"{compound}{b}栋{u}单元{floor}{r:02d}",
            f"{compound}{b}-{u}-{floor}{r:02d}",
            f"玉林社区{compound}{b}号楼{u}单元{floor}{r:02d}室",
            f"{compound}{b}栋{floor}{r:02d}",  # no unit: ambiguous except in building 5
        ]
    )
    phone = f"1{rng.choice('3578')}{rng.randint(0, 10**9 - 1):09d}"
    birth = rng.choice(
        [
            born.isoformat(),
            f"{born.year}.{born.month}.{born.day}",
            f"{born.year}年{born.month}月{born.day}日",
            "",
        ]
    )
    sex = rng.choice(["女" if female else "男", "", "女性" if female else "男性"])
    name = rng.choice(["张伟", "王芳", "阿依古丽·买买提", "李 娜"])
    row = [str(i), name, sex, number, birth, phone, address, rng.choice(["户主", "配偶", "子", "女"]),
           rng.choice(["户籍", "业主", "租户", ""]), rng.choice(["汉族", "回", "", "01"]),
           rng.choice(["", "低保", "独居老人、残疾", "不认识的标签"]), ""]  # fmt: skip
    kind = rng.random()
    bad = [
        lambda: row.__setitem__(3, number[:17] + ("0" if number[17] != "0" else "1")),  # check digit
        lambda: row.__setitem__(3, number[:6] + number[8:17]),  # 15-digit legacy
        lambda: row.__setitem__(3, number.lower() if number.endswith("X") else number[:-1] + "x"),
        lambda: row.__setitem__(3, "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)),
        lambda: row.__setitem__(3, "99" + number[2:]),  # region code
        lambda: row.__setitem__(3, ""),
        lambda: row.__setitem__(3, "5.10107E+17"),
        lambda: row.__setitem__(4, (born + timedelta(days=3)).isoformat()),  # disagrees with the ID
        lambda: row.__setitem__(4, f"{born.year}.{born.month}"),  # partial, agrees
        lambda: row.__setitem__(4, f"{born.year + 1}.{born.month}"),  # partial, disagrees
        lambda: row.__setitem__(4, f"{born.year % 100}.{born.month}.{born.day}"),  # two-digit year
        lambda: row.__setitem__(4, "不详"),
        lambda: row.__setitem__(2, "女" if not female else "男"),  # sex disagrees
        lambda: row.__setitem__(2, "未知"),
        lambda: row.__setitem__(5, phone[:7]),
        lambda: row.__setitem__(5, "028-85551234"),
        lambda: row.__setitem__(5, f"{phone}/13900000000"),
        lambda: row.__setitem__(5, "+86 " + phone),
        lambda: row.__setitem__(5, ""),
        lambda: row.__setitem__(6, f"{compound}{b}栋{u}单元{floor + 20}01"),  # no such floor
        lambda: row.__setitem__(6, f"{compound}9栋{u}单元101"),
        lambda: row.__setitem__(6, "不存在小区1栋101"),
        lambda: row.__setitem__(6, ""),
        lambda: row.__setitem__(1, ""),
        lambda: row.__setitem__(1, "张3"),
        lambda: row.__setitem__(1, '张"伟\\'),
        lambda: row.__setitem__(7, "表舅"),
        lambda: row.__setitem__(8, "路人"),
        lambda: row.__setitem__(9, "火星族"),
        lambda: row.__setitem__(11, f"曾用号码{phone}, 旧证{number}"),  # PII in a free-text cell
        lambda: row.__setitem__(11, 'tab\there "quoted" \\ back'),
        lambda: row.__setitem__(11, "a\x1fb"),
        lambda: row.append("多出来的一列"),
        lambda: row.__delitem__(11),  # short row (padded)
    ]
    for spoil in rng.sample(bad, 2 if kind < 0.1 else 1 if kind < 0.5 else 0):
        if len(row) == len(HEADERS):  # a short or long row is spoilt enough
            spoil()
    return row


@pytest.fixture(scope="module")
def ctx():
    return make_ctx()


def _expected(ctx, mapping, number, raw):
    padded = raw[: len(HEADERS)] + [""] * (len(HEADERS) - len(raw))
    values = apply_mapping(dict(zip(HEADERS, padded, strict=True)), mapping)
    r = process_row(number, raw, values, ctx=ctx, source_key=7, today=TODAY)
    return (r.status, r.reasons, r.clean, r.raw, r.fingerprint, r.dwelling_id, unseal(r.sealed))


@pytest.mark.parametrize("seed", [1, 2])
def test_columnar_matches_process_row(ctx, seed):
    rng = random.Random(seed)
    rows = [(i + 2, _cells(rng, i)) for i in range(2500)]
    mapping = suggest_mapping(HEADERS)
    assert mapping["标签"] == "tags" and mapping["民族"] == "ethnicity"
    parsers = CellParsers.memoized(TODAY)
    addresses: dict = {}
    got = validate_chunk(
        rows, headers=HEADERS, mapping=mapping, ctx=ctx, source_key=7, parsers=parsers, today=TODAY,
        addresses=addresses,
    )  # fmt: skip
    statuses = set()
    for i, (number, raw) in enumerate(rows):
        mine = (
            got.statuses[i],
            json.loads(got.reasons_json[i]),
            json.loads(got.clean_json[i]),
            json.loads(got.raw_json[i]),
            got.fingerprints[i],
            got.dwellings[i],
            unseal(got.sealed[i]),
        )
        assert mine == _expected(ctx, mapping, number, raw), (number, raw)
        statuses.add(got.statuses[i])
    assert statuses == {"accepted", "rejected"}
    # most good rows took the column road, every odd one the per-row road
    assert 0.3 * len(rows) < got.fallback_rows < 0.7 * len(rows)


def test_columnar_chunks_share_caches_and_agree(ctx):
    """Two chunks with the same caches, and a file whose mapping leaves the ID number out (all per-row)."""
    rng = random.Random(3)
    rows = [(i + 2, _cells(rng, i)) for i in range(400)]
    parsers, addresses = CellParsers.memoized(TODAY), {}
    mapping = suggest_mapping(HEADERS)
    kw = {
        "headers": HEADERS,
        "ctx": ctx,
        "source_key": 7,
        "parsers": parsers,
        "today": TODAY,
        "addresses": addresses,
    }
    first = validate_chunk(rows[:200], mapping=mapping, **kw)
    second = validate_chunk(rows[200:], mapping=mapping, **kw)
    assert addresses and first.fingerprints + second.fingerprints == [
        _expected(ctx, mapping, n, raw)[4] for n, raw in rows
    ]
    no_id = {**mapping, "公民身份号码": None}
    result = validate_chunk(rows, mapping=no_id, **kw)
    assert result.fallback_rows == len(rows)
    assert [json.loads(c) for c in result.clean_json] == [_expected(ctx, no_id, n, raw)[2] for n, raw in rows]
    assert validate_chunk([], mapping=mapping, **kw).statuses == []
