"""Normalisers that turn raw person records into the comparison columns the linkage model reads.

Everything here is pure Python/pandas and works on whole columns: each function that touches strings
does its work once per *distinct* value and maps back, so a million records with a few hundred
thousand distinct names or addresses normalise in seconds.

Why pre-computed columns: DuckDB's string-distance functions count UTF-8 bytes, not characters
(张伟 vs 张维 is three edits there), so names and addresses are compared through ASCII pinyin
and canonical keys computed here, never through byte distances on hanzi.

No output column ends in ``_l`` or ``_r``: Splink appends those suffixes itself.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
from pypinyin import Style, lazy_pinyin

from shequ.core import idnumbers
from shequ.core.numerals import chinese_number

STANDARD_COLUMNS = ("record_id", "name", "sex", "birth_date", "id_number", "phone", "address")

# 姓氏读音 — polyphonic surnames read as surnames, not by their common reading
# (pypinyin reads 曾 ceng, 单 dan, 仇 chou, 解 jie, 区 qu, 查 cha, 朴 pu, 盖 gai).
COMPOUND_SURNAMES = {
    "尉迟": "yuchi",
    "万俟": "moqi",
    "欧阳": "ouyang",
    "司马": "sima",
    "上官": "shangguan",
    "诸葛": "zhuge",
    "东方": "dongfang",
    "皇甫": "huangfu",
    "令狐": "linghu",
    "长孙": "zhangsun",
    "慕容": "murong",
    "司徒": "situ",
    "夏侯": "xiahou",
    "澹台": "tantai",
    "公孙": "gongsun",
    "宇文": "yuwen",
}
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
    "缪": "miao",
    "翟": "zhai",
    "乐": "yue",
    "召": "shao",
    "任": "ren",
    "华": "hua",
    "柏": "bai",
    "秘": "bi",
    "繁": "po",
    "员": "yun",
    "宓": "mi",
    "覃": "qin",
    "黑": "he",
    "折": "she",
    "种": "chong",
    "隗": "wei",
    "纪": "ji",
    "洗": "xian",
    "冼": "xian",
    "燕": "yan",
    "蕃": "pi",
    "句": "gou",
    "阚": "kan",
    "能": "nai",
    "哈": "ha",
    "相": "xiang",
    "沈": "shen",
    "石": "shi",
    "重": "chong",
}

# 形近字 — groups of characters people (and OCR) confuse by shape; the first is the canonical key.
LOOKALIKE_GROUPS = (
    "王玉主",
    "未末",
    "己已巳",
    "戊戌戍",
    "刘浏",
    "土士",
    "日曰",
    "人入",
    "千干于",
    "大太犬",
    "天夭",
    "田由甲申",
    "贝见",
    "折拆",
    "侯候",
    "徽微",
    "辨辩辫",
    "晴睛",
    "彬杉",
    "祖租",
    "崇祟",
    "琪棋",
    "娟涓",
    "婷停",
    "玲伶",
    "兰兰",
    "洁浩",
    "苗笛",
    "冶治",
    "仑仓",
    "荣莹",
    "丽丽",
    "秀锈",
)
LOOKALIKE = {ch: group[0] for group in LOOKALIKE_GROUPS for ch in group}

_HAN = re.compile(r"[\u3400-\u9fff]")


def is_han(text: str) -> bool:
    return bool(_HAN.search(text or ""))


def clean_text(value: object) -> str:
    """NFKC (full-width → half-width), strip, collapse spaces; missing values become ''."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return re.sub(r"\s+", " ", text)


