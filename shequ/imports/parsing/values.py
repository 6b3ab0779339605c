"""Cell-value parsers for people imports: dates, sex, ID numbers, phones, ethnicity, and a whole row."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from shequ.core import idnumbers, phones
from shequ.core.numerals import chinese_to_int


class ParseError(ValueError):
    """A value that cannot be read; `message` is shown to the user and names the field."""

    def __init__(self, field: str, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


class PartialDateError(ParseError):
    """Only year and month were given (common in “出生年月” columns)."""

    def __init__(self, field: str, message: str, *, year: int, month: int):
        super().__init__(field, message, code="partial_date")
        self.year = year
        self.month = month


def clean_text(value: Any) -> str:
    """A cell as text: None → "", integral floats without “.0”, surrounding and full-width spaces gone."""
    if type(value) is str:
        return value.strip()  # str.strip() removes full-width and no-break spaces too
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# Excel's day 0 is 1899-12-30 once the 1900 leap-year bug is accounted for (serials 61 onward).
_EXCEL_EPOCH = date(1899, 12, 30)
_MAX_EXCEL_SERIAL = 2958465  # 9999-12-31

_CN_DIGITS = "〇零一二三四五六七八九"
_YMD = re.compile(r"(\d{4})\s*[./\-年]\s*(\d{1,2})\s*[./\-月]\s*(\d{1,2})\s*[日号]?\.?")
_YM = re.compile(r"(\d{4})\s*[./\-年]\s*(\d{1,2})\s*月?\.?")
_SHORT_YEAR = re.compile(r"(\d{2})\s*[./\-年]\s*(\d{1,2})\s*[./\-月]\s*(\d{1,2})\s*日?")
_SERIAL = re.compile(r"\d{1,7}(\.\d+)?")
_TIME_TAIL = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def excel_serial_to_date(serial: float) -> date:
    """The calendar date of an Excel (1900 system) serial number; the time of day is dropped."""
    days = int(serial)
    if days == 60:
        raise ValueError("1900-02-29 does not exist")
    if days < 60:
        days += 1
    return _EXCEL_EPOCH + timedelta(days=days)


def _chinese_year_date(text: str) -> str:
    """一九五六年三月七日 → 1956年3月7日."""
    match = re.fullmatch(
        r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月(?:([一二三四五六七八九十]{1,3})[日号])?",
        text,
    )
    if not match:
        return text
    year = "".join(str(_CN_DIGITS.index(c) - 1 if c != "〇" else 0) for c in match.group(1))
    result = f"{year}年{chinese_to_int(match.group(2))}月"
    if match.group(3):
        result += f"{chinese_to_int(match.group(3))}日"
    return result


def parse_date(
    value: Any,
    *,
    field: str = "birth_date",
    label: str = "出生日期",
    earliest: date = date(1880, 1, 1),
    latest: date | None = None,
) -> date:
    """A date as people type it: 1956.3.7, 1956-03-07, 1956/3/7, 1956年3月7日, 19560307, an Excel
    serial number (20522 or 20522.0), or a date/datetime object. Two-digit years are refused."""
    latest = latest or date.today()
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    else:
        if isinstance(value, int | float) and not isinstance(value, bool):
            text = repr(float(value)) if isinstance(value, float) else str(value)
        else:
            text = _TIME_TAIL.sub("", unicodedata.normalize("NFKC", clean_text(value))).replace(" ", "")
        if not text:
            raise ParseError(field, f"{label}为空", code="empty")
        text = _chinese_year_date(text)
        result = _parse_date_text(text, field=field, label=label)
    if result < earliest or result > latest:
        raise ParseError(field, f"{label}“{result.isoformat()}”不在合理范围内", code="out_of_range")
    return result


def _parse_date_text(text: str, *, field: str, label: str) -> date:
    def build(year: int, month: int, day: int) -> date:
        try:
            return date(year, month, day)
        except ValueError:
            raise ParseError(field, f"{label}“{text}”不是存在的日期", code="no_such_date") from None

    if match := _YMD.fullmatch(text):
        return build(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if re.fullmatch(r"\d{8}", text):
        return build(int(text[:4]), int(text[4:6]), int(text[6:]))
    if match := _YM.fullmatch(text):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise ParseError(field, f"{label}“{text}”的月份不存在", code="no_such_date")
        raise PartialDateError(field, f"{label}“{text}”只有年月,缺少日", year=year, month=month)
    if re.fullmatch(r"\d{6}", text) and 1 <= int(text[4:]) <= 12 and text[:2] in {"19", "20"}:
        raise PartialDateError(
            field, f"{label}“{text}”只有年月,缺少日", year=int(text[:4]), month=int(text[4:])
        )
    if _SHORT_YEAR.fullmatch(text):
        raise ParseError(
            field,
            f"{label}“{text}”的年份只有两位,无法确定是19xx年还是20xx年,请写四位年份(如1956.3.7)",
            code="two_digit_year",
        )
    if re.fullmatch(r"(18|19|20)\d{2}", text):
        raise ParseError(field, f"{label}“{text}”只有年份,缺少月和日", code="year_only")
    if _SERIAL.fullmatch(text):
        serial = float(text)
        if 1 <= serial <= _MAX_EXCEL_SERIAL:
            try:
                return excel_serial_to_date(serial)
            except ValueError:
                pass
    raise ParseError(
        field, f"{label}“{text}”无法识别,请写成 1956-03-07、1956.3.7 或 1956年3月7日", code="bad_format"
    )


_SEX = {
    "男": "M",
    "男性": "M",
    "m": "M",
    "male": "M",
    "1": "M",
    "女": "F",
    "女性": "F",
    "f": "F",
    "female": "F",
    "2": "F",
}


def parse_sex(value: Any) -> str:
    """“M” or “F” from 男/女/男性/女性/M/F/1/2 (GB/T 2261.1 codes)."""
    text = unicodedata.normalize("NFKC", clean_text(value)).lower()
    if text in _SEX:
        return _SEX[text]
    raise ParseError("sex", f"性别“{clean_text(value)}”无法识别,应为“男”或“女”")


_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")


def parse_id_number(value: Any) -> idnumbers.IdInfo:
    """The ID number checked by shequ.core.idnumbers; Excel's scientific notation is named as the cause."""
    text = clean_text(value)
    if _SCIENTIFIC.fullmatch(text):
        raise ParseError(
            "id_number",
            "证件号码被 Excel 存成了数字(科学计数法),后几位已经丢失;请把该列设为“文本”后重新录入",
            code="scientific",
        )
    try:
        return idnumbers.parse(text)
    except idnumbers.IdNumberError as exc:
        message = exc.message
        if exc.code == "bad_check_digit" and text.endswith("000"):
            message += "(号码末尾是000,可能被Excel当成数字保存而丢失了后几位;请把该列设为“文本”后重新录入)"
        raise ParseError("id_number", message, code=exc.code) from None


