"""The row pipeline of an import: a batch's place context (address index + dwellings) read in a few flat queries,
and one function that turns a source row into what an ImportRow stores. Shared by the background task and the
benchmark (which runs it in worker processes), so it touches the database only in `PlaceContext.for_place`."""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shequ.core import idnumbers, phones, pii
from shequ.core.numerals import replace_numerals
from shequ.imports.parsing import PlaceIndex, validate_person_row
from shequ.imports.parsing.values import CellParsers

_UNIT_SUFFIX = re.compile(r"(单元|门)$")
_LONG_DIGITS = re.compile(r"\d{7}")

RELATIONS = {
    "本人": "head",
    "户主": "head",
    "配偶": "spouse",
    "妻子": "spouse",
    "丈夫": "spouse",
    "妻": "spouse",
    "夫": "spouse",
    "子": "child",
    "女": "child",
    "儿子": "child",
    "女儿": "child",
    "长子": "child",
    "次子": "child",
    "长女": "child",
    "次女": "child",
    "子女": "child",
    "养子": "child",
    "养女": "child",
    "父亲": "parent",
    "母亲": "parent",
    "父母": "parent",
    "父": "parent",
    "母": "parent",
    "孙子": "grandchild",
    "孙女": "grandchild",
    "外孙子": "grandchild",
    "外孙女": "grandchild",
    "祖父": "grandparent",
    "祖母": "grandparent",
    "外祖父": "grandparent",
    "外祖母": "grandparent",
    "兄": "sibling",
    "弟": "sibling",
    "姐": "sibling",
    "妹": "sibling",
    "哥哥": "sibling",
    "弟弟": "sibling",
    "姐姐": "sibling",
    "妹妹": "sibling",
    "兄弟姐妹": "sibling",
    "儿媳": "child_in_law",
    "女婿": "child_in_law",
    "儿媳/女婿": "child_in_law",
    "其他亲属": "relative",
    "非亲属": "non_relative",
    "保姆": "non_relative",
    "租客": "non_relative",
}

TAGS = {
    "独居老人": "alone_elderly",
    "独居": "alone_elderly",
    "孤寡老人": "widowed_elderly",
    "空巢老人": "empty_nest",
    "残疾": "disabled",
    "残疾人": "disabled",
    "低保": "dibao",
    "低保户": "dibao",
    "特困": "tekun",
    "特困供养": "tekun",
    "慢病": "chronic",
    "慢性病": "chronic",
    "孕产妇": "pregnant",
    "婴幼儿": "infant",
    "留守儿童": "left_behind_child",
    "退役军人": "veteran",
    "严重精神障碍": "mental",
    "失能": "bedridden",
    "半失能": "bedridden",
    "失能/半失能": "bedridden",
}


def unit_label(name: str) -> str:
    """“2单元” / “二单元” / “2” → “2”."""
    text = replace_numerals(_UNIT_SUFFIX.sub("", (name or "").strip()))
    return text.lstrip("0") or text


@dataclass
class PlaceContext:
    """The place tree under a batch's place, as plain data: the address index and the dwellings by
    (building, unit, room) and by (building, room) for addresses written without a unit."""

    index: PlaceIndex
    by_unit: dict[tuple[Hashable, str, str], int] = field(default_factory=dict)
    by_room: dict[tuple[Hashable, str], list[int]] = field(default_factory=dict)

    @classmethod
    def for_place(cls, place) -> PlaceContext:
        from shequ.places.models import Dwelling, Level, Place

        level_filter = {f"{place.level}_id": place.pk}
        compounds = Place.objects.filter(level=Level.COMPOUND, **level_filter).values_list("pk", "name")
        units: dict[int, list[str]] = {}
        for building_id, name in Place.objects.filter(level=Level.UNIT, **level_filter).values_list(
            "building_id", "name"
        ):
            units.setdefault(building_id, []).append(unit_label(name))
        buildings = [
            (compound_id, name, pk, units.get(pk) or None, floors)
            for compound_id, name, pk, floors in Place.objects.filter(
                level=Level.BUILDING, **level_filter
            ).values_list("compound_id", "name", "pk", "floors")
        ]
        prefixes = [
            n
            for n in Place.objects.filter(pk__in=[place.street_id, place.community_id]).values_list(
                "name", flat=True
            )
        ]
        index = PlaceIndex.from_rows(
            ((pk, name, ()) for pk, name in compounds), buildings, district_prefixes=prefixes
        )
        ctx = cls(index=index)
        for pk, building_id, unit_name, room in Dwelling.objects.filter(**level_filter).values_list(
            "pk", "building_id", "unit__name", "room"
        ):
            ctx.add_dwelling(pk, building_id, unit_name, room)
        return ctx

    def add_dwelling(self, pk: int, building_id: Hashable, unit_name: str, room: str) -> None:
        room = room.strip().upper()
        self.by_unit[(building_id, unit_label(unit_name), room)] = pk
        self.by_room.setdefault((building_id, room), []).append(pk)

    def dwelling_for(self, match) -> tuple[int | None, str | None]:
        """(dwelling id, None) or (None, the reason the address names no known dwelling)."""
        if match.building_key is None or match.room_label is None:
            return None, "地址不完整:请写到楼栋和房号(如 阳光花园3栋2单元501)"
        room = match.room_label.upper()
        if match.unit_label is not None:
            pk = self.by_unit.get((match.building_key, match.unit_label, room))
            if pk is None:
                return None, f"{match.label} 不是已登记的房屋,请核对房号(系统不会自动新建房屋)"
            return pk, None
        found = self.by_room.get((match.building_key, room), [])
        if len(found) == 1:
            return found[0], None
        if not found:
            return None, f"{match.label} 不是已登记的房屋,请核对房号(系统不会自动新建房屋)"
        return None, f"{match.label}:该楼栋有多个单元都有此房号,请写明单元"


