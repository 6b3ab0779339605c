"""Column mapping for people imports: the standard target fields and suggestions from a file's headers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# The standard target fields of a people import, with the label a user sees.
FIELD_LABELS: dict[str, str] = {
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "id_number": "证件号码",
    "phone": "联系电话",
    "address": "居住地址",
    "hukou_region": "户籍地",
    "relation_to_head": "与户主关系",
    "household_key": "户编号",
    "role": "人员身份(业主/租户/居住/户籍)",
    "tags": "人员类别/标签",
    "notes": "备注",
    "source_record_id": "来源记录编号",
}
FIELDS: tuple[str, ...] = tuple(FIELD_LABELS)

# Synonyms as people write them in Chinese registers; the first of each list is the preferred header.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "姓名",
        "名字",
        "人员姓名",
        "居民姓名",
        "成员姓名",
        "家庭成员姓名",
        "业主姓名",
        "租户姓名",
        "name",
    ),
    "sex": ("性别", "男女", "sex", "gender"),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "生日", "出生时间", "birthdate", "birthday", "dob"),
    "ethnicity": ("民族", "族别", "ethnicity"),
    "id_number": (
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "公民身份证号码",
        "证件号码",
        "证件号",
        "身份证",
        "身份证件号码",
        "居民身份证号码",
        "idnumber",
        "idno",
    ),
    "phone": (
        "联系电话",
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "电话号码",
        "联系方式",
        "联系号码",
        "移动电话",
        "phone",
        "mobile",
        "tel",
    ),
    "address": (
        "居住地址",
        "住址",
        "现住址",
        "现居住地址",
        "现居住地",
        "家庭住址",
        "地址",
        "房号",
        "门牌号",
        "房屋地址",
        "房屋坐落",
        "居住房屋",
        "实际居住地址",
        "address",
    ),
    "hukou_region": ("户籍地", "户籍所在地", "户籍地址", "户口所在地", "户籍地详址", "户籍"),
    "relation_to_head": ("与户主关系", "与户主的关系", "家庭关系", "关系", "与户主关系名称"),
    "household_key": ("户编号", "户号", "家庭编号", "户籍编号", "户档案号", "户代码"),
    "role": ("人员身份", "业主/租户", "业主租户", "居住类型", "居住性质", "居住身份", "人员属性", "身份"),
    "tags": ("人员类别", "标签", "人员标签", "人员类型", "特殊人群", "重点人群", "类别", "人群类别"),
    "notes": ("备注", "说明", "其他说明", "notes", "remark"),
    "source_record_id": ("编号", "记录编号", "人员编号", "登记编号", "档案编号", "id", "recordid", "rec_id"),
}

# A head-of-household's name column: the person's name when nothing else is, else the household key.
_HEAD_NAME = ("户主姓名", "户主")

_BRACKETED = re.compile(r"[\((\[【<《].*?[\))\]】>》]")
_NOISE = re.compile(r"[\s\*※★☆::_\-—·.。、]")


def normalize_header(header: str) -> str:
    """Compare headers as people vary them: full-width forms, spaces, “(必填)”, asterisks, case."""
    text = unicodedata.normalize("NFKC", str(header or ""))
    text = _BRACKETED.sub("", text)
    text = text.replace("/", "/")
    return _NOISE.sub("", text).lower()


_EXACT: dict[str, str] = {normalize_header(s): field for field, syns in SYNONYMS.items() for s in syns}
# Longest synonyms first so “户籍地址” is tried before “地址”.
_CONTAINED: list[tuple[str, str]] = sorted(
    ((normalize_header(s), f) for f, syns in SYNONYMS.items() for s in syns if len(normalize_header(s)) >= 2),
    key=lambda pair: -len(pair[0]),
)


def _edit_distance_at_most_one(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def match_header(header: str) -> tuple[str | None, int]:
    """The field a header most likely means and how sure: 3 exact, 2 contains a synonym, 1 one edit off."""
    key = normalize_header(header)
    if not key:
        return None, 0
    if key in _EXACT:
        return _EXACT[key], 3
    if key in {normalize_header(h) for h in _HEAD_NAME}:
        return "name", 2
    for synonym, field in _CONTAINED:
        if synonym in key and len(synonym) * 2 >= len(key):
            return field, 2
    if len(key) >= 3:
        for synonym, field in _EXACT.items():
            if len(synonym) >= 3 and _edit_distance_at_most_one(key, synonym):
                return field, 1
    return None, 0


def is_known_header(header: str) -> bool:
    return match_header(header)[0] is not None


def suggest_mapping(headers: Iterable[str]) -> dict[str, str | None]:
    """Map each header to a standard field or None; each field goes to the header that fits it best.

    “户主姓名” is the person's name if no other column is, otherwise it identifies the household."""
    headers = list(headers)
    candidates: list[tuple[int, int, str, str]] = []
    for position, header in enumerate(headers):
        field, score = match_header(header)
        if field:
            candidates.append((-score, position, header, field))
    mapping: dict[str, str | None] = dict.fromkeys(headers)
    taken: set[str] = set()
    head_names = {normalize_header(h) for h in _HEAD_NAME}
    for _neg_score, _position, header, field in sorted(candidates):
        if mapping[header] is not None:
            continue
        if field in taken:
            if normalize_header(header) in head_names and "household_key" not in taken:
                mapping[header] = "household_key"
                taken.add("household_key")
            continue
        mapping[header] = field
        taken.add(field)
    return mapping


def apply_mapping(values: dict[str, str], mapping: dict[str, str | None]) -> dict[str, str]:
    """A source row's values keyed by standard field (unmapped columns left out)."""
    return {field: values.get(header, "") for header, field in mapping.items() if field}