# ---- names ----------------------------------------------------------------------------------------


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name). Chinese: compound surname or first character; Latin: last word."""
    name = clean_text(name).replace("·", "").replace("•", "")
    if not name:
        return "", ""
    if is_han(name):
        name = name.replace(" ", "")
        if name[:2] in COMPOUND_SURNAMES:
            return name[:2], name[2:]
        return name[:1], name[1:]
    words = name.lower().split()
    if len(words) == 1:
        return words[0], ""
    return words[-1], " ".join(words[:-1])


@lru_cache(maxsize=65536)
def _char_pinyin(ch: str) -> str:
    return lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")[0] if is_han(ch) else ch.lower()


def surname_pinyin(surname: str) -> str:
    """Toneless pinyin of a surname with its surname reading (曾 → zeng, 尉迟 → yuchi)."""
    if surname in COMPOUND_SURNAMES:
        return COMPOUND_SURNAMES[surname]
    if len(surname) == 1 and surname in SURNAME_READINGS:
        return SURNAME_READINGS[surname]
    return "".join(_char_pinyin(c) for c in surname)


def given_pinyin(given: str) -> list[str]:
    if not is_han(given):
        return [w for w in re.split(r"[^a-z0-9]+", given.lower()) if w]
    # Character by character (cached): given names have no phrase context to disambiguate anyway.
    return [p for p in (_char_pinyin(c) for c in given) if p]


def name_pinyin(name: str) -> str:
    """曾小单 → 'zeng xiao dan' (space separated syllables, surname reading applied)."""
    surname, given = split_name(name)
    parts = [surname_pinyin(surname)] if surname else []
    parts += given_pinyin(given)
    return " ".join(p for p in parts if p)


def name_initials(name: str) -> str:
    return "".join(p[0] for p in name_pinyin(name).split() if p)


_LOOKALIKE_TABLE = str.maketrans(LOOKALIKE)


def lookalike_key(text: str) -> str:
    """Canonical form under 形近字: 王/玉 → 王, 未/末 → 未, 己/已/巳 → 己."""
    return text.translate(_LOOKALIKE_TABLE)


def name_characters(name: str) -> list[str]:
    surname, given = split_name(name)
    if is_han(surname + given):
        return list(surname + given)
    return [w for w in (given.split() + [surname]) if w]


# ---- ID numbers, dates, phones ----------------------------------------------------------------------


def canonical_id(raw: str) -> tuple[str, int, bool]:
    """(canonical ID, length as written, passes the check digit).

    A valid 15-digit legacy number is upgraded to its 18-digit form so both forms compare equal.
    An invalid number (typo) is kept as written, upper-cased and stripped, so that the model can
    still see it as one digit off; non-Chinese IDs keep their digits and letters.
    """
    number = idnumbers.normalize(clean_text(raw))
    if not number:
        return "", 0, False
    try:
        return idnumbers.canonical(number), len(number), True
    except idnumbers.IdNumberError:
        if re.fullmatch(r"\d{15}", number):  # legacy form with a typo: still upgrade the layout
            number = number[:6] + "19" + number[6:] + "?"
        return re.sub(r"[^0-9A-Z?]", "", number), len(number), False


def id_birth_and_sex(raw: str) -> tuple[str, str]:
    """Birth date (ISO) and sex ('M'/'F') derived from a valid ID number, else ('', '')."""
    try:
        info = idnumbers.parse(idnumbers.normalize(clean_text(raw)))
    except idnumbers.IdNumberError:
        return "", ""
    return info.birth_date.isoformat(), info.sex


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(raw: object) -> str:
    """'1956.3.7', '1956年3月7日', '19560307', '1956-03-07 00:00:00' → '1956-03-07'; else ''."""
    if isinstance(raw, date):
        return raw.isoformat()[:10]
    text = clean_text(raw)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
            except ValueError:
                return ""
    return ""


@lru_cache(maxsize=131072)
def lunar_form(iso: str) -> str:
    """The lunar-calendar date of a solar birth date, written as if it were solar ('' if out of range).

    Older people often give their 农历 birthday; comparing one record's date with the other's lunar
    form catches that.
    """
    if not iso:
        return ""
    try:
        from lunardate import LunarDate

        y, m, d = (int(x) for x in iso.split("-"))
        lunar = LunarDate.from_solar_date(y, m, d) if hasattr(LunarDate, "from_solar_date") else None
        if lunar is None:  # pragma: no cover - older lunardate
            lunar = LunarDate.fromSolarDate(y, m, d)
        return f"{lunar.year:04d}-{lunar.month:02d}-{lunar.day:02d}"
    except Exception:
        return ""


def swap_month_day(iso: str) -> str:
    if not iso:
        return ""
    y, m, d = iso.split("-")
    if int(d) > 12 or m == d:
        return ""
    return f"{y}-{d}-{m}"


def phone_digits(raw: object) -> str:
    """Digits only, +86/0086 dropped; mobiles keep their 11 digits."""
    digits = re.sub(r"\D", "", clean_text(raw))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


_FULLWIDTH = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")
_ID_WEIGHTS = np.array(idnumbers.WEIGHTS, dtype=np.int64)
_ID_CHECK = np.frombuffer(idnumbers.CHECK_CHARS.encode(), dtype=np.uint8)
_PROVINCES = np.zeros(100, dtype=bool)
_PROVINCES[list(idnumbers.PROVINCE_CODES)] = True


def canonical_ids(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]:
    """Vectorised ``canonical_id`` + ``id_birth_and_sex`` for a column (same rules as
    ``shequ.core.idnumbers.parse``/``canonical``, checked against them in the tests).

    Returns (canonical, written length, check digit ok 0/1, birth date ISO or '', sex or '').
    """
    codes, uniques = pd.factorize(raw.fillna("").astype(str), use_na_sentinel=False)
    u = pd.Series(uniques, dtype=object).str.translate(_FULLWIDTH).str.replace(r"[\s\-]", "", regex=True)
    u = u.str.upper()
    n = len(u)
    length = u.str.len().to_numpy()
    canon = u.to_numpy(dtype=object).copy()
    ok = np.zeros(n, dtype=bool)
    born = np.full(n, "", dtype=object)
    sex = np.full(n, "", dtype=object)
    today = date.today().strftime("%Y%m%d")

    def birth_ok(ymd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        parsed = pd.to_datetime(pd.Series(ymd), format="%Y%m%d", errors="coerce")
        good = parsed.notna().to_numpy() & (ymd >= "18800101") & (ymd <= today)
        return good, parsed.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)

    is18 = (length == 18) & u.str.fullmatch(r"\d{17}[\dX]").to_numpy()
    if is18.any():
        arr = np.array(u[is18].tolist(), dtype="S18").view(np.uint8).reshape(-1, 18)
        d = arr[:, :17].astype(np.int64) - 48
        check_ok = _ID_CHECK[(d * _ID_WEIGHTS).sum(axis=1) % 11] == arr[:, 17]
        prov = d[:, 0] * 10 + d[:, 1]
        permit = np.isin(prov, [81, 82, 83]) & (d[:, 2:6].sum(axis=1) == 0)
        region_ok = (d[:, 0] == 9) | permit | _PROVINCES[prov]
        ymd = u[is18].str.slice(6, 14).to_numpy(dtype=object).astype(str)
        good_birth, iso = birth_ok(ymd)
        good = check_ok & region_ok & good_birth
        idx = np.flatnonzero(is18)
        ok[idx] = good
        born[idx[good]] = iso[good]
        sex[idx[good]] = np.where(d[good, 16] % 2 == 1, "M", "F")
    is15 = (length == 15) & u.str.fullmatch(r"\d{15}").to_numpy()
    if is15.any():
        arr = np.array(u[is15].tolist(), dtype="S15").view(np.uint8).reshape(-1, 15)
        d15 = arr.astype(np.int64) - 48
        d = np.hstack([d15[:, :6], np.full((len(d15), 1), 1), np.full((len(d15), 1), 9), d15[:, 6:]])
        check = _ID_CHECK[(d * _ID_WEIGHTS).sum(axis=1) % 11]
        prov = d[:, 0] * 10 + d[:, 1]
        ymd = ("19" + u[is15].str.slice(6, 12)).to_numpy(dtype=object).astype(str)
        good_birth, iso = birth_ok(ymd)
        good = _PROVINCES[prov] & good_birth
        first17 = (d + 48).astype(np.uint8)
        full = np.hstack([first17, np.where(good, check, ord("?"))[:, None].astype(np.uint8)])
        idx = np.flatnonzero(is15)
        canon[idx] = np.ascontiguousarray(full).view("S18").ravel().astype("U18").astype(object)
        ok[idx] = good
        born[idx[good]] = iso[good]
        sex[idx[good]] = np.where(d15[good, 14] % 2 == 1, "M", "F")
    other = ~(is18 | is15)
    if other.any():
        canon[other] = u[other].str.replace(r"[^0-9A-Z]", "", regex=True).to_numpy(dtype=object)
    index = raw.index
    return (
        pd.Series(canon[codes], index=index),
        pd.Series(length[codes], index=index),
        pd.Series(ok[codes].astype(np.int8), index=index),
        pd.Series(born[codes], index=index),
        pd.Series(sex[codes], index=index),
    )


# ---- addresses --------------------------------------------------------------------------------------


_NUM = r"[0-9零〇一二两三四五六七八九十百千]+"
_ADDRESS_PATTERNS = (
    # 阳光花园3栋2单元501室 / 阳光花园十二号楼三单元1502室 / 阳光花园3幢2单元501
    re.compile(
        rf"^(?P<c>.+?)(?P<b>{_NUM}|[A-Za-z])(?:号楼|栋|幢|座|号|楼)"
        rf"(?:(?P<u>{_NUM})单元)?(?:(?P<r>{_NUM})(?:室|号|房)?)?$"
    ),
    # 阳光花园12-3-1502 / 阳光花园12-1502
    re.compile(r"^(?P<c>.*?[^\d\-])(?P<b>\d+)-(?:(?P<u>\d+)-)?(?P<r>\d+)(?:室|号)?$"),
)
_ADMIN_PREFIX = re.compile(
    r"^(?:[^省市]{1,6}省)?(?:[^市]{1,6}市)?(?:[^区县市]{1,6}[区县](?=.))?(?:[^街]{1,8}街道(?=.))?"
)


def parse_address(raw: object) -> tuple[str, str, str, str]:
    """(compound 小区, building 楼栋, unit 单元, room 房号) with numbers as plain digits.

    Understands 阳光花园3栋2单元501, 阳光花园12-3-1502, 阳光花园十二号楼三单元1502室, with or without
    a 市/区/街道 prefix. A Latin address returns its lower-cased words, sorted (so reordered parts
    still compare equal), as the compound; an unparseable Chinese one its whole text; building, unit
    and room are then empty.
    """
    original = clean_text(raw)
    text = original.replace(" ", "")
    if not text:
        return "", "", "", ""
    if not is_han(text):  # Latin: the words sorted, so that reordered parts still compare equal
        return " ".join(sorted(re.sub(r"[^a-z0-9]+", " ", original.lower()).split())), "", "", ""
    text = text.replace("—", "-").replace("－", "-")
    for pattern in _ADDRESS_PATTERNS:
        m = pattern.match(text)
        if m:
            compound = _ADMIN_PREFIX.sub("", m["c"]) or m["c"]
            parts = []
            for key in ("b", "u", "r"):
                value = m[key] or ""
                number = chinese_number(value) if value else None
                parts.append(str(number) if number is not None else value.upper())
            return (compound, *parts)  # type: ignore[return-value]
    return _ADMIN_PREFIX.sub("", text) or text, "", "", ""


_SQL_NUM = "[0-9零〇一二两三四五六七八九十百千]+"
# A constant: only the numeral character class is interpolated, never data.
_SQL_ADDRESS = rf"""
WITH src AS (
    SELECT i, regexp_replace(translate(coalesce(a, ''), '０１２３４５６７８９－—　', '0123456789--'), '\s', '', 'g') AS t,
        coalesce(a, '') AS a
    FROM addresses
), parsed AS (
    SELECT i, t, a,
        regexp_matches(t, '\p{{Han}}') AS han,
        regexp_extract(t, '^(.+?)({_SQL_NUM}|[A-Za-z])(?:号楼|栋|幢|座|号|楼)(?:({_SQL_NUM})单元)?(?:({_SQL_NUM})(?:室|号|房)?)?$',
                       ['c', 'b', 'u', 'r']) AS p1,
        regexp_extract(t, '^(.*?[^0-9\-])([0-9]+)-(?:([0-9]+)-)?([0-9]+)(?:室|号)?$', ['c', 'b', 'u', 'r']) AS p2
    FROM src
), picked AS (
    SELECT i, t, a, han,
        CASE WHEN p1.c <> '' THEN p1 WHEN p2.c <> '' THEN p2 ELSE {{'c': t, 'b': '', 'u': '', 'r': ''}} END AS p
    FROM parsed
), cleaned AS (
    SELECT i,
        CASE WHEN t = '' THEN NULL
             WHEN NOT han THEN array_to_string(list_sort(list_filter(
                 string_split(trim(regexp_replace(lower(a), '[^a-z0-9]+', ' ', 'g')), ' '), lambda x: x <> '')), ' ')
             ELSE (
                WITH x AS (SELECT regexp_replace(p.c, '^([^省市]{{1,6}}省)?([^市]{{1,6}}市)?', '') AS c0)
                SELECT CASE WHEN regexp_matches(c0, '^[^区县市]{{1,6}}[区县].') THEN regexp_replace(c0, '^[^区县市]{{1,6}}[区县]', '') ELSE c0 END
                FROM x
             ) END AS c0,
        p.b AS b, p.u AS u, p.r AS r,
        CASE WHEN t <> '' AND NOT han THEN nullif(regexp_replace(lower(t), '[^a-z0-9]+', '', 'g'), '') END AS letters
    FROM picked
), numbered AS (
    SELECT i, regexp_replace(c0, '^[^街]{{1,8}}街道(.)', '\\1') AS c,
        CASE WHEN b = '' THEN '' WHEN regexp_matches(b, '^[0-9]+$') THEN CAST(CAST(b AS BIGINT) AS VARCHAR)
             ELSE coalesce(CAST(nb.k AS VARCHAR), upper(b)) END AS b,
        CASE WHEN u = '' THEN '' WHEN regexp_matches(u, '^[0-9]+$') THEN CAST(CAST(u AS BIGINT) AS VARCHAR)
             ELSE coalesce(CAST(nu.k AS VARCHAR), u) END AS u,
        CASE WHEN r = '' THEN '' WHEN regexp_matches(r, '^[0-9]+$') THEN CAST(CAST(r AS BIGINT) AS VARCHAR)
             ELSE coalesce(CAST(nr.k AS VARCHAR), r) END AS r,
        letters
    FROM cleaned
    LEFT JOIN numerals nb ON nb.w = cleaned.b
    LEFT JOIN numerals nu ON nu.w = cleaned.u
    LEFT JOIN numerals nr ON nr.w = cleaned.r
)
SELECT i, c,
    CASE WHEN c IS NOT NULL AND b <> '' THEN c || '|' || b END AS b_key,
    CASE WHEN c IS NOT NULL AND r <> '' THEN c || '|' || b || '|' || u || '|' || r END AS r_key,
    letters