_PHONE_SPLIT = re.compile(r"[/,,;;、]|\s{2,}")


def parse_phones(value: Any) -> list[str]:
    """One or more phone numbers in a cell (“138…/139…”); each must be a mobile or a landline."""
    text = clean_text(value)
    if phones.MOBILE_RE.fullmatch(text):  # the usual cell: one plain mobile, already in normal form
        return [text]
    parts = [p for p in _PHONE_SPLIT.split(text) if p.strip()]
    numbers = []
    for part in parts:
        try:
            numbers.append(phones.parse(part, allow_landline=True))
        except phones.PhoneError as exc:
            raise ParseError("phone", f"联系电话“{phones.mask(part.strip())}”:{exc.message}") from None
    if not numbers:
        raise ParseError("phone", "联系电话为空", code="empty")
    return numbers


# GB/T 3304 order; the index + 1 is the code (01 汉族 … 56 基诺族).
ETHNIC_GROUPS: tuple[str, ...] = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族",
    "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族",
    "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
)  # fmt: skip
_ETHNIC_OTHER = {
    "其他": "其他",
    "其它": "其他",
    "外国血统": "外国血统中国籍人士",
    "外国血统中国籍人士": "外国血统中国籍人士",
}
_ETHNIC_ALIASES = {"维族": "维吾尔族", "蒙族": "蒙古族", "僮族": "壮族", "布衣族": "布依族", "汗族": "汉族"}
_ETHNIC_LOOKUP: dict[str, str] = {}
for _code, _name in enumerate(ETHNIC_GROUPS, start=1):
    _ETHNIC_LOOKUP[_name] = _name
    _ETHNIC_LOOKUP[_name.removesuffix("族")] = _name
    _ETHNIC_LOOKUP[f"{_code:02d}"] = _name
    _ETHNIC_LOOKUP[str(_code)] = _name
