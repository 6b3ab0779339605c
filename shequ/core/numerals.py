"""Chinese numerals as written in addresses and dates: 十二, 二十三, 两, and digit-by-digit 一五零二."""

from __future__ import annotations

import re

_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
NUMERAL_CHARS = "〇零一二两三四五六七八九十"
NUMERAL_RUN = re.compile(f"[{NUMERAL_CHARS}]+")


def chinese_to_int(text: str) -> int:
    """十 → 10, 十二 → 12, 二十 → 20, 二十三 → 23, 两 → 2; a run without 十 reads digit by digit (一五零二 → 1502)."""
    if not text or any(c not in NUMERAL_CHARS for c in text):
        raise ValueError(text)
    if "十" not in text:
        return int("".join(str(_DIGITS[c]) for c in text))
    tens_part, _, units_part = text.partition("十")
    if "十" in units_part or len(tens_part) > 1 or len(units_part) > 1:
        raise ValueError(text)
    tens = _DIGITS[tens_part] if tens_part else 1
    units = _DIGITS[units_part] if units_part else 0
    return tens * 10 + units


def replace_numerals(text: str) -> str:
    """Every run of Chinese numerals in `text` turned into Arabic digits (runs that are not numbers stay)."""

    def swap(match: re.Match[str]) -> str:
        try:
            return str(chinese_to_int(match.group(0)))
        except ValueError:
            return match.group(0)

    return NUMERAL_RUN.sub(swap, text)


_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER_CHARS = NUMERAL_CHARS + "百千"


def chinese_number(text: str) -> int | None:
    """Any written number up to the thousands, or None: '12' → 12, '十二' → 12, '三' → 3, '一百零一' → 101,
    '二〇五' → 205 (a run without units reads digit by digit). For parsers that read one token known to be a
    number (a building, unit or room); `replace_numerals` stays with 十 only, so 百花园 is not a number."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _NUMBER_CHARS for c in text):
        return None
    if not any(c in _UNITS for c in text):
        return int("".join(str(_DIGITS[c]) for c in text))
    total, current = 0, 0
    for c in text:
        if c in _DIGITS:
            current = _DIGITS[c]
        else:
            total += (current or 1) * _UNITS[c]
            current = 0
    return total + current