FROM numbered ORDER BY i
"""  # noqa: S608


def _numeral_forms() -> pd.DataFrame:
    digits = "零一二三四五六七八九"
    rows = {}
    for k in range(1, 1000):
        h, rest = divmod(k, 100)
        t, o = divmod(rest, 10)
        parts = []
        if h:
            parts.append(digits[h] + "百")
        if t:
            parts.append(("" if (t == 1 and not h) else digits[t]) + "十")
        elif h and o:
            parts.append("零")
        if o:
            parts.append(digits[o])
        rows["".join(parts)] = k
        rows["".join(digits[int(c)] for c in str(k))] = k  # 二〇五 style, digit by digit
        rows["".join(digits[int(c)] for c in str(k)).replace("零", "〇")] = k
        if 10 <= k < 20:
            rows["一十" + (digits[k - 10] if k > 10 else "")] = k
    rows["两"] = 2
    return pd.DataFrame({"w": list(rows), "k": list(rows.values())})


_NUMERALS = _numeral_forms()


def parse_addresses(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Column version of ``parse_address``: (compound, compound|building, compound|building|unit|room).

    Runs in DuckDB (vectorised, multi-threaded) over the distinct addresses; the same rules as
    ``parse_address`` row by row (checked in the tests).
    """
    return _address_columns(raw)[:3]  # type: ignore[return-value]


