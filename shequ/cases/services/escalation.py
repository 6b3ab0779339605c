"""Auto-escalation (set-based): every overdue open case goes one level up in one statement per level, its
timeline lines in bulk, and one summary notification per community and level. Run by the periodic job."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Case as DbCase
from django.db.models import CharField, DateTimeField, F, Value, When, sql
from django.urls import reverse
from django.utils import timezone

from shequ.cases import selectors as sel
from shequ.cases.models import LEVEL_ORDER, NEXT_LEVEL, Case, CaseEvent, HandlingLevel, ServiceItem
from shequ.core.audit import audit_record
from shequ.core.jurisdiction import SYSTEM
from shequ.notifications.services import Message, notify_bulk
from shequ.places.models import Place


def cases_escalate_overdue(*, now: datetime | None = None) -> dict[str, int]:
    """Move every overdue open case one level up: one UPDATE … RETURNING per level (the new deadline and, for a
    department, which one, picked per category by a CASE expression), the timeline rows in bulk, and one batch
    of notifications (a summary per community and level). The query count does not depend on the number of
    cases. Idempotent: a restart re-scans and finds only what is still overdue."""
    now = now or timezone.now()
    items = list(
        ServiceItem.objects.values_list(
            "pk", "hours_compound", "hours_community", "hours_street", "hours_department", "department"
        )
    )
    hours_index = {"compound": 1, "community": 2, "street": 3, "department": 4}
    result: dict[str, int] = {}
    moved: dict[tuple[str, int, int, str], int] = defaultdict(int)
    with transaction.atomic():
        # From the top down, so a case moves at most one level per scan.
        for source in reversed(LEVEL_ORDER[:-1]):
            target = NEXT_LEVEL[source]
            by_hours: dict[int, list[int]] = defaultdict(list)
            by_department: dict[str, list[int]] = defaultdict(list)
            for row in items:
                by_hours[row[hours_index[target]]].append(row[0])
                by_department[row[5]].append(row[0])
            deadline = DbCase(
                *[
                    When(category_id__in=ids, then=Value(now + timedelta(hours=h)))
                    for h, ids in by_hours.items()
                ],
                default=Value(now + timedelta(hours=24)),
                output_field=DateTimeField(),
            )
            department = Value("")
            if target == HandlingLevel.DEPARTMENT:
                department = DbCase(
                    *[When(category_id__in=ids, then=Value(d)) for d, ids in by_department.items()],
                    default=Value(""),
                    output_field=CharField(),
                )
            counts = _move_overdue(
                Case.objects.filter(status__in=Case.OPEN, level=source, deadline_at__lt=now),
                {
                    "level": target,
                    "department": department,
                    "level_entered_at": now,
                    "deadline_at": deadline,
                    "escalation_count": F("escalation_count") + 1,
                    "assigned_to": None,
                    "updated_at": now,
                },
                now=now,
                source=source,
                target=target,
            )
            result[target] = sum(counts.values())
            for (community_id, street_id, dept), n in counts.items():
                moved[(target, community_id, street_id, dept or "")] += n
        if moved:
            _escalation_notices(moved)
            audit_record(
                actor=SYSTEM,
                kind="action",
                action="cases_escalate_overdue",
                object_type="cases.case",
                object_label="超时自动升级",
                after=dict(result),
            )
    return result


def _move_overdue(queryset, values: dict, *, now, source: str, target: str) -> dict[tuple, int]:
    """Run the level's UPDATE and write a timeline line for every moved case; return the moved count per
    (community, street, department). On PostgreSQL it is one statement (UPDATE … RETURNING feeding an INSERT in
    a CTE); elsewhere UPDATE … RETURNING and a bulk insert."""
    query = queryset.query.chain(sql.UpdateQuery)
    query.add_update_values(values)
    query.annotations = {}
    statement, params = query.get_compiler(queryset.db).as_sql()
    if not statement:
        return {}
    text = f"本级超过办理期限,自动升级至{HandlingLevel(target).label}"
    kind = str(CaseEvent.Kind.AUTO_ESCALATED.value)
    events = connection.ops.quote_name(CaseEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH moved AS ({statement} RETURNING id, community_id, street_id, department), "  # noqa: S608
                f"ev AS (INSERT INTO {events} (case_id, at, actor_id, actor_label, kind, text, from_level, "
                "to_level, is_public) SELECT id, %s, NULL, %s, %s, %s, %s, %s, true FROM moved) "
                "SELECT community_id, street_id, department, COUNT(*) FROM moved GROUP BY 1, 2, 3",
                [*params, now, "系统", kind, text, source, target],
            )
            return {(c, st, d): n for c, st, d, n in cursor.fetchall()}
        cursor.execute(f"{statement} RETURNING id, community_id, street_id, department", params)
        rows = cursor.fetchall()
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case_id=r[0],
                at=now,
                actor_label="系统",
                kind=kind,
                text=text,
                from_level=source,
                to_level=target,
            )
            for r in rows
        ],
        batch_size=2000,
    )
    counts: dict[tuple, int] = defaultdict(int)
    for _pk, community_id, street_id, dept in rows:
        counts[(community_id, street_id, dept)] += 1
    return counts


def _escalation_notices(counts: dict[tuple[str, int, int, str], int]) -> None:
    """One summary per community and level to the people who now hold the cases, all in one notify_bulk()."""
    communities = {k[1] for k in counts}
    streets = {k[2] for k in counts}
    names = dict(Place.objects.filter(pk__in=communities).values_list("pk", "name"))
    holders = sel.holders_by_place(
        community_ids=communities, street_ids=streets, departments={k[3] for k in counts if k[3]}
    )
    url = reverse("cases:queue")
    messages = []
    for (target, community_id, street_id, department), n in sorted(counts.items()):
        if target == HandlingLevel.COMMUNITY:
            recipients = holders["community"].get(community_id, [])
        elif target == HandlingLevel.STREET:
            recipients = holders["street"].get(street_id, [])
        else:
            recipients = (
                holders["street"].get(street_id, [])
                + holders["department"].get((department, community_id), [])
                + holders["department"].get((department, street_id), [])
            )
        label = HandlingLevel(target).label + (f"·{department}" if department else "")
        messages.append(
            Message(
                recipients=recipients,
                kind="case.escalated",
                title=f"{names.get(community_id, '')}有{n}件诉求超时,已自动升级至{label}",
                url=f"{url}?level={target}",
                channels=("inbox", "sms"),
            )
        )
    notify_bulk(actor=SYSTEM, messages=messages)
