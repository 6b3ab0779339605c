"""`shequ seed`, composed: the ledger's demo street (shequ.ledger.demo), one demo account per role (granted
through accounts.services), then every other app's demo data.

Hook for apps: after the street and the accounts exist, for every app in settings.SHEQU_APPS whose module
`shequ.<app>.demo` defines `seed_demo`, the seed calls

    seed_demo(street=<the street Place>, rng=<random.Random>, progress=<factory>, scale=<residents>)

where `progress(total=..., desc=...)` returns a tqdm bar (on stderr; a no-op bar when quiet). It should build
its demo rows for the street through its own services or in bulk, and leave its own summarising audit events.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from shequ.accounts.models import RoleAssignment, User
from shequ.accounts.services import role_grant
from shequ.core.jurisdiction import SYSTEM
from shequ.core.models import AuditEvent
from shequ.core.rights import ROLE_LABELS, Role
from shequ.ledger.demo import Anchors, Generator, build_street, demo_street, null_progress
from shequ.ledger.models import Household
from shequ.places.models import Facility, Grid, Level, Place

DEMO_PASSWORD = "shequ2026"


@dataclass
class SeedResult:
    street: Place
    created: bool
    accounts: list[dict]
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    ledger_seconds: float = 0.0
    app_seconds: dict = field(default_factory=dict)
    app_errors: dict = field(default_factory=dict)


# Accounts ---------------------------------------------------------------------------------------------------


ACCOUNT_SPECS = [
    ("shequ-street", Role.STREET_OFFICER, "街道干部"),
    ("shequ-worker", Role.COMMUNITY_WORKER, "社区工作者"),
    ("shequ-worker2", Role.COMMUNITY_WORKER, "社区工作者(第二社区)"),
    ("shequ-grid", Role.GRID_WORKER, "网格员"),
    ("shequ-leader", Role.BUILDING_LEADER, "楼栋长"),
    ("shequ-liaison", Role.DEPARTMENT_LIAISON, "部门联络员(卫健)"),
    ("shequ-volunteer", Role.VOLUNTEER, "志愿者"),
    ("shequ-resident", Role.RESIDENT, "居民"),
]


def create_accounts(street: Place, anchors: list[Anchors]) -> None:
    """One demo account per role, its role granted through accounts.services (audited, actor SYSTEM)."""
    first, second = anchors[0], anchors[1] if len(anchors) > 1 else anchors[0]
    hashed = make_password(DEMO_PASSWORD)  # one PBKDF2 run for all demo accounts
    places = Place.objects.in_bulk([first.community, second.community, first.building])
    assert first.household is not None and first.grid is not None, "community 0 noted its anchors"
    household = Household.objects.get(pk=first.household)
    grid = Grid.objects.get(pk=first.grid)
    targets: dict[str, tuple[dict[str, Any], int | None, str]] = {
        "shequ-street": ({"place": street}, None, ""),
        "shequ-worker": ({"place": places[first.community]}, first.worker, ""),
        "shequ-worker2": ({"place": places[second.community]}, second.worker, ""),
        "shequ-grid": ({"grid": grid}, first.grid_worker, ""),
        "shequ-leader": ({"place": places[first.building]}, first.leader, ""),
        "shequ-liaison": ({"place": street}, None, "卫健"),
        "shequ-volunteer": ({"place": places[first.community]}, first.volunteer, ""),
        "shequ-resident": ({"household": household}, first.resident, ""),
    }
    for username, role, label in ACCOUNT_SPECS:
        target, person_id, department = targets[username]
        user = User(
            username=username,
            password=hashed,
            display_name=label,
            department=department,
            person_id=person_id,
        )
        user.save()
        role_grant(actor=SYSTEM, user=user, role=role, **target)


def accounts_table(street: Place) -> list[dict]:
    rows = []
    names = [u for u, *_ in ACCOUNT_SPECS]
    assignments = {
        ra.user.username: ra
        for ra in RoleAssignment.objects.filter(user__username__in=names).select_related(
            "user", "place", "grid", "household__dwelling"
        )
    }
    for username in names:
        ra = assignments.get(username)
        if ra is None:
            continue
        if ra.household is not None:
            where = ra.household.dwelling.address
        elif ra.grid is not None:
            where = ra.grid.name
        elif ra.place is not None:
            where = ra.place.name if ra.place.level != Level.BUILDING else ra.place.full_address()
            if ra.user.department:
                where = f"{where} · {ra.user.department}"
        rows.append(
            {
                "username": username,
                "password": DEMO_PASSWORD,
                "role": str(ROLE_LABELS[Role(ra.role)]),
                "place": where,
            }
        )
    return rows


def format_accounts(rows: list[dict]) -> str:
    def width(s: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    def pad(s: str, w: int) -> str:
        return s + " " * (w - width(s))

    header = {"username": "用户名", "password": "密码", "role": "角色", "place": "管辖范围"}
    cols = ["username", "password", "role", "place"]
    widths = {c: max(width(str(r[c])) for r in [header, *rows]) for c in cols}
    lines = ["  ".join(pad(str(r[c]), widths[c]) for c in cols).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * widths[c] for c in cols))
    return "\n".join(["演示账号 (demo accounts)", *lines]) + "\n"


def write_accounts_file(text: str) -> Path:
    path = Path(settings.VAR_DIR) / "demo-accounts.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# Entry ------------------------------------------------------------------------------------------------------


def table_counts() -> dict[str, int]:
    counts = {}
    for model in (*Generator.MODELS, Facility, AuditEvent, User):
        counts[model._meta.label] = model.objects.count()
    return counts


def seed(
    *,
    residents: int = 30_000,
    seed_value: int = 2026,
    communities: int | None = None,
    progress: Callable[..., Any] | None = None,
    workers: int | None = None,
    apps: bool = True,
) -> SeedResult:
    """Build the demo street unless it exists. Returns the street, whether it was built, and the accounts."""
    started = time.perf_counter()
    existing = demo_street()
    if existing is not None:
        return SeedResult(street=existing, created=False, accounts=accounts_table(existing))
    if residents < 100:
        raise ValueError("residents must be at least 100")
    street, anchors = build_street(
        residents=residents,
        seed_value=seed_value,
        communities=communities,
        progress=progress,
        workers=workers,
    )
    with transaction.atomic():
        create_accounts(street, anchors)
    ledger_seconds = time.perf_counter() - started
    app_seconds, app_errors = (
        run_app_hooks(street, seed_value, progress or null_progress, residents) if apps else ({}, {})
    )
    return SeedResult(
        street=street,
        created=True,
        accounts=accounts_table(street),
        seconds=time.perf_counter() - started,
        ledger_seconds=ledger_seconds,
        app_seconds=app_seconds,
        app_errors=app_errors,
    )


def run_app_hooks(street: Place, seed_value: int, progress, residents: int) -> tuple[dict, dict]:
    """Call `shequ.<app>.demo.seed_demo` of every app that has one. One app's failure is reported (with its
    traceback) and does not undo the street or stop the other apps."""
    import traceback

    seconds: dict[str, float] = {}
    errors: dict[str, str] = {}
    for app in settings.SHEQU_APPS:
        if app == "ledger" or find_spec(f"shequ.{app}") is None or find_spec(f"shequ.{app}.demo") is None:
            continue
        hook = getattr(import_module(f"shequ.{app}.demo"), "seed_demo", None)
        if hook is None:
            continue
        started = time.perf_counter()
        try:
            hook(street=street, rng=random.Random(f"{seed_value}:{app}"), progress=progress, scale=residents)
        except Exception:
            errors[app] = traceback.format_exc()
        seconds[app] = time.perf_counter() - started
    return seconds, errors