def _address_columns(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """``parse_addresses`` plus ``latin_address_letters``, in one DuckDB pass over the distinct addresses."""
    import duckdb

    codes, uniques = pd.factorize(raw.fillna("").astype(str), use_na_sentinel=False)
    addresses = pd.DataFrame({"i": np.arange(len(uniques)), "a": np.asarray(uniques, dtype=object)})
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("addresses", addresses)
    con.register("numerals", _NUMERALS)
    parsed = con.sql(_SQL_ADDRESS).df()
    con.close()
    index = raw.index
    return tuple(  # type: ignore[return-value]
        pd.Series(parsed[k].to_numpy(dtype=object)[codes], index=index)
        for k in ("c", "b_key", "r_key", "letters")
    )


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def latin_address_letters(raw: pd.Series) -> pd.Series:
    """A Latin (non-Chinese) address as its lower-case letters and digits in written order, with no
    spaces or punctuation ('16 Officer Crescent, Tes Bury' → '16officercrescenttesbury'); None for a
    Chinese or empty address. Row-by-row reference: ``prepare_records`` computes the same in DuckDB
    (checked in the tests).

    The sorted-words compound key cannot see a typo that splits or joins a word ('tes bury' vs
    'tesbury' sort differently); an edit distance on this form can. Chinese addresses are compared
    by their parsed keys instead (edit distances in DuckDB count UTF-8 bytes, not characters).
    """

    def letters(text: str) -> str | None:
        text = re.sub(r"\s", "", text.translate(_FULLWIDTH_DIGITS))
        if not text or is_han(text):
            return None
        return re.sub(r"[^a-z0-9]+", "", text.lower()) or None

    return _map_unique(raw.fillna("").astype(str), letters)


def sorted_digits(value: str | None) -> str | None:
    """The digits of a date or number in ascending order: equal for two forms that differ by a swap
    of two digits ('1957-10-24' and '1957-12-04' both → '01124579')."""
    if not value:
        return None
    return "".join(sorted(c for c in value if c.isdigit()))


# ---- the whole table --------------------------------------------------------------------------------


def _map_unique(series: pd.Series, func) -> pd.Series:
    """Apply ``func`` once per distinct value (the data has many repeats)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    results = np.empty(len(uniques), dtype=object)
    results[:] = [func(u) for u in uniques]
    return pd.Series(results[codes], index=series.index)


def _unique_table(
    series: pd.Series, func, names: tuple[str, ...]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(codes, {name: per-distinct-value array}) with ``func`` applied once per distinct value;
    '' becomes None. Expanding with ``array[codes]`` shares the string objects (little memory)."""
    codes, uniques = pd.factorize(series.fillna(""), use_na_sentinel=False)
    rows = [func(u) for u in uniques]
    table = {}
    for k, name in enumerate(names):
        arr = np.empty(len(rows), dtype=object)
        arr[:] = [None if r[k] == "" else r[k] for r in rows]
        table[name] = arr
    return codes, table


def _name_features(raw: str) -> tuple:
    surname, given = split_name(clean_text(raw))
    if not surname:
        return ("",) * 7
    han = is_han(surname + given)
    s_py = surname_pinyin(surname)
    g_py = given_pinyin(given)
    full = (surname + given) if han else f"{given} {surname}".strip()
    return (
        full,
        lookalike_key(full),
        s_py + "".join(g_py) if han else "".join(g_py) + s_py,
        s_py,
        "".join(g_py),
        (s_py[:1] + "".join(p[:1] for p in g_py)) if han else "",
        1 if han else 0,
    )


def _sex_code(raw: str) -> str:
    text = clean_text(raw).upper()
    if text in {"M", "男", "MALE", "1"}:
        return "M"
    if text in {"F", "女", "FEMALE", "2", "0"}:
        return "F"
    return ""


NAME_COLUMNS = ("name_clean", "name_shape", "name_py", "surname_py", "given_py", "name_init", "is_han_name")


def prepare_records(df: pd.DataFrame) -> pd.DataFrame:
    """Standard columns in, comparison columns out (one row per record, same order).

    Input columns: ``record_id, name, sex, birth_date, id_number, phone, address`` (+ optional
    ``source``); missing ones are treated as empty. Output columns (``None`` where unknown):

    - ``unique_id`` (record_id as text), ``source``
    - ``name_clean``, ``name_shape`` (形近字 key), ``name_py`` (pinyin, no spaces), ``surname_py``,
      ``given_py``, ``name_init``, ``is_han_name``
    - ``id18`` (canonical), ``id_len``, ``id_ok`` (check digit passes), ``id_dob``
    - ``dob`` (ISO; from the ID where the record has none), ``dob_lunar``, ``dob_swap``, ``dob_year``,
      ``dob_sorted`` (its digits sorted: equal when two digits are swapped)
    - ``sex`` ('M'/'F'; from the ID where missing), ``phone``
    - ``addr_compound``, ``addr_building``, ``addr_room`` (compound|building|unit|room keys),
      ``addr_letters`` (a Latin address's letters and digits in written order)
    """
    n = len(df)
    empty = pd.Series(np.full(n, "", dtype=object))

    def column(name: str) -> pd.Series:
        return df[name].reset_index(drop=True) if name in df.columns else empty

    out: dict[str, object] = {"unique_id": column("record_id").astype(str).to_numpy(dtype=object)}
    if "source" in df.columns:
        out["source"] = column("source").astype(str).to_numpy(dtype=object)

    codes, table = _unique_table(column("name"), _name_features, NAME_COLUMNS)
    for key in NAME_COLUMNS[:-1]:
        out[key] = table[key][codes]
    out["is_han_name"] = np.array([0 if v is None else v for v in table["is_han_name"]], dtype=np.int8)[codes]

    id_canon, id_len, id_ok, id_born, id_sex = canonical_ids(column("id_number"))
    out["id18"] = id_canon.where(id_canon != "", None).to_numpy(dtype=object)
    out["id_len"] = id_len.to_numpy().astype(np.int16)
    out["id_ok"] = id_ok.to_numpy().astype(np.int8)

    # birth date: the record's own, else the one in its ID number
    codes, table = _unique_table(column("birth_date").astype(str), lambda v: (parse_date(v),), ("dob",))
    dob = table["dob"][codes]
    id_born_arr = id_born.to_numpy(dtype=object)
    missing = pd.isna(dob)
    dob[missing] = id_born_arr[missing]
    dob = np.where(dob == "", None, dob)
    codes, table = _unique_table(
        pd.Series(dob),
        lambda v: (v, lunar_form(v), swap_month_day(v), v[:4], sorted_digits(v) or ""),
        ("dob", "lunar", "swap", "year", "sorted"),
    )
    out["dob"] = table["dob"][codes]
    out["dob_lunar"] = table["lunar"][codes]
    out["dob_swap"] = table["swap"][codes]
    out["dob_sorted"] = table["sorted"][codes]
    out["dob_year"] = np.array([np.nan if y is None else float(y) for y in table["year"]])[codes]

    codes, table = _unique_table(column("sex").astype(str), lambda v: (_sex_code(v),), ("sex",))
    sex = table["sex"][codes]
    id_sex_arr = id_sex.to_numpy(dtype=object)
    missing = pd.isna(sex)
    sex[missing] = id_sex_arr[missing]
    out["sex"] = np.where(sex == "", None, sex)

    codes, table = _unique_table(column("phone").astype(str), lambda v: (phone_digits(v),), ("phone",))
    out["phone"] = table["phone"][codes]

    comp, bkey, rkey, letters = _address_columns(column("address"))
    out["addr_compound"] = comp.to_numpy(dtype=object)
    out["addr_building"] = bkey.to_numpy(dtype=object)
    out["addr_room"] = rkey.to_numpy(dtype=object)
    out["addr_letters"] = letters.to_numpy(dtype=object)
    return pd.DataFrame(out)
