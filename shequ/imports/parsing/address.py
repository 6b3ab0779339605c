"""Address parsing against the place tree given as plain data: compound → building → unit → room."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from shequ.core.numerals import replace_numerals


class AddressError(ValueError):
    """An address that names no known place, or that cannot be read; `message` is shown to the user."""

    def __init__(self, message: str, *, code: str = "unknown_place"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class AddressMatch:
    compound_key: Hashable
    building_key: Hashable | None
    building_label: str | None
    unit_label: str | None
    room_label: str | None
    floor: int | None
    label: str  # the dwelling as shequ writes it: 阳光花园3栋2单元501
    ignored_prefix: str = ""  # text before the compound name that matched no known prefix (a road, …)


@dataclass(frozen=True, slots=True)
class _Building:
    key: Hashable
    label: str
    units: frozenset[str] | None  # None: not known, any unit accepted
    floors: int | None


@dataclass(frozen=True, slots=True)
class _Compound:
    key: Hashable
    name: str
    buildings: Mapping[str, _Building]


_DASHES = str.maketrans({c: "-" for c in "—–－‐‑‒―─━~～_"})


def normalize_address(text: str) -> str:
    """Full-width forms to ASCII, dashes unified, spaces and punctuation that carries nothing removed."""
    text = unicodedata.normalize("NFKC", text or "").translate(_DASHES)
    text = re.sub(r"[\s,,。、::()()\[\]【】]", "", text)
    return text.upper()


def building_label(raw: Any) -> str:
    """“12”, “12栋”, “十二号楼”, “12#” → “12”; “A座” → “A”."""
    text = replace_numerals(normalize_address(str(raw)))
    text = re.sub(r"(号楼|#楼|栋|幢|号|楼|座|#)$", "", text)
    return text.lstrip("0") or text


# After the compound name: words that only say “compound” or “estate”.
_AFTER_COMPOUND = re.compile(r"^(?:小区|社区|住宅区|生活区|宿舍区|-)+")
_BUILDING = re.compile(r"^(?P<b>\d+[A-Z]?|[A-Z]\d*)(?:号楼|#楼|栋楼|栋|幢|号|楼|座|#|-)")
_UNIT = re.compile(r"^(?P<u>\d+)(?:单元|门|-)")
_FLOOR = re.compile(r"^(?P<f>\d+)(?:层|楼)(?=\d)")
_ROOM = re.compile(r"^(?P<r>\d+[A-Z]?)(?:室|号房|号|户)?$")


