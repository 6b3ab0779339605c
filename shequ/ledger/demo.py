"""The demo street: builds 幸福街道 with its communities, compounds, buildings, dwellings, grids, people,
households, residencies, group tags, needs, the duty roster and one demo account per role.

It writes straight to the tables (bulk INSERT on SQLite, COPY on PostgreSQL) with ids allocated here and the
lineage columns and materialised paths computed here, so a million residents take minutes; every batch leaves
one summarising audit event (kind "import", action "seed") instead of one per row. The data is deterministic
for a given --seed (the encrypted values differ run to run: Fernet tokens carry a random IV).

`shequ seed` (shequ.demo, the composition root) calls build_street, then creates the demo accounts and runs
the other apps' `demo.seed_demo` hooks.
"""

from __future__ import annotations

import bisect
import itertools
import math
import os
import random
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from shequ.core import idnumbers, phones, pii
from shequ.core.models import AuditEvent
from shequ.ledger import demo_names as words
from shequ.ledger.models import (
    Duty,
    GroupTag,
    Household,
    HouseholdMember,
    IdType,
    Need,
    Person,
    Relation,
    Residency,
)
from shequ.ledger.names import name_pinyin
from shequ.places.models import Dwelling, Facility, Grid, Level, Place

STREET_NAME = "幸福街道"
STREET_CODE = "510107017000"  # 四川省成都市武侯区 · a shape-valid 12-digit street code
RESIDENTS_PER_COMMUNITY = 11_000

# China 2020 census, share (%) of each five-year band: 60+ is about 18.7 %.
CENSUS_BANDS = [
    (0, 5.4), (5, 6.4), (10, 6.0), (15, 5.3), (20, 5.3), (25, 6.6), (30, 8.8), (35, 7.0), (40, 6.7),
    (45, 8.3), (50, 8.6), (55, 7.2), (60, 5.2), (65, 5.0), (70, 3.4), (75, 2.2), (80, 1.5), (85, 1.1),
]  # fmt: skip


# ------------------------------------------------------------------------------------------------ writing


class Table:
    """Rows of one model, buffered and written in chunks; ids are allocated here (max(id)+1 upwards)."""

    def __init__(self, model: type[models.Model], *, chunk: int, now):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.attname for f in self.fields]
        self.chunk = chunk
        defaults = {}
        for f in self.fields:
            if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
                defaults[f.attname] = now
            elif f.has_default():
                defaults[f.attname] = f.get_default()
            else:
                defaults[f.attname] = None if f.null else ("" if isinstance(f, models.CharField) else None)
        self.defaults = defaults
        self.is_postgres = connection.vendor == "postgresql"
        self.date_cols = [
            i
            for i, f in enumerate(self.fields)
            if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField)
        ]
        self.rows: list[tuple] = []
        self.written = 0
        self.batch_written = 0
        self.batch_first_id: int | None = None
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608 -- a model's own table name
            self._next_id = (cursor.fetchone()[0] or 0) + 1

    def new_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def add(self, values: dict) -> int:
        if "id" not in values:
            values["id"] = self.new_id()
        d = self.defaults
        self.rows.append(tuple(values[c] if c in values else d[c] for c in self.columns))
        if self.batch_first_id is None:
            self.batch_first_id = values["id"]
        if len(self.rows) >= self.chunk:
            self.flush()
        return values["id"]

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if self.is_postgres:
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                if self.date_cols:
                    rows = [_sqlite_dates(r, self.date_cols) for r in rows]
                marks = ", ".join(["?"] * len(self.columns))
                sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608 -- model metadata only
                connection.connection.executemany(sql, rows)
        self.written += len(rows)
        self.batch_written += len(rows)

    def take_batch(self) -> tuple[int, int | None]:
        """Rows written since the last call (for the batch's audit event)."""
        n, first = self.batch_written, self.batch_first_id
        self.batch_written, self.batch_first_id = 0, None
        return n, first


def _sqlite_dates(row: tuple, idx: list[int]) -> tuple:
    values = list(row)
    for i in idx:
        if values[i] is not None and not isinstance(values[i], str):
            values[i] = values[i].isoformat()
    return tuple(values)


# ------------------------------------------------------------------------------------------------ people


@lru_cache(maxsize=200_000)
def _pinyin(name: str) -> tuple[str, str]:
    return name_pinyin(name)


def protect(plain: list[tuple[str, str, str, str]]) -> list[tuple]:
    """(id number, its canonical form, phone, name) -> the stored columns. The expensive part of a seed
    (Fernet per value), so it is a plain function a process pool can run."""
    out = []
    enc, keyed = pii.encrypt, pii.keyed_hash
    for id_plain, id_canon, phone, name in plain:
        py, ini = _pinyin(name)
        out.append(
            (
                enc(id_plain) if id_plain else "",
                keyed("id", id_canon) if id_canon else "",
                idnumbers.mask(id_plain),
                enc(phone) if phone else "",
                keyed("phone", phone) if phone else "",
                phones.mask(phone),
                phone[-4:],
                py,
                ini,
            )
        )
    return out


class P:
    """A person being generated (plain values; protected columns are filled just before writing)."""

    __slots__ = (
        "age",
        "born",
        "building",
        "compound",
        "dwelling",
        "education",
        "ethnicity",
        "hukou_region",
        "id",
        "id_canon",
        "id_plain",
        "id_type",
        "local",
        "name",
        "occupation",
        "phone",
        "political",
        "sex",
        "surname",
        "unit",
    )

    age: Any
    born: Any
    building: Any
    compound: Any
    dwelling: Any
    education: Any
    ethnicity: Any
    hukou_region: Any
    id: Any
    id_canon: Any
    id_plain: Any
    id_type: Any
    local: Any
    name: Any
    occupation: Any
    phone: Any
    political: Any
    sex: Any
    surname: Any
    unit: Any


