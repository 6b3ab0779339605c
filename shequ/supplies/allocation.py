"""Allocation by need, as a pure function: scarce stock shared across requests by a weighted need score,
capped at what each asked, never more than exists. No database here, so it can be property-tested."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from django.utils.translation import gettext_lazy as _

DEFAULT_WEIGHTS = {"population": 0.35, "vulnerable": 0.25, "zone": 0.25, "shortfall": 0.15}
WEIGHT_LABELS = {
    "population": _("服务人口"),
    "vulnerable": _("重点人群"),
    "zone": _("管控等级"),
    "shortfall": _("现有库存缺口"),
}
# 封控区 > 管控区 > 防范区 > no zone.
ZONE_FACTORS = {"sealed": 3.0, "controlled": 2.0, "precaution": 1.0, "": 0.5}
ZONE_LABELS = {"sealed": "封控区", "controlled": "管控区", "precaution": "防范区", "": "无管控"}


@dataclass
class Need:
    key: object
    asked: Decimal
    population: int = 0
    vulnerable: int = 0
    zone: str = ""
    held: Decimal = Decimal("0")


@dataclass
class Share:
    key: object
    quantity: Decimal
    score: float
    factors: dict = field(default_factory=dict)
    explanation: str = ""


def _shares(values: list[float]) -> list[float]:
    total = sum(values)
    if total <= 0:
        return [1.0 / len(values)] * len(values) if values else []
    return [v / total for v in values]


def scores(needs: list[Need], weights: dict[str, float]) -> list[tuple[float, dict]]:
    """Each request's need score (sum of weight × its share of the factor) and the factor breakdown."""
    weights = {k: max(0.0, float(weights.get(k, 0))) for k in DEFAULT_WEIGHTS}
    if sum(weights.values()) <= 0:
        weights = dict(DEFAULT_WEIGHTS)
    pop = _shares([float(n.population) for n in needs])
    vul = _shares([float(n.vulnerable) for n in needs])
    zone = _shares([ZONE_FACTORS.get(n.zone, ZONE_FACTORS[""]) for n in needs])
    gap = _shares([float(max(Decimal(0), n.asked - n.held)) for n in needs])
    out = []
    for i, _n in enumerate(needs):
        parts = {"population": pop[i], "vulnerable": vul[i], "zone": zone[i], "shortfall": gap[i]}
        score = sum(weights[k] * parts[k] for k in parts)
        out.append((max(score, 1e-9), parts))
    return out


def allocate(
    available: Decimal, needs: list[Need], *, weights: dict[str, float] | None = None, countable: bool = True
) -> list[Share]:
    """Water-filling: stock is shared in proportion to the need score; a request that would get more than it
    asked is capped and the rest is shared again among the others. Countable items are whole numbers (the
    remainder goes by largest fraction, then score). Guarantees: 0 <= share <= asked, sum <= available."""
    weights = weights or DEFAULT_WEIGHTS
    available = max(Decimal(0), Decimal(available))
    scored = scores(needs, weights) if needs else []
    quantum = Decimal(1) if countable else Decimal("0.001")
    asked = [max(Decimal(0), Decimal(n.asked)) for n in needs]
    given = [Decimal(0)] * len(needs)
    if countable:
        available = available.to_integral_value(rounding=ROUND_FLOOR)
        asked = [a.to_integral_value(rounding=ROUND_FLOOR) for a in asked]
    # Water-filling on exact fractions of Decimal.
    remaining = available
    open_idx = [i for i in range(len(needs)) if asked[i] > 0]
    ideal = [Decimal(0)] * len(needs)
    while open_idx and remaining > 0:
        total_score = sum(Decimal(str(scored[i][0])) for i in open_idx)
        capped = []
        for i in open_idx:
            portion = remaining * Decimal(str(scored[i][0])) / total_score
            if ideal[i] + portion >= asked[i]:
                capped.append(i)
        if not capped:
            for i in open_idx:
                ideal[i] += remaining * Decimal(str(scored[i][0])) / total_score
            remaining = Decimal(0)
            break
        for i in capped:
            remaining -= asked[i] - ideal[i]
            ideal[i] = asked[i]
        open_idx = [i for i in open_idx if i not in capped]
    # Round down to the quantum, then hand out the leftover quanta by largest fraction.
    for i in range(len(needs)):
        given[i] = min(asked[i], (ideal[i] / quantum).to_integral_value(rounding=ROUND_FLOOR) * quantum)
    # Guard against rounding in the Decimal context: never more than exists.
    excess = sum(given) - available
    for i in sorted(range(len(needs)), key=lambda i: scored[i][0]):
        if excess <= 0:
            break
        cut = min(given[i], excess)
        given[i] -= cut
        excess -= cut
    leftover = available - sum(given)
    order = sorted(range(len(needs)), key=lambda i: (-(ideal[i] - given[i]), -scored[i][0]))
    while leftover >= quantum and any(given[i] + quantum <= asked[i] for i in order):
        for i in order:
            if leftover < quantum:
                break
            if given[i] + quantum <= asked[i]:
                given[i] += quantum
                leftover -= quantum
    result = []
    for i, need in enumerate(needs):
        score, parts = scored[i]
        result.append(
            Share(
                key=need.key,
                quantity=given[i],
                score=round(score, 4),
                factors={k: round(v, 4) for k, v in parts.items()},
                explanation=explain(need, given[i], score, parts, weights),
            )
        )
    return result


def _fmt(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def explain(need: Need, given: Decimal, score: float, parts: dict, weights: dict) -> str:
    w = {k: float(weights.get(k, 0)) for k in DEFAULT_WEIGHTS}
    pieces = [
        f"服务人口 {need.population} 人(占 {parts['population']:.0%})×{w['population']:g}",
        f"重点人群 {need.vulnerable} 人(占 {parts['vulnerable']:.0%})×{w['vulnerable']:g}",
        f"{ZONE_LABELS.get(need.zone, '无管控')}(占 {parts['zone']:.0%})×{w['zone']:g}",
        f"现有 {_fmt(need.held)},缺口占 {parts['shortfall']:.0%}×{w['shortfall']:g}",
    ]
    ratio = (given / need.asked) if need.asked else Decimal(0)
    return (
        "+ ".join(pieces)
        + f" → 需求得分 {score:.3f};申领 {_fmt(need.asked)},分得 {_fmt(given)}({float(ratio):.0%})"
    )