_ETHNIC_LOOKUP.update(_ETHNIC_ALIASES)
_ETHNIC_LOOKUP.update(_ETHNIC_OTHER)
_ETHNIC_LOOKUP.update({"97": "其他", "98": "外国血统中国籍人士"})


def parse_ethnicity(value: Any) -> str:
    """The standard name of one of the 56 ethnic groups (汉/汉族/01 → 汉族), or 其他/外国血统中国籍人士."""
    text = unicodedata.normalize("NFKC", clean_text(value)).replace(" ", "")
    if text in _ETHNIC_LOOKUP:
        return _ETHNIC_LOOKUP[text]
    raise ParseError("ethnicity", f"民族“{text}”不在56个民族之列,请写标准名称(如“汉族”“回族”)")


ROLES = {"owner": "业主", "tenant": "租户", "occupant": "居住人", "registered": "户籍人口"}
_ROLE_WORDS = {
    "owner": ("业主", "产权人", "房主", "屋主", "owner"),
    "tenant": ("租户", "租客", "承租人", "租住", "出租", "tenant"),
    "occupant": ("居住", "实际居住", "常住", "借住", "同住", "居住人", "暂住", "occupant"),
    "registered": ("户籍", "户籍人口", "在册", "人户分离", "registered"),
}
_ROLE_LOOKUP = {word: role for role, words in _ROLE_WORDS.items() for word in words}


def parse_role(value: Any) -> str:
    text = unicodedata.normalize("NFKC", clean_text(value)).replace(" ", "").lower()
    if text in _ROLE_LOOKUP:
        return _ROLE_LOOKUP[text]
    for word, role in sorted(_ROLE_LOOKUP.items(), key=lambda item: -len(item[0])):
        if word in text:
            return role
    raise ParseError("role", f"人员身份“{text}”无法识别,应为业主、租户、居住人或户籍人口")


_NAME_DOTS = re.compile(r"[•・.·‧∙⋅]")
_SPACE_BETWEEN_HAN = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")


def parse_name(value: Any) -> str:
    """A person's name: spaces between Chinese characters removed, the middle dot of 阿依古丽·买买提 unified."""
    text = unicodedata.normalize("NFKC", clean_text(value))
    text = _NAME_DOTS.sub("·", text)
    if " " in text or "\t" in text:
        text = _SPACE_BETWEEN_HAN.sub("", text)
        text = _SPACES.sub(" ", text).strip()
    if not text:
        raise ParseError("name", "姓名为空", code="empty")
    if _DIGIT.search(text):
        raise ParseError("name", "姓名中含有数字,可能填错了列")
    if len(text) > 50:
        raise ParseError("name", "姓名超过50个字")
    return text


_RELATION_ALIASES = {"户主": "本人", "本人(户主)": "本人", "妻": "妻子", "夫": "丈夫", "爱人": "配偶"}


def parse_relation(value: Any) -> str:
    text = unicodedata.normalize("NFKC", clean_text(value)).replace(" ", "")
    return _RELATION_ALIASES.get(text, text)


_TAG_SPLIT = re.compile(r"[,,、;;/|\s]+")


def parse_tags(value: Any) -> list[str]:
    text = unicodedata.normalize("NFKC", clean_text(value))
    return [tag for tag in _TAG_SPLIT.split(text) if tag]


