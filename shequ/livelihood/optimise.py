"""Pure computations of the living guarantee, free of the database so they can be benchmarked and tested:
pairing vulnerable residents with helpers (OR-Tools min-cost flow), aggregating group-buy orders into the
merchant's order and per-building pick lists, and balancing delivery load across volunteers."""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass

from ortools.graph.python import min_cost_flow

# Arc costs. Proximity dominates balance: a helper in the same building is always preferred to one in the same
# compound, that one to one elsewhere in the community; within a tier each helper's k-th slot costs a little
# more than the (k-1)-th, so load spreads evenly.
COST = {"building": 0, "compound": 1000, "community": 3000}
UNPAIRED_COST = 100_000
SLOT_COST = 10
MAX_COMPOUND_CANDIDATES = 12
MAX_COMMUNITY_CANDIDATES = 6


@dataclass(frozen=True)
class Resident:
    key: int
    building: int | None
    compound: int | None
    community: int | None


@dataclass(frozen=True)
class Helper:
    key: int
    building: int | None
    compound: int | None
    community: int | None
    capacity: int = 3
    load: int = 0  # residents already paired with this helper


def pair(residents: list[Resident], helpers: list[Helper]) -> dict[int, tuple[int, str]]:
    """Suggest a helper for each resident: {resident key: (helper key, proximity)}; residents with no helper
    within reach (or all helpers full) are left out. Minimises total distance tier cost plus a convex load
    cost per helper (balance), subject to each helper's remaining capacity.

    Helpers never cross a community, so each community is an independent (and much smaller) flow problem."""
    res_by: dict[int | None, list[Resident]] = defaultdict(list)
    help_by: dict[int | None, list[Helper]] = defaultdict(list)
    for r in residents:
        res_by[r.community].append(r)
    for h in helpers:
        help_by[h.community].append(h)
    result: dict[int, tuple[int, str]] = {}
    for community, group in res_by.items():
        if community is not None:
            result.update(_pair_community(group, help_by.get(community, [])))
    return result


def _pair_community(residents: list[Resident], helpers: list[Helper]) -> dict[int, tuple[int, str]]:
    helpers = [h for h in helpers if h.capacity - h.load > 0]
    if not residents or not helpers:
        return {}
    by_building: dict[int, list[int]] = defaultdict(list)
    by_compound: dict[int, list[int]] = defaultdict(list)
    by_community: dict[int, list[int]] = defaultdict(list)
    for j, h in enumerate(helpers):
        if h.building is not None:
            by_building[h.building].append(j)
        if h.compound is not None:
            by_compound[h.compound].append(j)
        if h.community is not None:
            by_community[h.community].append(j)
    # Rotate candidate lists per resident so the capped candidate sets differ and load can spread.
    n_res = len(residents)
    source = 0
    sink = 1
    res_node = 2
    helper_node = res_node + n_res
    mcf = min_cost_flow.SimpleMinCostFlow()
    tails, heads, caps, costs = [], [], [], []
    tier_of: dict[tuple[int, int], str] = {}
    for i, r in enumerate(residents):
        u = res_node + i
        tails.append(source), heads.append(u), caps.append(1), costs.append(0)
        tails.append(u), heads.append(sink), caps.append(1), costs.append(UNPAIRED_COST)
        seen: set[int] = set()
        for tier, index, key, limit in (
            ("building", by_building, r.building, None),
            ("compound", by_compound, r.compound, MAX_COMPOUND_CANDIDATES),
            ("community", by_community, r.community, MAX_COMMUNITY_CANDIDATES),
        ):
            if key is None:
                continue
            pool = index.get(key, ())
            if limit is not None and len(pool) > limit:
                start = (i * 7) % len(pool)
                pool = [pool[(start + k) % len(pool)] for k in range(limit)]
            for j in pool:
                if j in seen:
                    continue
                seen.add(j)
                tier_of[(i, j)] = tier
                tails.append(u), heads.append(helper_node + j), caps.append(1), costs.append(COST[tier])
    for j, h in enumerate(helpers):
        v = helper_node + j
        for k in range(h.capacity - h.load):
            tails.append(v), heads.append(sink), caps.append(1), costs.append(SLOT_COST * (h.load + k))
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    mcf.set_node_supply(source, n_res)
    mcf.set_node_supply(sink, -n_res)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"pairing optimiser failed: {status}")
    result: dict[int, tuple[int, str]] = {}
    pairing_arcs = [a for a in range(len(tails)) if heads[a] >= helper_node and tails[a] != source]
    flows = mcf.flows(pairing_arcs)
    for arc, flow in zip(pairing_arcs, flows, strict=True):
        if flow > 0:
            i, j = tails[arc] - res_node, heads[arc] - helper_node
            result[residents[i].key] = (helpers[j].key, tier_of[(i, j)])
    return result


@dataclass(frozen=True)
class Line:
    order: int
    building: int
    dwelling_label: str
    pickup_code: str
    item: int
    item_name: str
    unit: str
    quantity: int
    price: object  # Decimal


def aggregate(lines: list[Line]) -> tuple[list[dict], list[dict]]:
    """(merchant order: one row per item with total quantity and amount, pick lists: one per building with one
    entry per order listing its items). Lines are expected grouped by nothing in particular."""
    totals: dict[int, dict] = {}
    buildings: dict[int, dict[int, dict]] = defaultdict(dict)
    for ln in lines:
        t = totals.get(ln.item)
        if t is None:
            t = totals[ln.item] = {
                "item": ln.item,
                "name": ln.item_name,
                "unit": ln.unit,
                "quantity": 0,
                "amount": 0,
                "price": ln.price,
            }
        t["quantity"] += ln.quantity
        t["amount"] += ln.price * ln.quantity
        orders = buildings[ln.building]
        entry = orders.get(ln.order)
        if entry is None:
            entry = orders[ln.order] = {
                "order": ln.order,
                "dwelling": ln.dwelling_label,
                "pickup_code": ln.pickup_code,
                "items": [],
            }
        entry["items"].append((ln.item_name, ln.quantity, ln.unit))
    merchant = sorted(totals.values(), key=lambda r: r["name"])
    picks = []
    for building, orders in buildings.items():
        entries = sorted(orders.values(), key=lambda e: e["dwelling"])
        item_totals: dict[str, int] = defaultdict(int)
        for e in entries:
            for name, qty, _unit in e["items"]:
                item_totals[name] += qty
        picks.append({"building": building, "orders": entries, "totals": dict(item_totals)})
    return merchant, picks


def balance(loads: dict[int, int], volunteers: list[int]) -> dict[int, int]:
    """Buildings to volunteers so the largest load is small (longest-processing-time first):
    {building: volunteer}. Every building goes to exactly one volunteer."""
    if not volunteers:
        return {}
    heap = [(0, idx, v) for idx, v in enumerate(volunteers)]
    heapq.heapify(heap)
    result = {}
    for building, load in sorted(loads.items(), key=lambda kv: (-kv[1], kv[0])):
        total, idx, v = heapq.heappop(heap)
        result[building] = v
        heapq.heappush(heap, (total + load, idx, v))
    return result
