"""Phone numbers: mainland mobiles (1[3-9] + 9 digits) and landlines where a field allows them."""

from __future__ import annotations

import re

from django.utils.translation import gettext_noop


class PhoneError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


MOBILE_RE = re.compile(r"1[3-9]\d{9}")
LANDLINE_RE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,5})?")


def normalize(raw: str) -> str:
    table = str.maketrans("０１２３４５６７８９－", "0123456789-")
    value = re.sub(r"[\s()()]", "", (raw or "").translate(table))
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    return value


def parse(raw: str, *, allow_landline: bool = False) -> str:
    """The normalised number, or PhoneError with a Chinese message (the gettext_noop source: callers translate it)."""
    value = normalize(raw)
    if MOBILE_RE.fullmatch(value):
        return value
    if allow_landline and LANDLINE_RE.fullmatch(value):
        return value
    if allow_landline:
        raise PhoneError(gettext_noop("电话号码格式不正确:手机号为1[3-9]开头的11位数字,座机如 028-12345678"))
    raise PhoneError(gettext_noop("手机号格式不正确:应为1[3-9]开头的11位数字"))


def mask(value: str) -> str:
    """138****1234."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