_PARSERS_FOR_TEXT = ("address", "hukou_region", "household_key", "notes", "source_record_id")


def _outcome(parser: Any) -> Any:
    """The parser as a function returning (value, None) or (None, the ParseError) instead of raising."""

    def call(value: Any) -> tuple[Any, ParseError | None]:
        try:
            return parser(value), None
        except ParseError as exc:
            return None, exc

    return call


def _memoized(parser: Any, limit: int) -> Any:
    """`_outcome(parser)` remembering up to `limit` distinct cell texts (the parsers are pure functions)."""
    outcome = _outcome(parser)
    cache: dict[str, tuple[Any, ParseError | None]] = {}

    def call(value: Any) -> tuple[Any, ParseError | None]:
        if type(value) is not str:
            return outcome(value)
        found = cache.get(value)
        if found is None:
            found = outcome(value)
            if len(cache) < limit:
                cache[value] = found
        return found

    return call


class CellParsers:
    """The cell parsers of `validate_person_row`, each returning (value, error). `CellParsers.memoized(today)`
    remembers the outcome per distinct cell text, for big files where sexes, relations, roles, birth dates and
    ethnic groups repeat on every row; ID numbers and phones (distinct per person) are not memoised. The
    outcome is the same either way: every parser is a pure function of its cell (and of `today`)."""

    def __init__(self, *, today: date | None, memo_limit: int = 0):
        latest = today

        def birth(value: Any) -> date:
            return parse_date(value, latest=latest or date.today())

        wrap = (lambda f: _memoized(f, memo_limit)) if memo_limit else _outcome
        self.name = wrap(parse_name)
        self.sex = wrap(parse_sex)
        self.ethnicity = wrap(parse_ethnicity)
        self.role = wrap(parse_role)
        self.tags = wrap(parse_tags)
        self.relation_to_head = wrap(parse_relation)
        self.birth_date = wrap(birth)
        self.phone = _outcome(parse_phones)
        self.id_number = _outcome(parse_id_number)

    @classmethod
    def memoized(cls, today: date, limit: int = 200_000) -> CellParsers:
        return cls(today=today, memo_limit=limit)


