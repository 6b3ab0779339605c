"""Chinese identity numbers: GB 11643 (18 digits), legacy 15-digit, HK/Macao/Taiwan residence permits,
foreigners' permanent residence IDs. Pure functions, no Django."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue (makemessages looks for this name) without importing Django."""
    return message


WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

# Province-level prefixes of GB/T 2260 (first two digits), plus 81/82/83 for residence permits of
# Hong Kong, Macao and Taiwan residents, and 9 for the 2017 foreigners' permanent residence ID.
PROVINCE_CODES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
        83,
    }
)


class IdKind:
    RESIDENT = "resident"  # 居民身份证 (18)
    LEGACY = "legacy15"  # 一代身份证 (15)
    HKMO_TW_PERMIT = "permit"  # 港澳台居民居住证 (18, 810000/820000/830000)
    FOREIGN_PR = "foreign_pr"  # 外国人永久居留身份证 (2017 form, starts with 9)


@dataclass(frozen=True)
class IdInfo:
    normalized: str
    kind: str
    birth_date: date
    sex: str  # "M" or "F"
    region_code: str


class IdNumberError(ValueError):
    """A problem with an ID number; `message` is the Chinese source (marked with gettext_noop): a caller showing it
    to the user passes it through gettext, one storing it as data (an import row's reason) keeps it."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


_NORMALIZE = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")
_STRIP = re.compile(r"[\s\-]")
_SHAPE15 = re.compile(r"\d{15}")
_SHAPE18 = re.compile(r"\d{17}[\dX]")


def check_char(first17: str) -> str:
    if len(first17) != 17:
        raise ValueError("check_char needs 17 digits")
    return CHECK_CHARS[sum(map(int.__mul__, map(int, first17), WEIGHTS)) % 11]


def normalize(raw: str) -> str:
    """Strip spaces, full-width digits and a lower-case x."""
    return _STRIP.sub("", raw or "").translate(_NORMALIZE).upper()


def upgrade_15_to_18(number15: str) -> str:
    """The 18-digit form of a legacy 15-digit number (century 19 inserted, check digit added)."""
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_char(first17)


def _birth_date(yyyymmdd: str) -> date:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError as exc:
        raise IdNumberError("bad_birth_date", gettext_noop("身份证号中的出生日期不存在")) from exc
    if born.year < 1880 or born > date.today():
        raise IdNumberError("bad_birth_date", gettext_noop("身份证号中的出生日期不合理"))
    return born


def parse(raw: str) -> IdInfo:
    """Validate an identity number and derive birth date and sex. Raises IdNumberError."""
    number = normalize(raw)
    if not number:
        raise IdNumberError("empty", gettext_noop("请填写证件号码"))
    if _SHAPE15.fullmatch(number):
        if int(number[:2]) not in PROVINCE_CODES:
            raise IdNumberError("bad_region", gettext_noop("证件号码前两位不是有效的地区代码"))
        born = _birth_date("19" + number[6:12])
        sex = "M" if int(number[14]) % 2 else "F"
        return IdInfo(number, IdKind.LEGACY, born, sex, number[:6])
    if not _SHAPE18.fullmatch(number):
        raise IdNumberError("bad_shape", gettext_noop("证件号码应为18位(最后一位可为X)或15位数字"))
    if number[17] != check_char(number[:17]):
        raise IdNumberError("bad_check_digit", gettext_noop("证件号码校验位不正确,请核对"))
    born = _birth_date(number[6:14])
    sex = "M" if int(number[16]) % 2 else "F"
    if number[0] == "9":
        kind = IdKind.FOREIGN_PR
    elif number[:2] in {"81", "82", "83"} and number[2:6] == "0000":
        kind = IdKind.HKMO_TW_PERMIT
    else:
        if int(number[:2]) not in PROVINCE_CODES:
            raise IdNumberError("bad_region", gettext_noop("证件号码前两位不是有效的地区代码"))
        kind = IdKind.RESIDENT
    return IdInfo(number, kind, born, sex, number[:6])


def canonical(raw: str) -> str:
    """The form used for the keyed look-up hash: 15-digit numbers are upgraded so both forms match."""
    info = parse(raw)
    return upgrade_15_to_18(info.normalized) if info.kind == IdKind.LEGACY else info.normalized


def mask(number: str) -> str:
    """110***********1234 — first three and last four kept."""
    if not number:
        return ""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def make(region: str, born: date, sequence: int, *, female: bool) -> str:
    """Build a valid 18-digit number (for synthetic data and tests)."""
    seq = sequence % 1000
    if (seq % 2 == 1) == female:
        seq = (seq + 1) % 1000
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)
