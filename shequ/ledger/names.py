"""Personal names read as pinyin (a parser, no writes): surnames by their surname reading, for search and
linkage."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

# pypinyin reads these by their common reading; as surnames they are read otherwise.
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "仇": "qiu",
    "解": "xie",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "尉": "yu",
    "乐": "yue",
    "缪": "miao",
    "覃": "qin",
    "翟": "zhai",
    "长": "chang",
    "种": "chong",
    "员": "yun",
    "秘": "bi",
    "重": "chong",
    "折": "she",
    "繁": "po",
    "纪": "ji",
    "任": "ren",
    "沈": "shen",
    "薄": "bo",
}
COMPOUND_SURNAMES = {
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "司徒",
    "万俟",
    "长孙",
    "宇文",
    "夏侯",
    "轩辕",
    "端木",
    "独孤",
    "南宫",
    "西门",
    "澹台",
    "申屠",
}
COMPOUND_READINGS = {"尉迟": ["yu", "chi"], "万俟": ["mo", "qi"], "长孙": ["zhang", "sun"]}


def name_syllables(name: str) -> list[str]:
    """Pinyin syllables of a personal name, reading the surname as a surname."""
    name = (name or "").strip()
    if not name:
        return []
    if name[:2] in COMPOUND_SURNAMES:
        head = COMPOUND_READINGS.get(name[:2]) or lazy_pinyin(name[:2])
        return head + lazy_pinyin(name[2:], style=Style.NORMAL)
    first = SURNAME_READINGS.get(name[0]) or lazy_pinyin(name[0])[0]
    return [first] + lazy_pinyin(name[1:], style=Style.NORMAL)


def name_pinyin(name: str) -> tuple[str, str]:
    """('zhangwei', 'zw') for 张伟; Latin names come back lower-cased without spaces."""
    syllables = [s.lower() for s in name_syllables(name) if s.strip()]
    full = "".join(ch for ch in "".join(syllables) if ch.isalnum())
    initials = "".join(s[0] for s in syllables if s and s[0].isalnum())
    return full[:120], initials[:20]
