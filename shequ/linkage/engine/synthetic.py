"""A synthetic Chinese population with documented noise, for tests and the linkage benchmark.

``generate(n, seed=...)`` returns ``n`` records in the standard import columns plus ``source`` and
the true ``entity_id``; the same seed gives the same records. Everything is numpy-vectorised: a
million records take a few seconds.

The population
    People live in households (1–5 members, sizes 25/30/25/15/5 %) in residential compounds
    (小区) with building/unit/room. A household shares an address and usually a phone (a record gives
    the household phone with probability 0.5, else the person's own mobile if they have one).
    Children mostly carry the head's surname. About 10 % of households with four or more members
    have twins: same surname, birth date, address and phone, a different given name (half the time
    sharing the first given-name character) and a different ID number.

Each person appears in 1–4 sources (公安户籍 police, 物业 property list, 入户走访 survey,
自主申报 self-registration), one record per source.

The noise (rates per record; see ``NOISE``)
    name: homophone of a given-name character (张晓明 → 张小明) 4 %, homophone surname (张 → 章,
        解 → 谢 read as surnames) 1 %, look-alike character (王 → 玉, 娟 → 涓) 2 %, a random different
        given-name character 0.5 %, missing 0.5 %.
    ID number: missing (police 2 %, property 30 %, survey 15 %, self 10 %), legacy 15-digit form
        (8 % of people born before 1985, any source), one digit mistyped 2 %, two adjacent digits
        swapped 1 %.
    birth date: missing 5 %; the lunar-calendar date written as solar (survey and self-registration,
        people born before 1970: 25 %; others 1 %); month and day swapped 1 %; the year off by one
        0.5 %; written in a source's own style (1956-03-07, 1956/3/7, 1956年3月7日, 19560307).
    sex: missing 3 %.
    phone: missing 10 %, one digit mistyped 1.5 %.
    address: the person moved (the record gives an earlier address elsewhere) 6 %, missing 4 %; each
        source writes addresses its own way: police ``成都市锦江区阳光花园3栋2单元501室``, property
        ``阳光花园3-2-501``, survey ``阳光花园三号楼二单元501``, self ``阳光花园3幢2单元501`` or
        ``阳光花园3-2-501``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shequ.linkage.engine.normalize import LOOKALIKE_GROUPS, lunar_form

SOURCES = ("公安户籍", "物业业主名册", "入户走访", "居民自主申报")

NOISE = {
    "given_homophone": 0.04,
    "surname_homophone": 0.01,
    "lookalike": 0.02,
    "given_random": 0.005,
    "name_missing": 0.005,
    "id_missing": (0.02, 0.30, 0.15, 0.10),  # per source
    "id_legacy15_before_1985": 0.08,
    "id_digit": 0.02,
    "id_transpose": 0.01,
    "dob_missing": 0.05,
    "dob_lunar_old_survey": 0.25,
    "dob_lunar": 0.01,
    "dob_swap": 0.01,
    "dob_year": 0.005,
    "sex_missing": 0.03,
    "phone_missing": 0.10,
    "phone_digit": 0.015,
    "moved": 0.06,
    "address_missing": 0.04,
    "twins_in_large_households": 0.10,
}

# Surnames with rough frequency weights; each group is one surname reading (同音), the first is
# the one people carry, the others what a clerk may write instead. Polyphonic surnames included.
SURNAME_GROUPS = [
    ("王汪", 7.1),
    ("李黎", 7.0),
    ("张章", 6.8),
    ("刘柳", 5.4),
    ("陈", 4.5),
    ("杨阳", 3.1),
    ("黄皇", 2.2),
    ("赵肇", 2.1),
    ("吴武伍", 2.0),
    ("周州", 1.9),
    ("徐许", 1.6),
    ("孙", 1.5),
    ("马麻", 1.5),
    ("朱诸", 1.3),
    ("胡", 1.3),
    ("郭国", 1.2),
    ("何贺和", 1.2),
    ("林", 1.2),
    ("罗骆", 1.1),
    ("高郜", 1.1),
    ("郑正", 1.0),
    ("梁良", 1.0),
    ("谢解", 0.9),
    ("宋颂", 0.8),
    ("唐汤", 0.8),
    ("许徐", 0.8),
    ("韩寒", 0.7),
    ("冯丰封", 0.7),
    ("邓登", 0.7),
    ("曹漕", 0.7),
    ("彭朋", 0.6),
    ("曾增", 0.6),
    ("肖萧", 0.6),
    ("田甜", 0.6),
    ("董懂", 0.5),
    ("袁元原", 0.5),
    ("潘攀", 0.5),
    ("于余俞", 0.5),
    ("蒋姜江", 0.5),
    ("蔡菜", 0.5),
    ("余于", 0.5),
    ("杜", 0.5),
    ("叶页", 0.4),
    ("程成", 0.4),
    ("苏素", 0.4),
    ("魏卫韦", 0.4),
    ("吕旅", 0.4),
    ("丁", 0.4),
    ("任", 0.4),
    ("沈审", 0.4),
    ("姚尧", 0.4),
    ("卢鲁芦", 0.4),
    ("钟仲忠", 0.4),
    ("崔催", 0.3),
    ("邱秋仇", 0.3),
    ("秦", 0.3),
    ("陆路鹿", 0.3),
    ("单山", 0.15),
    ("解谢", 0.15),
    ("仇邱", 0.15),
    ("区欧", 0.1),
    ("查扎", 0.1),
    ("朴", 0.1),
    ("盖葛", 0.1),
    ("欧阳", 0.1),
    ("尉迟", 0.03),
    ("万俟", 0.02),
    ("司马", 0.05),
    ("上官", 0.05),
    ("诸葛", 0.05),
]

# Given-name characters by reading (同音); every character of a group is also a given-name character.
GIVEN_GROUPS = [
    "伟维玮薇",
    "明铭鸣",
    "华桦",
    "静晶婧敬",
    "丽莉立力",
    "芳方",
    "军君钧",
    "杰洁婕",
    "涛韬滔",
    "强蔷",
    "磊蕾",
    "洋阳",
    "勇永咏",
    "艳燕雁彦",
    "娟涓鹃",
    "敏闽",
    "平萍",
    "刚钢",
    "辉慧惠晖",
    "峰锋丰枫",
    "红宏洪鸿",
    "霞侠",
    "斌彬滨",
    "健建剑",
    "宇雨羽",
    "俊骏峻",
    "浩昊皓",
    "婷亭庭",
    "鹏朋",
    "飞菲",
    "琳林霖",
    "玲凌",
    "欣新鑫馨",
    "佳嘉家",
    "怡宜仪",
    "毅艺逸",
    "子紫梓",
    "晨辰琛",
    "思斯",
    "秀",
    "英瑛莹颖",
    "梅玫",
    "兰岚",
    "海",
    "波博",
    "文雯",
    "国",
    "春",
    "晓小筱",
    "云芸韵",
    "涵晗",
    "雪",
    "轩萱",
    "天",
    "琪棋",
    "晴",
    "荣",
    "玉",
    "徽",
    "崇",
    "祖",
    "苗",
    "志智",
    "永咏",
    "德",
    "东冬",
    "建健",
    "淑",
    "桂贵",
    "珍真",
    "秋",
    "凤",
    "桂",
    "楠",
    "博",
    "然",
]

LOOKALIKE_OF = {ch: [c for c in g if c != ch] for g in LOOKALIKE_GROUPS for ch in g if len(set(g)) > 1}

COMPOUND_STEMS = list("阳光金桂翠锦绣华府御景苑东湖西山南城北苑天府新城丽都和平幸福康居怡园碧水蓝湾")
COMPOUND_SUFFIXES = ["花园", "小区", "家园", "公寓", "新村", "雅苑", "名都", "苑"]
DISTRICTS = ["成都市锦江区", "成都市武侯区", "锦江区", "武侯区", "成都市成华区", ""]
REGIONS = np.array(
    [
        510104,
        510105,
        510106,
        510107,
        510108,
        510112,
        510113,
        510114,
        510115,
        510116,
        110101,
        110105,
        310101,
        310104,
        440103,
        440106,
        420102,
        430102,
        500103,
        610102,
        320102,
        330102,
        370102,
        410102,
        130102,
        340102,
        350102,
        360102,
        450102,
        520102,
        530102,
    ],
    dtype=np.int64,
)

_CN = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def _cn_number(k: int) -> str:
    if k < 10:
        return _CN[k]
    tens, ones = divmod(k, 10)
    return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "")


_CN_TABLE = np.array([_cn_number(k) for k in range(100)], dtype=object)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Integer column → (n, width) array of its decimal digits."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers) % 10


def _as_text(codes: np.ndarray) -> np.ndarray:
    """(n, w) uint8 ASCII codes → object array of n strings."""
    w = codes.shape[1]
    return np.ascontiguousarray(codes.astype(np.uint8)).view(f"S{w}").ravel().astype(f"U{w}").astype(object)


def _pick_other(rng: np.random.Generator, table: dict[str, list[str]], chars: np.ndarray) -> np.ndarray:
    out = chars.copy()
    for i, ch in enumerate(chars):
        others = table.get(ch)
        if others:
            out[i] = others[rng.integers(len(others))]
    return out


def generate(n: int, *, seed: int = 0) -> pd.DataFrame:
    """``n`` synthetic records: record_id, name, sex, birth_date, id_number, phone, address, source,
    and the truth: entity_id, household_id, twin_of (the twin's entity_id or -1).
    Deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    n_people = max(2, int(n / 2.2))

    # -- households and people --------------------------------------------------------------------
    sizes = rng.choice([1, 2, 3, 4, 5], p=[0.25, 0.30, 0.25, 0.15, 0.05], size=n_people)
    household = np.repeat(np.arange(n_people), sizes)[:n_people]
    starts = np.r_[0, np.flatnonzero(np.diff(household)) + 1]
    position = np.arange(n_people) - np.repeat(starts, np.diff(np.r_[starts, n_people]))
    n_households = int(household.max()) + 1
    hh_size = np.bincount(household)

    surnames = [g for g, _ in SURNAME_GROUPS]
    weights = np.array([w for _, w in SURNAME_GROUPS])
    surname_idx = rng.choice(len(surnames), p=weights / weights.sum(), size=n_people)
    head = starts[household]
    child = position >= 2
    keep = child & (rng.random(n_people) < 0.9)
    surname_idx[keep] = surname_idx[head[keep]]

    given_chars = np.array(sorted({c for g in GIVEN_GROUPS for c in g}), dtype=object)
    g1 = rng.integers(len(given_chars), size=n_people)
    g2 = rng.integers(len(given_chars), size=n_people)
    single = rng.random(n_people) < 0.35
    g2[single] = -1
    female = rng.random(n_people) < 0.5

    day0 = np.datetime64("1970-01-01", "D").astype(np.int64)
    lo = np.datetime64("1935-01-01", "D").astype(np.int64) - day0
    hi = np.datetime64("1982-12-31", "D").astype(np.int64) - day0
    dob = rng.integers(lo, hi, size=n_people)
    head_dob = dob[head]
    spouse = position == 1
    dob[spouse] = head_dob[spouse] + rng.integers(-1500, 1500, size=int(spouse.sum()))
    dob[child] = head_dob[child] + rng.integers(20 * 365, 38 * 365, size=int(child.sum()))
    latest = np.datetime64("2023-12-31", "D").astype(np.int64) - day0
    late = dob > latest  # children not born yet: somewhere in the household's last 20 years
    dob[late] = latest - rng.integers(0, 20 * 365, size=int(late.sum()))
    region = REGIONS[rng.integers(len(REGIONS), size=n_people)]
    region[position > 0] = region[head[position > 0]]
    seq = rng.integers(0, 500, size=n_people) * 2 + np.where(female, 0, 1)

    # twins: the 4th member of some large households is the 3rd member's twin
    twin = (position == 3) & (hh_size[household] >= 4)
    twin &= rng.random(n_people) < NOISE["twins_in_large_households"]
    sib = np.flatnonzero(twin) - 1
    tw = np.flatnonzero(twin)
    dob[tw] = dob[sib]
    surname_idx[tw] = surname_idx[sib]
    region[tw] = region[sib]
    seq[tw] = (seq[sib] + 2) % 1000
    share = rng.random(len(tw)) < 0.5
    g1[tw] = np.where(
        share, g1[sib], (g1[sib] + 1 + rng.integers(len(given_chars) - 1, size=len(tw))) % len(given_chars)
    )
    g2[tw] = np.where(
        share,
        (np.maximum(g2[sib], 0) + 1 + rng.integers(len(given_chars) - 2, size=len(tw))) % len(given_chars),
        g2[tw],
    )

    twin_of = np.full(n_people, -1, dtype=np.int64)
    twin_of[tw], twin_of[sib] = sib, tw

    # ID numbers (valid, 18 digits)
    dates = (dob + day0).astype("datetime64[D]")
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    ymd = years * 10000 + months * 100 + days
    first17 = np.hstack([_digits(region, 6), _digits(ymd, 8), _digits(seq, 3)])
    check = _CHECK[(first17 * _WEIGHTS).sum(axis=1) % 11]
    id_codes = np.hstack([first17 + 48, check[:, None]]).astype(np.uint8)

    # addresses and phones
    n_compounds = max(20, n_households // 400)
    stems = np.array(COMPOUND_STEMS, dtype=object)
    comp_names = (
        stems[rng.integers(len(stems), size=n_compounds)]
        + stems[rng.integers(len(stems), size=n_compounds)]
        + np.array(COMPOUND_SUFFIXES, dtype=object)[rng.integers(len(COMPOUND_SUFFIXES), size=n_compounds)]
    )
    comp_names = np.array(
        [f"{c}{'' if i < len(stems) ** 2 else i}" for i, c in enumerate(comp_names)], dtype=object
    )
    _, first = np.unique(comp_names, return_index=True)
    comp_names = comp_names[np.sort(first)]
    n_compounds = len(comp_names)
    hh_comp = rng.integers(n_compounds, size=n_households)
    hh_building = rng.integers(1, 40, size=n_households)
    hh_unit = rng.integers(1, 7, size=n_households)
    hh_room = rng.integers(1, 33, size=n_households) * 100 + rng.integers(1, 5, size=n_households)
    prefixes = np.array(
        [
            130,
            131,
            132,
            135,
            136,
            137,
            138,
            139,
            150,
            151,
            152,
            158,
            159,
            176,
            177,
            180,
            181,
            186,
            187,
            188,
            189,
            199,
        ]
    )
    hh_phone = prefixes[rng.integers(len(prefixes), size=n_households)] * 10**8 + rng.integers(
        0, 10**8, size=n_households
    )
    own_phone = prefixes[rng.integers(len(prefixes), size=n_people)] * 10**8 + rng.integers(
        0, 10**8, size=n_people
    )
    has_own = rng.random(n_people) < 0.6

    # -- records ------------------------------------------------------------------------------------
    per_person = 1 + rng.binomial(3, 0.4, size=n_people)
    person = np.repeat(np.arange(n_people), per_person)
    if len(person) < n:
        person = np.r_[person, rng.integers(n_people, size=n - len(person))]
    person = np.sort(person[:n])
    rank = np.arange(n) - np.searchsorted(person, person)
    source = (rank + person) % 4
    r = rng.random

    # names
    s_idx = surname_idx[person]
    sur = np.array(surnames, dtype=object)[s_idx]
    sur_text = np.array(
        [
            g[:2] if len(g) == 2 and g in ("欧阳", "尉迟", "万俟", "司马", "上官", "诸葛") else g[0]
            for g in surnames
        ],
        dtype=object,
    )[s_idx]
    homo_s = (r(n) < NOISE["surname_homophone"]) & np.array(
        [len(g) > 1 and g not in ("欧阳", "尉迟", "万俟", "司马", "上官", "诸葛") for g in surnames]
    )[s_idx]
    sur_text[homo_s] = [g[1 + rng.integers(len(g) - 1)] for g in sur[homo_s]]
    c1 = given_chars[g1[person]]
    c2 = np.where(g2[person] >= 0, given_chars[np.maximum(g2[person], 0)], "")
    group_of = {c: g for g in GIVEN_GROUPS for c in g}
    homophones = {c: [x for x in group_of[c] if x != c] for c in given_chars}
    m = r(n) < NOISE["given_homophone"]
    which = r(n) < 0.5
    c1[m & which] = _pick_other(rng, homophones, c1[m & which])
    m2 = m & ~which & (c2 != "")
    c2[m2] = _pick_other(rng, homophones, c2[m2])
    m = r(n) < NOISE["lookalike"]
    sur_text[m & which] = _pick_other(rng, LOOKALIKE_OF, sur_text[m & which])
    c1[m & ~which] = _pick_other(rng, LOOKALIKE_OF, c1[m & ~which])
    m = r(n) < NOISE["given_random"]
    c1[m] = given_chars[rng.integers(len(given_chars), size=int(m.sum()))]
    name = sur_text + c1 + c2
    name[r(n) < NOISE["name_missing"]] = ""

    # ID numbers
    codes = id_codes[person].copy()
    typo = r(n) < NOISE["id_digit"]
    pos = rng.integers(0, 17, size=n)
    rows = np.flatnonzero(typo)
    codes[rows, pos[rows]] = (codes[rows, pos[rows]] - 48 + rng.integers(1, 10, size=len(rows))) % 10 + 48
    swap = (r(n) < NOISE["id_transpose"]) & ~typo
    rows = np.flatnonzero(swap)
    p = rng.integers(0, 16, size=len(rows))
    a, b = codes[rows, p].copy(), codes[rows, p + 1].copy()
    codes[rows, p], codes[rows, p + 1] = b, a
    id_text = _as_text(codes)
    legacy = (years[person] < 1985) & (r(n) < NOISE["id_legacy15_before_1985"])
    if legacy.any():
        short = np.hstack([codes[legacy][:, :6], codes[legacy][:, 8:17]])
        id_text[legacy] = _as_text(short)
    id_missing = r(n) < np.array(NOISE["id_missing"])[source]
    id_text[id_missing] = ""

    # birth dates
    y, mo, d = years[person].copy(), months[person].copy(), days[person].copy()
    old_survey = (source >= 2) & (y < 1970)
    lunar = r(n) < np.where(old_survey, NOISE["dob_lunar_old_survey"], NOISE["dob_lunar"])
    if lunar.any():
        iso = [f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y[lunar], mo[lunar], d[lunar], strict=True)]
        parts = [lunar_form(s) for s in iso]
        ok = np.array([bool(x) for x in parts])
        idx = np.flatnonzero(lunar)[ok]
        ymd_l = np.array(
            [[int(v) for v in x.split("-")] for x in np.array(parts, dtype=object)[ok]], dtype=np.int64
        )
        if len(idx):
            y[idx], mo[idx], d[idx] = ymd_l[:, 0], ymd_l[:, 1], ymd_l[:, 2]
    swap_md = (r(n) < NOISE["dob_swap"]) & (d <= 12)
    mo[swap_md], d[swap_md] = d[swap_md], mo[swap_md]
    y = y + np.where(r(n) < NOISE["dob_year"], rng.choice([-1, 1], size=n), 0)
    ys, ms, ds = y.astype(str).astype(object), mo.astype(str).astype(object), d.astype(str).astype(object)
    ms2 = np.char.zfill(mo.astype(str), 2).astype(object)
    ds2 = np.char.zfill(d.astype(str), 2).astype(object)
    birth = np.empty(n, dtype=object)
    styles = [
        lambda i: ys[i] + "-" + ms2[i] + "-" + ds2[i],
        lambda i: ys[i] + "/" + ms[i] + "/" + ds[i],
        lambda i: ys[i] + "年" + ms[i] + "月" + ds[i] + "日",
        lambda i: ys[i] + ms2[i] + ds2[i],
    ]
    for k in range(4):  # built per source, so only one copy of the strings is ever alive
        rows = np.flatnonzero(source == k)
        birth[rows] = styles[k](rows)
    birth[r(n) < NOISE["dob_missing"]] = ""

    sex = np.where(female[person], "女", "男").astype(object)
    sex[r(n) < NOISE["sex_missing"]] = ""

    # phones
    hh = household[person]
    use_own = has_own[person] & (r(n) < 0.5)
    phone = np.where(use_own, own_phone[person], hh_phone[hh])
    moved = r(n) < NOISE["moved"]
    phone = np.where(moved & has_own[person], own_phone[person], phone)
    pdig = _digits(phone, 11)
    typo = r(n) < NOISE["phone_digit"]
    rows = np.flatnonzero(typo)
    pos = rng.integers(3, 11, size=len(rows))
    pdig[rows, pos] = (pdig[rows, pos] + rng.integers(1, 10, size=len(rows))) % 10
    phone_text = _as_text(pdig + 48)
    phone_text[r(n) < NOISE["phone_missing"]] = ""

    # addresses
    addr_hh = np.where(moved, rng.integers(n_households, size=n), hh)
    comp = comp_names[hh_comp[addr_hh]]
    bld, unit, room = hh_building[addr_hh], hh_unit[addr_hh], hh_room[addr_hh]
    bs, us, rs = (
        bld.astype(str).astype(object),
        unit.astype(str).astype(object),
        room.astype(str).astype(object),
    )
    district = np.array(DISTRICTS, dtype=object)[rng.integers(len(DISTRICTS), size=n)]
    self_style = r(n) < 0.5
    address = np.empty(n, dtype=object)
    i = np.flatnonzero(source == 0)
    address[i] = district[i] + comp[i] + bs[i] + "栋" + us[i] + "单元" + rs[i] + "室"
    i = np.flatnonzero((source == 1) | ((source == 3) & ~self_style))
    address[i] = comp[i] + bs[i] + "-" + us[i] + "-" + rs[i]
    i = np.flatnonzero(source == 2)
    address[i] = comp[i] + _CN_TABLE[bld[i]] + "号楼" + _CN_TABLE[unit[i]] + "单元" + rs[i]
    i = np.flatnonzero((source == 3) & self_style)
    address[i] = comp[i] + bs[i] + "幢" + us[i] + "单元" + rs[i]
    del comp, bs, us, rs, district
    address[r(n) < NOISE["address_missing"]] = ""

    return pd.DataFrame(
        {
            "record_id": np.char.add("R", np.arange(1, n + 1).astype(str)).astype(object),
            "name": name,
            "sex": sex,
            "birth_date": birth,
            "id_number": id_text,
            "phone": phone_text,
            "address": address,
            "source": np.array(SOURCES, dtype=object)[source],
            "entity_id": person,
            "household_id": household[person],
            "twin_of": twin_of[person],
        }
    )