def _masked_cells(raw: list[str]) -> list[str]:
    """The cells with anything that looks like an ID number or a mobile number masked (one pass over the row)."""
    joined = "\x1f".join(raw)
    if not _LONG_DIGITS.search(joined):
        return raw
    return pii.scrub(joined).split("\x1f")


def fingerprint(source_key: Any, values: Mapping[str, str]) -> str:
    """Keyed hash of the row's mapped content (order of columns and untouched columns do not matter)."""
    body = "\x1f".join(f"{k}={v.strip()}" for k, v in sorted(values.items()) if v and v.strip())
    return pii.keyed_hasher()("row", f"{source_key}\x1e{body}")


@dataclass(slots=True)
class RowResult:
    row_number: int
    status: str  # accepted / rejected (duplicates are decided by the caller, who knows what was imported)
    raw: list[str]
    sealed: str
    clean: dict[str, Any]
    reasons: list[list[str]]
    fingerprint: str
    dwelling_id: int | None


def process_row(
    row_number: int,
    raw: Sequence[str],
    values: Mapping[str, str],
    *,
    ctx: PlaceContext | None,
    source_key: Any,
    today: date | None = None,
    parsers: CellParsers | None = None,
) -> RowResult:
    """Validate one mapped row; resolve its address to a dwelling; seal the sensitive values.

    `values`: {standard field: cell text} (apply_mapping's result). An address that names no registered
    dwelling is a rejection reason, never a new place. `parsers`: `CellParsers.memoized(today)` shared by the
    rows of one file (the same results, faster). The clean document's keys are added in a fixed order."""
    clean, errors = validate_person_row(
        values, places=ctx.index if ctx else None, today=today, parsers=parsers
    )
    reasons = [[f, m] for f, m in errors]
    out: dict[str, Any] = {key: clean[key] for key in _PLAIN_KEYS if key in clean}
    if "birth_date" in clean:
        out["birth_date"] = clean["birth_date"].isoformat()
    _add_identity(out, clean)
    _add_household(out, clean, reasons)
    dwelling_id = _add_address(out, clean, reasons, ctx)
    raw_list = list(raw)
    secrets = {"raw": raw_list, "id": clean.get("id_number", ""), "phone": clean.get("phone", "")}
    return RowResult(
        row_number=row_number,
        status="rejected" if reasons else "accepted",
        raw=_masked_cells(raw_list),
        sealed=pii.seal(json.dumps(secrets, ensure_ascii=False)),
        clean=out,
        reasons=reasons,
        fingerprint=fingerprint(source_key, values),
        dwelling_id=dwelling_id,
    )


_PLAIN_KEYS = (
    "name",
    "sex",
    "ethnicity",
    "role",
    "household_key",
    "hukou_region",
    "notes",
    "source_record_id",
)


def _add_identity(out: dict[str, Any], clean: Mapping[str, Any]) -> None:
    """The ID number and phone as keyed hashes and masked forms (the plain values go only into the seal)."""
    keyed_hash = pii.keyed_hasher()
    if "id_number" in clean:
        out["id_hash"] = keyed_hash("id", clean["id_number_canonical"])
        out["id_masked"] = idnumbers.mask(clean["id_number"])
        out["id_kind"] = str(clean["id_kind"])
    if "phone" in clean:
        phone = clean["phone"]
        out["phone_hash"] = keyed_hash("phone", phones.normalize(phone).replace("-", ""))
        out["phone_masked"] = phones.mask(phone)
        out["phone_is_landline"] = not phones.MOBILE_RE.fullmatch(phone)


def _add_household(out: dict[str, Any], clean: Mapping[str, Any], reasons: list[list[str]]) -> None:
    """The relation to the head as its code (an unknown one is a reason), the tags as codes."""
    if "relation_to_head" in clean:
        relation = RELATIONS.get(clean["relation_to_head"])
        if relation is None:
            reasons.append(["relation_to_head", f"与户主关系“{clean['relation_to_head']}”无法识别"])
        else:
            out["relation_to_head"] = relation
    if clean.get("tags"):
        out["tags"] = sorted({TAGS[t] for t in clean["tags"] if t in TAGS})
        unknown = [t for t in clean["tags"] if t not in TAGS]
        if unknown:
            out["tags_unknown"] = unknown


def _add_address(
    out: dict[str, Any], clean: Mapping[str, Any], reasons: list[list[str]], ctx: PlaceContext | None
) -> int | None:
    """The resolved address and its registered dwelling (returned), or the reason it names none."""
    match = clean.get("address_match")
    if match is None:
        if "address" in clean and ctx is None:
            out["address"] = clean["address"]
        return None
    out["address"] = match.label
    dwelling_id, problem = ctx.dwelling_for(match)  # type: ignore[union-attr]  # a match implies a context
    if problem:
        reasons.append(["address", problem])
    else:
        out["dwelling"] = dwelling_id
    return dwelling_id