def validate_person_row(
    values: Mapping[str, Any],
    *,
    places: Any = None,
    required: tuple[str, ...] = ("name",),
    today: date | None = None,
    parsers: CellParsers | None = None,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Check one row of standard fields; return the clean values and ALL errors as (field, message).

    Birth date and sex are taken from the ID number when missing, and must agree with it when given.
    With `places` (an address.PlaceIndex) the address is resolved; an unknown place is an error.
    `parsers`: a `CellParsers.memoized(today)` shared by the rows of one file (same results, faster)."""
    row = _PersonRow(values, parsers or CellParsers(today=today))
    row.require(required)
    row.parse_cells()
    id_info = row.parse_id_number()
    birth_partial = row.parse_birth_date()
    if id_info is not None:
        row.birth_against_id(id_info, birth_partial)
        row.sex_against_id(id_info)
    elif birth_partial is not None:
        row.errors.append(("birth_date", birth_partial.message))
    if places is not None:
        row.resolve_address(places)
    return row.clean, row.errors


class _PersonRow:
    """The steps of `validate_person_row` over one row's cell texts, collecting clean values and errors (the
    order of the errors is the order of the steps)."""

    def __init__(self, values: Mapping[str, Any], parsers: CellParsers) -> None:
        self.values = values
        self.parsers = parsers
        self.text = {field: clean_text(v) for field, v in values.items() if v is not None}
        self.clean: dict[str, Any] = {}
        self.errors: list[tuple[str, str]] = []

    def require(self, required: tuple[str, ...]) -> None:
        for field in required:
            if not self.text.get(field):
                from .mapping import FIELD_LABELS

                self.errors.append((field, f"{FIELD_LABELS.get(field, field)}为必填项,不能为空"))

    def _attempt(self, field: str, parser: Any) -> None:
        if not self.text.get(field):
            return
        value, exc = parser(self.text[field])
        if exc is None:
            self.clean[field] = value
        else:
            self.errors.append((exc.field or field, exc.message))

    def parse_cells(self) -> None:
        """The fields read on their own: name, sex, ethnicity, role, tags, relation, phones, and the free text."""
        parsers, text = self.parsers, self.text
        self._attempt("name", parsers.name)
        self._attempt("sex", parsers.sex)
        self._attempt("ethnicity", parsers.ethnicity)
        self._attempt("role", parsers.role)
        self._attempt("tags", parsers.tags)
        self._attempt("relation_to_head", parsers.relation_to_head)
        if text.get("phone"):
            numbers, exc = parsers.phone(text["phone"])
            if exc is None:
                self.clean["phone"] = numbers[0]
                if len(numbers) > 1:
                    self.clean["phone_others"] = numbers[1:]
            else:
                self.errors.append((exc.field, exc.message))
        for field in _PARSERS_FOR_TEXT:
            if text.get(field):
                self.clean[field] = text[field]

    def parse_id_number(self) -> idnumbers.IdInfo | None:
        if not self.text.get("id_number"):
            return None
        id_info, exc = self.parsers.id_number(self.text["id_number"])
        if exc is not None:
            self.errors.append((exc.field, exc.message))
            return None
        self.clean["id_number"] = id_info.normalized
        self.clean["id_number_canonical"] = (
            idnumbers.upgrade_15_to_18(id_info.normalized)
            if id_info.kind == idnumbers.IdKind.LEGACY
            else id_info.normalized
        )
        self.clean["id_kind"] = id_info.kind
        return id_info

    def parse_birth_date(self) -> PartialDateError | None:
        """The birth date cell; a year-and-month only date is returned, for the ID number to complete."""
        if not self.text.get("birth_date"):
            return None
        born, exc = self.parsers.birth_date(self.values["birth_date"])
        if exc is None:
            self.clean["birth_date"] = born
        elif isinstance(exc, PartialDateError):
            return exc
        else:
            self.errors.append((exc.field, exc.message))
        return None

    def birth_against_id(self, id_info: idnumbers.IdInfo, birth_partial: PartialDateError | None) -> None:
        """The birth date agrees with the ID number's, or is taken from it (a partial one too, when its year and
        month agree)."""
        born = self.clean.get("birth_date")
        if birth_partial is not None:
            if (birth_partial.year, birth_partial.month) == (
                id_info.birth_date.year,
                id_info.birth_date.month,
            ):
                self.clean["birth_date"] = id_info.birth_date
            else:
                self.errors.append(
                    (
                        "birth_date",
                        f"出生日期“{self.text['birth_date']}”与证件号码中的出生日期"
                        f"({id_info.birth_date:%Y年%m月})不一致",
                    )
                )
            return
        if born is not None and born != id_info.birth_date:
            self.errors.append(
                (
                    "birth_date",
                    f"出生日期({born.isoformat()})与证件号码中的出生日期"
                    f"({id_info.birth_date.isoformat()})不一致",
                )
            )
        elif born is None and not any(f == "birth_date" for f, _ in self.errors):
            self.clean["birth_date"] = id_info.birth_date

    def sex_against_id(self, id_info: idnumbers.IdInfo) -> None:
        """The sex agrees with the ID number's, or is taken from it."""
        sex = self.clean.get("sex")
        if sex is not None and sex != id_info.sex:
            self.errors.append(
                (
                    "sex",
                    f"性别({'男' if sex == 'M' else '女'})与证件号码显示的性别"
                    f"({'男' if id_info.sex == 'M' else '女'})不一致",
                )
            )
        elif sex is None and not any(f == "sex" for f, _ in self.errors):
            self.clean["sex"] = id_info.sex

    def resolve_address(self, places: Any) -> None:
        """The address resolved in the place index; an unknown place is an error."""
        if not self.text.get("address"):
            return
        from .address import AddressError

        try:
            self.clean["address_match"] = places.resolve(self.text["address"])
        except AddressError as exc:
            self.errors.append(("address", exc.message))