class PlaceIndex:
    """Compounds with their buildings, read once from the place tree, to resolve many addresses fast."""

    def __init__(
        self, compounds: Iterable[_Compound], aliases: Mapping[str, Hashable], prefixes: Iterable[str]
    ):
        self._compounds = {c.key: c for c in compounds}
        self._aliases = dict(aliases)
        by_first: dict[str, list[str]] = {}
        for alias in sorted(self._aliases, key=len, reverse=True):
            by_first.setdefault(alias[0], []).append(alias)
        self._by_first = by_first
        self._prefixes = sorted({normalize_address(p) for p in prefixes if p}, key=len, reverse=True)
        self.resolve = lru_cache(maxsize=65536)(self._resolve)  # households repeat addresses

    @classmethod
    def from_compounds(
        cls, compounds: Iterable[Mapping[str, Any]], *, district_prefixes: Iterable[str] = ()
    ) -> PlaceIndex:
        """`compounds`: [{"key": k, "name": "阳光花园", "aliases": [...], "buildings": {"3": key, ...}}].

        A building value may be a key, or {"key": k, "units": 2 | ["1", "2"], "floors": 18} so that a unit or
        floor that does not exist is refused. `district_prefixes`: names that may precede a compound
        (省、市、区、街道、社区 names); they are removed before matching."""
        built: list[_Compound] = []
        aliases: dict[str, Hashable] = {}
        for item in compounds:
            buildings: dict[str, _Building] = {}
            for raw_label, value in (item.get("buildings") or {}).items():
                label = building_label(raw_label)
                if isinstance(value, Mapping):
                    units = value.get("units")
                    if isinstance(units, int):
                        unit_set: frozenset[str] | None = frozenset(str(n) for n in range(1, units + 1))
                    elif units:
                        unit_set = frozenset(building_label(u) for u in units)
                    else:
                        unit_set = None
                    buildings[label] = _Building(value["key"], label, unit_set, value.get("floors"))
                else:
                    buildings[label] = _Building(value, label, None, None)
            compound = _Compound(item["key"], str(item["name"]), buildings)
            built.append(compound)
            names = [compound.name, *(item.get("aliases") or ())]
            for name in names:
                for variant in {normalize_address(name), normalize_address(name).removesuffix("小区")}:
                    if not variant:
                        continue
                    if variant in aliases and aliases[variant] != compound.key:
                        aliases[variant] = _AMBIGUOUS
                    else:
                        aliases[variant] = compound.key
        return cls(built, aliases, district_prefixes)

    @classmethod
    def from_rows(
        cls,
        compounds: Iterable[tuple[Hashable, str, Iterable[str]]],
        buildings: Iterable[tuple[Hashable, str, Hashable, int | Iterable[str] | None, int | None]],
        *,
        district_prefixes: Iterable[str] = (),
    ) -> PlaceIndex:
        """Built from two flat queries, e.g. `values_list("pk", "name", "aliases")` over compounds and
        `values_list("parent_id", "label", "pk", "unit_count", "floor_count")` over buildings."""
        by_compound: dict[Hashable, dict[str, Any]] = {}
        for compound_key, label, key, units, floors in buildings:
            by_compound.setdefault(compound_key, {})[label] = {"key": key, "units": units, "floors": floors}
        return cls.from_compounds(
            (
                {
                    "key": key,
                    "name": name,
                    "aliases": list(aliases or ()),
                    "buildings": by_compound.get(key, {}),
                }
                for key, name, aliases in compounds
            ),
            district_prefixes=district_prefixes,
        )

    def _find_compound(self, text: str) -> tuple[_Compound, str, str]:
        for start in range(len(text)):
            for alias in self._by_first.get(text[start], ()):
                if text.startswith(alias, start):
                    key = self._aliases[alias]
                    if key is _AMBIGUOUS:
                        raise AddressError(f"地址中的“{alias}”对应不止一个小区,请写全称", code="ambiguous")
                    return self._compounds[key], text[:start], text[start + len(alias) :]
        raise AddressError("地址中没有本辖区已登记的小区名称", code="unknown_compound")

    def _resolve(self, raw: str) -> AddressMatch:
        text = normalize_address(raw)
        if not text:
            raise AddressError("地址为空", code="empty")
        changed = True
        while changed:
            changed = False
            for prefix in self._prefixes:
                if text.startswith(prefix) and len(text) > len(prefix):
                    text = text[len(prefix) :]
                    changed = True
        compound, before, rest = self._find_compound(text)
        rest = replace_numerals(_AFTER_COMPOUND.sub("", rest))
        return self._resolve_in(compound, rest, before)

    def _resolve_in(self, compound: _Compound, rest: str, before: str) -> AddressMatch:
        building = unit = room = None
        floor: int | None = None
        if match := _BUILDING.match(rest):
            # “12-1502”: the dash after a building; a bare number before “-” is a building too.
            building = match.group("b").lstrip("0") or match.group("b")
            rest = rest[match.end() :].lstrip("-")
            if match := _UNIT.match(rest):
                unit = match.group("u").lstrip("0") or match.group("u")
                rest = rest[match.end() :].lstrip("-")
            if match := _FLOOR.match(rest):
                floor = int(match.group("f"))
                rest = rest[match.end() :]
            if rest:
                if not (match := _ROOM.match(rest)):
                    raise AddressError(f"无法识别地址中“{rest}”部分(应为 楼栋-单元-房号)", code="unreadable")
                room = match.group("r")
        elif rest:
            raise AddressError(f"无法识别地址中“{rest}”部分(应为 楼栋-单元-房号)", code="unreadable")

        building_key = None
        if building is not None:
            known = compound.buildings.get(building)
            if known is None:
                raise AddressError(f"{compound.name}没有{building}栋", code="unknown_building")
            building_key = known.key
            if unit is not None and known.units is not None and unit not in known.units:
                raise AddressError(f"{compound.name}{building}栋没有{unit}单元", code="unknown_unit")
            if room is not None and floor is None:
                digits = re.match(r"\d+", room)
                if digits and len(digits.group(0)) >= 3:
                    floor = int(digits.group(0)[:-2])
            if floor is not None and known.floors is not None and not 1 <= floor <= known.floors:
                raise AddressError(
                    f"{compound.name}{building}栋只有{known.floors}层,房号{room}不存在", code="unknown_floor"
                )
        elif compound.buildings and rest:
            raise AddressError("地址中缺少楼栋号", code="no_building")

        label = compound.name
        if building is not None:
            label += f"{building}栋"
        if unit is not None:
            label += f"{unit}单元"
        if room is not None:
            label += room
        return AddressMatch(compound.key, building_key, building, unit, room, floor, label, before)


class _AmbiguousMarker:
    def __repr__(self) -> str:
        return "<ambiguous>"


_AMBIGUOUS: Any = _AmbiguousMarker()