@dataclass
class Anchors:
    """What the demo accounts hang on, noted while community 0 and 1 are generated."""

    community: int | None = None
    grid: int | None = None
    building: int | None = None
    household: int | None = None
    worker: int | None = None
    grid_worker: int | None = None
    leader: int | None = None
    volunteer: int | None = None
    resident: int | None = None


def _weighted(items: list[tuple], rng: random.Random, cum: list[float], total: float):
    return items[bisect.bisect(cum, rng.random() * total)]


class Generator:
    def __init__(
        self,
        *,
        residents: int,
        seed: int,
        communities: int | None,
        progress: Callable[..., Any],
        pool=None,
    ):
        self.residents = residents
        self.seed = seed
        self.k = communities or max(2, round(residents / RESIDENTS_PER_COMMUNITY))
        self.progress = progress
        self.pool = pool
        self.today = timezone.localdate()
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.rng = random.Random(seed)
        chunk = 20_000 if connection.vendor == "postgresql" else 5_000
        t = {m: Table(m, chunk=chunk, now=self.now) for m in self.MODELS}
        self.tables = t
        self.places, self.grids, self.dwellings = t[Place], t[Grid], t[Dwelling]
        self.persons, self.households, self.members = t[Person], t[Household], t[HouseholdMember]
        self.residencies, self.tags, self.needs, self.duties = t[Residency], t[GroupTag], t[Need], t[Duty]
        self.id_seq: dict[str, int] = {}
        self.compound_names: set[str] = set()
        self.anchors: list[Anchors] = []
        self.surnames = words.SURNAMES
        self.surname_cum = list(itertools.accumulate(w for _, w in self.surnames))
        self.eth_cum = list(itertools.accumulate(w for _, w in words.ETHNICITIES))
        self.origin_cum = list(itertools.accumulate(w for *_, w in words.ORIGIN_REGIONS))

    MODELS = (Place, Grid, Dwelling, Person, Household, HouseholdMember, Residency, GroupTag, Need, Duty)

    # -- the street ----------------------------------------------------------------------------------------

    def run(self) -> Place:
        street_id = self.street_id = self.places.new_id()
        self.places.add(
            {
                "id": street_id,
                "level": Level.STREET,
                "name": STREET_NAME,
                "path": f"/{street_id}/",
                "street_id": street_id,
                "division_code": STREET_CODE,
                "address": "四川省成都市武侯区幸福街道",
            }
        )
        shares = [self.rng.uniform(0.75, 1.25) for _ in range(self.k)]
        total = sum(shares)
        sizes = [int(self.residents * s / total) for s in shares]
        sizes[0] += self.residents - sum(sizes)
        names = list(words.COMMUNITY_NAMES)
        self.rng.shuffle(names)
        bar = self.progress(total=self.residents, desc="居民", unit="人")
        with transaction.atomic():
            self.flush_all()
            self.audit_batch(None, "幸福街道")
        for idx in range(self.k):
            name = (names[idx] if idx < len(names) else f"幸福{idx + 1}") + "社区"
            with transaction.atomic():
                self.skip_fk_triggers()
                cid = self.community(idx, name, sizes[idx], bar)
                self.flush_all()
                self.audit_batch(cid, name)
        bar.close()
        self.finish_sequences()
        return Place.objects.get(pk=street_id)

    def skip_fk_triggers(self) -> bool:
        """On PostgreSQL as a superuser, skip the per-row foreign-key triggers for the rest of this transaction
        while loading rows this code made consistent by construction (the deferred checks at commit cost more
        than the COPY). Elsewhere, a no-op."""
        if connection.vendor != "postgresql":
            return False
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0]:
                return False
            cursor.execute("SET LOCAL session_replication_role = replica")
        return True

    def flush_all(self) -> None:
        for t in self.tables.values():
            t.flush()

    def audit_batch(self, community_id: int | None, label: str) -> None:
        events = []
        for model, table in self.tables.items():
            n, first = table.take_batch()
            if not n:
                continue
            events.append(
                AuditEvent(
                    actor=None,
                    actor_label="系统",
                    kind="import",
                    action="seed",
                    object_type=model._meta.label_lower,
                    object_label=f"演示数据 · {label} · {model._meta.verbose_name} {n} 条",
                    community_id=community_id,
                    street_id=self.street_id,
                    after={"rows": n, "first_id": first, "seed": self.seed},
                )
            )
        AuditEvent.objects.bulk_create(events)

    def finish_sequences(self) -> None:
        if connection.vendor != "postgresql":
            return  # SQLite's AUTOINCREMENT follows explicit ids by itself
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(self.MODELS)):
                cursor.execute(sql)

    # -- a community ---------------------------------------------------------------------------------------

    def community(self, idx: int, name: str, target: int, bar) -> int:
        rng = random.Random(f"{self.seed}:community:{idx}")
        anchors = Anchors()
        self.anchors.append(anchors)
        cid = self.places.new_id()
        anchors.community = cid
        code = f"{STREET_CODE[:9]}{idx + 1:03d}"
        self.places.add(
            {
                "id": cid,
                "level": Level.COMMUNITY,
                "name": name,
                "parent_id": self.street_id,
                "path": f"/{self.street_id}/{cid}/",
                "sort_key": idx + 1,
                "street_id": self.street_id,
                "community_id": cid,
                "division_code": code,
            }
        )
        ctx = {"cid": cid, "name": name, "code": code}
        dwellings, buildings, compounds = self.structure(rng, ctx, target)
        people, households = self.populate(rng, ctx, dwellings, target, bar, anchors)
        self.write_places(ctx, compounds, buildings, dwellings)
        self.roster(rng, ctx, people, households, buildings, compounds, anchors)
        self.write_people(people)
        self.facilities_later = getattr(self, "facilities_later", [])
        self.facilities_later.append((cid, [c["id"] for c in compounds]))
        return cid

    def structure(self, rng: random.Random, ctx: dict, target: int):
        """Compounds, buildings, units and dwellings (in memory), enough for `target` residents."""
        cid = ctx["cid"]
        needed = math.ceil(target / 2.3 / 0.9)
        compounds: list[dict] = []
        buildings: list[dict] = []
        dwellings: list[list] = []
        residential = 0
        n = 0
        while residential < needed:
            n += 1
            kind = "old" if n == 1 else rng.choices(["old", "mid", "new"], weights=[35, 35, 30])[0]
            three_without = kind == "old" and (rng.random() < 0.45 or (n == 1 and cid % 2 == 0))
            comp = self.new_compound(rng, kind, three_without, ctx, n)
            compounds.append(comp)
            nb = {"old": rng.randint(3, 12), "mid": rng.randint(5, 15), "new": rng.randint(4, 12)}[kind]
            in_compound = 0
            for b in range(1, nb + 1):
                if b > 1 and (residential >= needed or in_compound >= max(needed * 0.5, 24)):
                    break  # a small community still gets several compounds
                building, rows = self.new_building(rng, comp, b)
                buildings.append(building)
                dwellings.extend(rows)
                homes = sum(1 for d in rows if d[3] == Dwelling.Use.RESIDENTIAL)
                residential += homes
                in_compound += homes
        self.assign_grids(rng, ctx, buildings)
        return dwellings, buildings, compounds

    def new_compound(self, rng: random.Random, kind: str, three_without: bool, ctx: dict, n: int) -> dict:
        for attempt in range(200):
            if kind == "old" and rng.random() < 0.35:
                name = rng.choice(words.OLD_EMPLOYERS) + rng.choice(["宿舍", "家属院", "生活区"])
                if attempt > 5 or name in self.compound_names:
                    name = f"{rng.choice(words.COMPOUND_PREFIXES)}路{rng.randint(2, 180)}号院"
            else:
                name = rng.choice(words.COMPOUND_PREFIXES) + rng.choice(words.COMPOUND_SUFFIXES[kind])
            if name not in self.compound_names:
                break
        else:
            name = f"{name}{n}期"
        self.compound_names.add(name)
        year = {
            "old": rng.randint(1982, 1999),
            "mid": rng.randint(2000, 2010),
            "new": rng.randint(2011, 2022),
        }
        if three_without:
            pm = security = enclosed = False
        elif kind == "old":
            pm, security, enclosed = rng.random() < 0.5, rng.random() < 0.3, rng.random() < 0.7
            if not (pm or security or enclosed):
                enclosed = True
        else:
            pm, security, enclosed = True, rng.random() < 0.9, rng.random() < 0.95
        return {
            "id": self.places.new_id(),
            "kind": kind,
            "name": name,
            "built_year": year[kind],
            "has_property_management": pm,
            "property_company": rng.choice(words.PROPERTY_COMPANIES) if pm else "",
            "has_security": security,
            "is_enclosed": enclosed,
            "three_without": three_without,
            "sort_key": n,
            "address": f"{rng.choice(words.COMPOUND_PREFIXES)}路{rng.randint(1, 300)}号",
        }

    def new_building(self, rng: random.Random, comp: dict, number: int) -> tuple[dict, list[list]]:
        kind = comp["kind"]
        if kind == "old":
            floors, units, per_floor, elevator = (
                rng.randint(5, 7),
                rng.randint(2, 4),
                rng.choice([2, 2, 3]),
                False,
            )
            area = (45, 85)
        elif kind == "mid":
            floors = rng.choice([6, 7, 7, 9, 11, 12])
            units, per_floor, elevator = rng.randint(2, 3), rng.choice([2, 3, 4]), floors > 7
            area = (75, 125)
        else:
            floors, units, per_floor, elevator = (
                rng.randint(18, 33),
                rng.randint(1, 2),
                rng.choice([4, 4, 6]),
                True,
            )
            area = (70, 140)
        bid = self.places.new_id()
        building: dict[str, Any] = {
            "id": bid,
            "compound": comp,
            "name": f"{number}栋",
            "number": number,
            "floors": floors,
            "has_elevator": elevator,
            "units": [],
            "residential": 0,
        }
        shops = kind != "new" and number == 1 and rng.random() < 0.5
        rows = []
        for u in range(1, units + 1):
            uid = self.places.new_id()
            building["units"].append((uid, f"{u}单元", u))
            for floor in range(1, floors + 1):
                for k in range(1, per_floor + 1):
                    use = Dwelling.Use.COMMERCIAL if (shops and floor == 1) else Dwelling.Use.RESIDENTIAL
                    if use == Dwelling.Use.RESIDENTIAL:
                        building["residential"] += 1
                    m2 = f"{rng.randint(area[0] * 10, area[1] * 10) / 10:.1f}"
                    # [id, unit id, room, use, floor, area, building, unit name, vacant, rented]
                    rows.append(
                        [
                            self.dwellings.new_id(),
                            uid,
                            f"{floor}{k:02d}",
                            use,
                            floor,
                            m2,
                            building,
                            f"{u}单元",
                            True,
                        ]
                    )
        return building, rows

    def assign_grids(self, rng: random.Random, ctx: dict, buildings: list[dict]) -> None:
        """Buildings in order, about 330–520 dwellings (≈300–500 households) per grid."""
        grids: list[list[dict]] = [[]]
        size = 0
        for b in buildings:
            if size >= 420 or (size >= 300 and size + b["residential"] > 560):
                grids.append([])
                size = 0
            grids[-1].append(b)
            size += b["residential"]
        if len(grids) > 1 and size < 150:
            grids[-2].extend(grids.pop())
        ctx["grids"] = []
        for n, members in enumerate(grids, start=1):
            gid = self.grids.add(
                {
                    "community_id": ctx["cid"],
                    "street_id": self.street_id,
                    "name": f"{ctx['name']}第{n}网格",
                    "code": f"{ctx['code']}{n:03d}",
                }
            )
            ctx["grids"].append(gid)
            for b in members:
                b["grid"] = gid

    def write_places(
        self, ctx: dict, compounds: list[dict], buildings: list[dict], dwellings: list[list]
    ) -> None:
        sid, cid = self.street_id, ctx["cid"]
        for c in compounds:
            self.places.add(
                {
                    "id": c["id"],
                    "level": Level.COMPOUND,
                    "name": c["name"],
                    "parent_id": cid,
                    "path": f"/{sid}/{cid}/{c['id']}/",
                    "sort_key": c["sort_key"],
                    "street_id": sid,
                    "community_id": cid,
                    "compound_id": c["id"],
                    "has_property_management": c["has_property_management"],
                    "property_company": c["property_company"],
                    "has_security": c["has_security"],
                    "is_enclosed": c["is_enclosed"],
                    "built_year": c["built_year"],
                    "address": c["address"],
                }
            )
        for b in buildings:
            comp = b["compound"]
            base = f"/{sid}/{cid}/{comp['id']}/{b['id']}/"
            self.places.add(
                {
                    "id": b["id"],
                    "level": Level.BUILDING,
                    "name": b["name"],
                    "parent_id": comp["id"],
                    "path": base,
                    "sort_key": b["number"],
                    "street_id": sid,
                    "community_id": cid,
                    "compound_id": comp["id"],
                    "building_id": b["id"],
                    "grid_id": b["grid"],
                    "floors": b["floors"],
                    "has_elevator": b["has_elevator"],
                    "built_year": comp["built_year"],
                }
            )
            for uid, uname, n in b["units"]:
                self.places.add(
                    {
                        "id": uid,
                        "level": Level.UNIT,
                        "name": uname,
                        "parent_id": b["id"],
                        "path": f"{base}{uid}/",
                        "sort_key": n,
                        "street_id": sid,
                        "community_id": cid,
                        "compound_id": comp["id"],
                        "building_id": b["id"],
                        "unit_id": uid,
                        "grid_id": b["grid"],
                    }
                )
        for d in dwellings:
            b = d[6]
            self.dwellings.add(
                {
                    "id": d[0],
                    "unit_id": d[1],
                    "room": d[2],
                    "floor": d[4],
                    "area_m2": d[5],
                    "use": d[3],
                    "is_vacant": d[8],
                    "street_id": sid,
                    "community_id": cid,
                    "compound_id": b["compound"]["id"],
                    "building_id": b["id"],
                    "grid_id": b["grid"],
                    "address": f"{b['compound']['name']}{b['name']}{d[7]}{d[2]}",
                }
            )

    # -- people and households -----------------------------------------------------------------------------

    def birth(self, rng: random.Random, age: float) -> date:
        return self.today - timedelta(days=int((age + rng.random()) * 365.2425))

    def surname(self, rng: random.Random) -> str:
        return _weighted(self.surnames, rng, self.surname_cum, self.surname_cum[-1])[0]

    def given(self, rng: random.Random, sex: str, born_year: int) -> str:
        cohort = (
            "old"
            if born_year < 1956
            else "mid"
            if born_year < 1980
            else "young"
            if born_year < 2005
            else "child"
        )
        r = rng.random()
        if r < (0.22 if cohort in ("mid", "young") else 0.06):
            return rng.choice(words.SINGLE_NAMES[sex])
        if r < 0.75:
            return rng.choice(words.GIVEN_NAMES[(cohort, sex)])
        first, second = words.GIVEN_CHARS[sex]
        return rng.choice(first) + rng.choice(second)

    def person(
        self, rng: random.Random, *, age: float, sex: str, origin: tuple | None, surname: str | None = None
    ) -> P:
        p = P()
        p.id = self.persons.new_id()
        p.sex = sex
        p.age = int(age)
        p.born = self.birth(rng, age)
        p.surname = surname or self.surname(rng)
        p.name = p.surname + self.given(rng, sex, p.born.year)
        p.ethnicity = _weighted(words.ETHNICITIES, rng, self.eth_cum, self.eth_cum[-1])[0]
        p.local = origin is None
        if origin is None:
            region, p.hukou_region = rng.choice(words.LOCAL_REGIONS), words.LOCAL_HUKOU
        else:
            region, p.hukou_region = origin[0], origin[1]
        key = f"{region}{p.born:%Y%m%d}"
        seq = self.id_seq.get(key)
        if seq is None:
            seq = rng.randrange(0, 300)
        number = idnumbers.make(region, p.born, seq, female=sex == "F")
        self.id_seq[key] = int(number[14:17]) + 1
        p.id_type = IdType.PERMIT if region.startswith(("81", "82", "83")) else IdType.RESIDENT
        p.id_canon = number
        p.id_plain = number
        if p.born.year < 1980 and p.id_type == IdType.RESIDENT and rng.random() < 0.012:
            p.id_plain = number[:6] + number[8:17]  # 一代身份证, 15 digits
            p.id_type = IdType.LEGACY
        if p.age < 12 or (p.age < 17 and rng.random() < 0.4) or (p.age >= 80 and rng.random() < 0.35):
            p.phone = ""
        else:
            p.phone = f"1{rng.choice('3333555788899967')}{rng.randrange(10**9):09d}"
        if 14 <= p.age <= 28 and rng.random() < 0.35:
            p.political = "league"
        elif p.age >= 20 and rng.random() < (0.085 if p.age < 60 else 0.11):
            p.political = "party"
        else:
            p.political = "masses"
        if p.age < 6:
            p.education = ""
        elif p.age < 18:
            p.education = "在读"
        else:
            p.education = rng.choice(
                ["小学", "初中", "初中", "高中/中专", "大专", "本科"]
                if p.age > 55
                else ["初中", "高中/中专", "大专", "本科", "本科", "研究生"]
            )
        if p.age >= 60 and rng.random() < 0.85:
            p.occupation = "退休"
        elif p.age < 18 or (p.age < 23 and rng.random() < 0.5):
            p.occupation = "学生"
        else:
            p.occupation = rng.choice(words.OCCUPATIONS[:-3])
        p.dwelling = p.building = p.compound = p.unit = None
        return p

    def origin(self, rng: random.Random) -> tuple:
        if rng.random() < 0.004:
            return ("810000", "香港特别行政区") if rng.random() < 0.5 else ("830000", "台湾地区")
        return _weighted(words.ORIGIN_REGIONS, rng, self.origin_cum, self.origin_cum[-1])

    def household_people(self, rng: random.Random, kind: str, floating: bool) -> list[tuple[P, str]]:
        """Members of one household with their relation to the head."""
        origin = self.origin(rng) if floating else None

        def mk(age, sex, surname=None):
            return self.person(rng, age=max(0, age), sex=sex, origin=origin, surname=surname)

        def kids(head: P, parent_age: int, n: int, relation: str = Relation.CHILD) -> list[tuple[P, str]]:
            out = []
            for _ in range(n):
                age = parent_age - rng.randint(23, 36)
                if age < 0 or (age > 24 and rng.random() < 0.7):
                    continue
                out.append(
                    (mk(age, rng.choice("MF"), head.surname if rng.random() < 0.92 else None), relation)
                )
            return out

        if kind == "alone_elderly":
            return [(mk(rng.triangular(65, 97, 76), "F" if rng.random() < 0.62 else "M"), Relation.HEAD)]
        if kind == "elderly_couple":
            age = rng.randint(60, 88)
            head = mk(age, "M")
            return [
                (head, Relation.HEAD),
                (mk(min(99, max(58, age + rng.randint(-5, 3))), "F"), Relation.SPOUSE),
            ]
        if kind in ("couple_kids", "three_gen", "couple_no_kids"):
            if kind == "couple_no_kids":
                age = rng.randint(22, 38) if rng.random() < 0.6 else rng.randint(45, 62)
            else:
                age = rng.randint(27, 52)
            male_head = rng.random() < 0.7
            husband = mk(age, "M")
            wife = mk(max(20, age + rng.randint(-5, 2)), "F")
            head, spouse = (husband, wife) if male_head else (wife, husband)
            members: list[tuple[P, str]] = [(head, Relation.HEAD), (spouse, Relation.SPOUSE)]
            if kind != "couple_no_kids":
                n = rng.choices([1, 2, 3], weights=[55, 40, 5])[0]
                members += kids(husband, age, n)
            if kind == "three_gen":
                gp_age = age + rng.randint(24, 34)
                side = husband.surname if rng.random() < 0.7 else wife.surname
                for sex in ("M", "F") if rng.random() < 0.6 else (rng.choice("MF"),):
                    members.append(
                        (mk(gp_age + rng.randint(-3, 3), sex, side if sex == "M" else None), Relation.PARENT)
                    )
            return members
        if kind == "single_adult":
            return [
                (
                    mk(rng.randint(20, 45) if floating else rng.randint(22, 60), rng.choice("MF")),
                    Relation.HEAD,
                )
            ]
        if kind == "single_parent":
            age = rng.randint(30, 50)
            head = mk(age, "F" if rng.random() < 0.75 else "M")
            return [
                (head, Relation.HEAD),
                *(kids(head, age, 1) or [(mk(age - 28, rng.choice("MF"), head.surname), Relation.CHILD)]),
            ]
        if kind == "with_parent":
            age = rng.randint(35, 60)
            head = mk(age, rng.choice("MF"))
            members = [
                (head, Relation.HEAD),
                (
                    mk(min(98, age + rng.randint(24, 34)), "F" if rng.random() < 0.65 else "M"),
                    Relation.PARENT,
                ),
            ]
            if rng.random() < 0.4:
                members.append(
                    (mk(max(22, age + rng.randint(-4, 2)), "F" if head.sex == "M" else "M"), Relation.SPOUSE)
                )
            return members
        # roommates: unrelated young people sharing a rented flat
        return [
            (mk(rng.randint(19, 35), rng.choice("MF")), Relation.HEAD if i == 0 else Relation.NON_RELATIVE)
            for i in range(rng.choice([2, 2, 3]))
        ]

    OWNED = {
        "alone_elderly": 8, "elderly_couple": 13, "couple_kids": 27, "three_gen": 12, "single_adult": 7,
        "couple_no_kids": 12, "single_parent": 5, "with_parent": 8,
    }  # fmt: skip
    RENTED = {
        "single_adult": 30, "roommates": 14, "couple_no_kids": 20, "couple_kids": 24, "single_parent": 5,
        "alone_elderly": 4, "elderly_couple": 3,
    }  # fmt: skip

    def populate(self, rng, ctx, dwellings, target, bar, anchors) -> tuple[list[P], list[dict]]:
        """Fill dwellings with households until the community holds `target` residents."""
        cid = ctx["cid"]
        order = [d for d in dwellings if d[3] == Dwelling.Use.RESIDENTIAL]
        rng.shuffle(order)
        people: list[P] = []
        households: list[dict] = []
        owners_here: list[P] = []  # owner-occupiers who may own a second, rented flat
        count = 0
        tenancy_start = date(2018, 1, 1).toordinal()
        for d in order:
            if count >= target:
                break
            building = d[6]
            comp = building["compound"]
            if rng.random() < 0.07:
                if rng.random() < 0.7:  # a vacant flat whose owner lives elsewhere
                    owner = self.outsider(rng, cid)
                    people.append(owner)
                    self.residencies.add(
                        {
                            "person_id": owner.id,
                            "dwelling_id": d[0],
                            "role": Residency.Role.OWNER,
                            "lives_here": False,
                            "since": self.birth(rng, rng.randint(3, 25)),
                            "source": "房产登记",
                        }
                    )
                continue
            rented = rng.random() < {"old": 0.32, "mid": 0.25, "new": 0.2}[comp["kind"]]
            floating = rng.random() < (0.72 if rented else 0.07)
            weights = self.RENTED if rented else self.OWNED
            kinds = list(weights)
            w = [weights[k] * (1.4 if comp["kind"] == "old" and "elderly" in k else 1) for k in kinds]
            kind = rng.choices(kinds, weights=w)[0]
            members = self.household_people(rng, kind, floating)
            d[8] = False
            hid = self.households.new_id()
            head = members[0][0]
            confirmed = self.today - timedelta(days=rng.randint(0, 720))
            self.households.add(
                {
                    "id": hid,
                    "dwelling_id": d[0],
                    "kind": Household.Kind.FAMILY,
                    "head_id": head.id,
                    "is_active": True,
                    "last_confirmed_on": confirmed,
                    "last_confirmed_source": rng.choice(
                        ["入户走访", "网格员核实", "公安户籍比对", "居民自主登记"]
                    ),
                }
            )
            if comp["kind"] == "old":
                earliest = date(max(comp["built_year"], 1990), 1, 1).toordinal()
            else:
                earliest = date(comp["built_year"] + 1, 1, 1).toordinal()
            moved_in = date.fromordinal(
                rng.randint(max(earliest, tenancy_start) if rented else earliest, self.today.toordinal() - 30)
            )
            self.settle(rng, cid, d, hid, members, rented, moved_in, earliest, people, owners_here)
            households.append({"id": hid, "dwelling": d, "members": members, "kind": kind, "rented": rented})
            count += len(members)
            bar.update(len(members))
            if anchors.household is None and not rented and kind in ("couple_kids", "three_gen"):
                anchors.household, anchors.resident, anchors.building = hid, head.id, building["id"]
                anchors.grid = building["grid"]
        if anchors.household is None and households:
            h = households[0]
            anchors.household, anchors.resident = h["id"], h["members"][0][0].id
            anchors.building, anchors.grid = h["dwelling"][6]["id"], h["dwelling"][6]["grid"]
        return people, households

    def settle(self, rng, cid, d, hid, members, rented, moved_in, earliest, people, owners_here) -> None:
        """A household moves into dwelling `d`: its members and residencies, the owner of a let flat, and now and
        then someone registered here who lives elsewhere (人户分离)."""
        building = d[6]
        comp = building["compound"]
        head = members[0][0]
        for p, relation in members:
            p.dwelling, p.building, p.compound, p.unit = d[0], building, comp, d[1]
            people.append(p)
            self.members.add(
                {
                    "household_id": hid,
                    "person_id": p.id,
                    "relation": relation,
                    "joined_on": moved_in if p.born < moved_in else p.born,
                }
            )
            if rented:
                role = Residency.Role.TENANT
            elif relation in (Relation.HEAD, Relation.SPOUSE):
                role = Residency.Role.OWNER
            else:
                role = Residency.Role.OCCUPANT
            self.residencies.add(
                {
                    "person_id": p.id,
                    "dwelling_id": d[0],
                    "role": role,
                    "lives_here": True,
                    "since": max(moved_in, p.born),
                    "source": "入户走访",
                }
            )
        if rented:
            if owners_here and rng.random() < 0.6:
                owner = rng.choice(owners_here)  # owns a second flat here and lets it
            else:
                owner = self.outsider(rng, cid)
                people.append(owner)
            self.residencies.add(
                {
                    "person_id": owner.id,
                    "dwelling_id": d[0],
                    "role": Residency.Role.OWNER,
                    "lives_here": False,
                    "since": date.fromordinal(rng.randint(earliest, moved_in.toordinal())),
                    "source": "房产登记",
                }
            )
        else:
            owners_here.append(head)
            if rng.random() < 0.03:  # 人户分离: registered here, living elsewhere
                away = self.outsider(rng, cid, age=rng.randint(20, 40), surname=head.surname)
                people.append(away)
                self.residencies.add(
                    {
                        "person_id": away.id,
                        "dwelling_id": d[0],
                        "role": Residency.Role.REGISTERED,
                        "lives_here": False,
                        "since": away.born,
                        "source": "公安户籍",
                    }
                )

    def outsider(self, rng, cid, *, age=None, surname=None) -> P:
        """A person in the community's ledger who does not live in the street (an owner letting a flat)."""
        p = self.person(
            rng, age=age or rng.randint(30, 70), sex=rng.choice("MF"), origin=None, surname=surname
        )
        p.dwelling = None
        return p

    # -- tags, needs and the duty roster -------------------------------------------------------------------

    def roster(self, rng, ctx, people, households, buildings, compounds, anchors) -> None:
        """Tags and needs per household, then the duty roster: workers, grid workers, building leaders, party
        members, volunteers, sunk cadres (in this order: the random draws, and so the street, depend on it)."""
        self.roster_tags_and_needs(rng, households)
        duty = self.duty_writer(rng, ctx["cid"])
        residents = [p for p in people if p.dwelling is not None]
        adults = [p for p in residents if 25 <= p.age <= 55]
        rng.shuffle(adults)
        picked: set[int] = set()

        def pick(pool: Iterable[P]) -> P | None:
            for p in pool:
                if p.id not in picked:
                    picked.add(p.id)
                    return p
            return None

        self.roster_workers(ctx, households, adults, pick, duty, anchors)
        self.roster_buildings(residents, buildings, pick, duty, anchors)
        self.roster_party_and_volunteers(rng, ctx["cid"], residents, adults, duty, anchors)
        self.roster_sunk_cadres(rng, ctx["cid"], people, households, compounds, duty)

    def roster_tags_and_needs(self, rng, households) -> None:
        today = self.today
        tags, needs = self.tags, self.needs

        def tag(p: P, kind: str, grade: str = "", detail: str = "", since: date | None = None):
            tags.add(
                {
                    "person_id": p.id,
                    "kind": kind,
                    "grade": grade,
                    "detail": detail,
                    "since": since or (today - timedelta(days=rng.randint(30, 3000))),
                }
            )

        for h in households:
            members = h["members"]
            vulnerable = []
            dibao = rng.random() < (0.05 if h["dwelling"][6]["compound"]["kind"] == "old" else 0.02)
            if h["kind"] == "alone_elderly":
                elder = members[0][0]
                tag(elder, GroupTag.Kind.ALONE_ELDERLY)
                vulnerable.append(elder)
                if rng.random() < 0.18:
                    tag(elder, GroupTag.Kind.WIDOWED_ELDERLY, detail="无子女")
                    if rng.random() < 0.3:
                        tag(elder, GroupTag.Kind.TEKUN)
            elif h["kind"] == "elderly_couple":
                for p, _ in members:
                    tag(p, GroupTag.Kind.EMPTY_NEST)
            for p, _ in members:
                r = rng.random()
                if r < (0.025 if p.age < 40 else 0.06 if p.age < 60 else 0.13):
                    grade = rng.choices(["一级", "二级", "三级", "四级"], weights=[10, 20, 30, 40])[0]
                    tag(
                        p,
                        GroupTag.Kind.DISABLED,
                        grade=grade,
                        detail=rng.choice(["肢体", "视力", "听力", "言语", "智力", "精神"]) + "残疾",
                    )
                    vulnerable.append(p)
                if dibao:
                    tag(p, GroupTag.Kind.DIBAO)
                if p.age >= 40 and rng.random() < (0.38 if p.age >= 60 else 0.1):
                    tag(p, GroupTag.Kind.CHRONIC, detail=rng.choice(words.CHRONIC))
                if p.age < 3:
                    tag(p, GroupTag.Kind.INFANT, since=p.born)
                if p.age >= 80 and rng.random() < 0.15:
                    tag(p, GroupTag.Kind.BEDRIDDEN, grade=rng.choice(["失能", "半失能"]))
                    vulnerable.append(p)
                if p.sex == "M" and p.age >= 30 and rng.random() < 0.015:
                    tag(p, GroupTag.Kind.VETERAN)
                if p.age >= 18 and rng.random() < 0.004:
                    tag(p, GroupTag.Kind.MENTAL)
                if p.sex == "F" and 22 <= p.age <= 40 and rng.random() < 0.04:
                    tag(
                        p,
                        GroupTag.Kind.PREGNANT,
                        detail=rng.choice(["孕早期", "孕中期", "孕晚期", "产后42天内"]),
                    )
            if dibao:
                vulnerable.append(members[0][0])
            if vulnerable and rng.random() < 0.35:
                kind = rng.choice(["meals", "medicine", "care", "medical", "repair", "financial", "psych"])
                status = rng.choices(["open", "in_progress", "met", "closed"], weights=[35, 25, 30, 10])[0]
                needs.add(
                    {
                        "household_id": h["id"],
                        "person_id": vulnerable[0].id,
                        "kind": kind,
                        "detail": words.NEED_DETAILS[kind],
                        "status": status,
                    }
                )
            elif rng.random() < 0.02:
                needs.add(
                    {
                        "household_id": h["id"],
                        "person_id": None,
                        "kind": "repair",
                        "detail": words.NEED_DETAILS["repair"],
                        "status": "open",
                    }
                )

    def duty_writer(self, rng, cid: int) -> Callable[..., None]:
        today = self.today

        def duty(p: P, kind: str, place: dict, **extra) -> None:
            self.duties.add(
                {
                    "person_id": p.id,
                    "kind": kind,
                    "place_id": place["id"],
                    "grid_id": place.get("grid"),
                    "street_id": self.street_id,
                    "community_id": cid,
                    "compound_id": place.get("compound_id"),
                    "building_id": place.get("building_id"),
                    "since": today - timedelta(days=rng.randint(60, 2500)),
                    "is_active": True,
                    **extra,
                }
            )

        return duty

    def roster_workers(self, ctx, households, adults, pick, duty, anchors) -> None:
        cid = ctx["cid"]
        community = {"id": cid}
        n_workers = max(3, round(len(households) / 350))
        titles = ["社区党委书记、居委会主任", "社区党委副书记", "居委会副主任"]
        for i in range(n_workers):
            p = pick(adults)
            if p is None:
                break
            duty(
                p,
                Duty.Kind.COMMUNITY_WORKER,
                community,
                title=titles[i] if i < len(titles) else "社区专职工作者",
            )
            if i == 0:
                anchors.worker = p.id
        for gid in ctx["grids"]:
            p = pick(adults)
            if p is not None:
                duty(p, Duty.Kind.GRID_WORKER, {"id": cid, "grid": gid}, title="专职网格员")
                if gid == anchors.grid:
                    anchors.grid_worker = p.id

    def roster_buildings(self, residents, buildings, pick, duty, anchors) -> None:
        by_building: dict[int, list[P]] = {}
        for p in residents:
            by_building.setdefault(p.building["id"], []).append(p)
        for b in buildings:
            here = by_building.get(b["id"], [])
            place = {
                "id": b["id"],
                "grid": b["grid"],
                "compound_id": b["compound"]["id"],
                "building_id": b["id"],
            }
            leader = (
                pick(p for p in here if 35 <= p.age <= 72 and p.political == "party")
                or pick(p for p in here if 35 <= p.age <= 72)
                or pick(p for p in here if p.age >= 18)
            )
            if leader is not None:
                duty(leader, Duty.Kind.BUILDING_LEADER, place, title="楼栋长")
                if b["id"] == anchors.building:
                    anchors.leader = leader.id
            if b["number"] % 3 == 1:
                centre = next((p for p in here if p.political == "party" and p.age >= 30), None)
                if centre is not None:
                    duty(centre, Duty.Kind.PARTY_HOUSEHOLD, place, title="党员中心户")

    def roster_party_and_volunteers(self, rng, cid, residents, adults, duty, anchors) -> None:
        community = {"id": cid}
        companies = [
            "区人民医院",
            "成都某科技有限公司",
            "区第一中学",
            "市邮政分公司",
            "区税务局",
            "某银行支行",
            "区文化馆",
        ]
        for p in residents:
            if p.political != "party":
                continue
            b = p.building
            duty(
                p,
                Duty.Kind.PARTY_MEMBER,
                {
                    "id": b["id"],
                    "grid": b["grid"],
                    "compound_id": b["compound"]["id"],
                    "building_id": b["id"],
                },
            )
            if 23 <= p.age < 60 and p.occupation not in ("退休", "学生") and rng.random() < 0.25:
                duty(
                    p,
                    Duty.Kind.REPORTING_MEMBER,
                    community,
                    employer=rng.choice(companies),
                    title="在职党员报到",
                )
        for p in residents:
            if 18 <= p.age <= 72 and rng.random() < 0.025:
                c = p.building["compound"]
                duty(
                    p,
                    Duty.Kind.VOLUNTEER,
                    {"id": c["id"], "compound_id": c["id"]},
                    skills=rng.choice(words.VOLUNTEER_SKILLS),
                    title="志愿者",
                )
                if anchors.volunteer is None:
                    anchors.volunteer = p.id
        if anchors.volunteer is None and adults:
            p = adults[-1]
            duty(p, Duty.Kind.VOLUNTEER, community, skills="助老", title="志愿者")
            anchors.volunteer = p.id

    def roster_sunk_cadres(self, rng, cid, people, households, compounds, duty) -> None:
        risky = [c for c in compounds if c["three_without"]] or compounds
        for i in range(max(2, min(8, len(households) // 800))):
            cadre = self.outsider(rng, cid, age=rng.randint(26, 50))
            people.append(cadre)
            c = risky[i % len(risky)]
            duty(
                cadre,
                Duty.Kind.SUNK_CADRE,
                {"id": c["id"], "compound_id": c["id"]},
                employer=rng.choice(words.DEPARTMENTS_FOR_CADRES),
                title="下沉干部",
            )

    def write_people(self, people: list[P]) -> None:
        plain = [(p.id_plain, p.id_canon, p.phone, p.name) for p in people]
        if self.pool is not None and len(plain) > 4000:
            step = math.ceil(len(plain) / 8)
            parts = self.pool.map(protect, [plain[i : i + step] for i in range(0, len(plain), step)])
            protected = [row for part in parts for row in part]
        else:
            protected = protect(plain)
        cid = self.anchors[-1].community
        add = self.persons.add
        for p, sec in zip(people, protected, strict=True):
            add(
                {
                    "id": p.id,
                    "name": p.name,
                    "name_pinyin": sec[7],
                    "name_initials": sec[8],
                    "sex": p.sex,
                    "birth_date": p.born,
                    "ethnicity": p.ethnicity,
                    "id_type": p.id_type,
                    "id_number_encrypted": sec[0],
                    "id_number_hash": sec[1],
                    "id_number_masked": sec[2],
                    "phone_encrypted": sec[3],
                    "phone_hash": sec[4],
                    "phone_masked": sec[5],
                    "phone_tail": sec[6],
                    "phone_is_landline": False,
                    "hukou_region": p.hukou_region,
                    "hukou_is_local": p.local,
                    "political_status": p.political,
                    "education": p.education,
                    "occupation": p.occupation,
                    "is_deceased": False,
                    "notes": "",
                    "community_id": cid,
                    "home_id": p.dwelling,
                    "home_compound_id": p.compound["id"] if p.dwelling is not None else None,
                    "merged_into_id": None,
                }
            )

    # -- facilities (15-minute living circle) --------------------------------------------------------------

    def facilities(self) -> None:
        rng = random.Random(f"{self.seed}:facilities")
        kinds = [
            (Facility.Kind.SERVICE, "党群服务中心", 1.0, 5),
            (Facility.Kind.CLINIC, "社区卫生服务站", 0.9, 10),
            (Facility.Kind.MARKET, "农贸市场", 0.6, 12),
            (Facility.Kind.PHARMACY, "大药房", 0.95, 6),
            (Facility.Kind.ELDERLY, "日间照料中心", 0.7, 8),
            (Facility.Kind.SHELTER, "应急避难场所", 0.5, 15),
            (Facility.Kind.SCHOOL, "幼儿园", 0.8, 10),
        ]
        through = Facility.serves.through
        with transaction.atomic():
            for cid, compound_ids in self.facilities_later:
                name = Place.objects.only("name").get(pk=cid).name
                made = []
                for kind, label, p, minutes in kinds:
                    if rng.random() > p:
                        continue  # a gap in the 15-minute circle
                    place_id = rng.choice(compound_ids) if kind != Facility.Kind.SERVICE else cid
                    made.append(
                        Facility(
                            kind=kind,
                            name=f"{name.removesuffix('社区')}{label}",
                            place_id=place_id,
                            street_id=self.street_id,
                            community_id=cid,
                            compound_id=None if place_id == cid else place_id,
                            walk_minutes=minutes,
                        )
                    )
                Facility.objects.bulk_create(made)
                through.objects.bulk_create(
                    [
                        through(facility_id=f.pk, place_id=c)
                        for f in made
                        for c in compound_ids
                        if rng.random() < 0.8
                    ]
                )


# ------------------------------------------------------------------------------------------------ entry


def demo_street() -> Place | None:
    return Place.objects.filter(level=Level.STREET, name=STREET_NAME, division_code=STREET_CODE).first()


def null_progress(**kwargs):
    class Bar:
        def update(self, n=1):
            pass

        def close(self):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    return Bar()


def tqdm_progress(**kwargs):
    from tqdm import tqdm

    return tqdm(file=sys.stderr, dynamic_ncols=True, mininterval=0.5, **kwargs)


def build_street(
    *,
    residents: int = 30_000,
    seed_value: int = 2026,
    communities: int | None = None,
    progress: Callable[..., Any] | None = None,
    workers: int | None = None,
) -> tuple[Place, list[Anchors]]:
    """Build the demo street's places and ledger (no accounts, no other app's data: shequ.demo composes those).
    Returns the street and the anchors the demo accounts hang on."""
    if residents < 100:
        raise ValueError("residents must be at least 100")
    progress = progress or null_progress
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if residents >= 100_000 else 0
    pool = None
    if workers > 1:
        import multiprocessing

        pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        gen = Generator(
            residents=residents, seed=seed_value, communities=communities, progress=progress, pool=pool
        )
        street = gen.run()
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    gen.facilities()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Bulk-loaded tables: statistics for the planner, and a visibility map so index-only scans work.
        with connection.cursor() as cursor:
            for model in Generator.MODELS:
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
    return street, gen.anchors
