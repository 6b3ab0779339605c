"""For the generic jurisdiction walk: cases (and a whistle) in both communities, made through the services.
Returns strings that appear only in community B's objects."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from shequ.cases import services
from shequ.cases.models import HandlingLevel, ServiceItem


def catalogue(world) -> dict[str, ServiceItem]:
    officer = world.street_officer
    items = {}
    for code, name, kind, level, department in (
        ("water", "楼道漏水", ServiceItem.Kind.COMPLAINT, HandlingLevel.COMPOUND, "住建"),
        ("noise", "噪音扰民", ServiceItem.Kind.COMPLAINT, HandlingLevel.COMPOUND, "公安"),
        ("elder", "独居老人求助", ServiceItem.Kind.HELP, HandlingLevel.COMMUNITY, "民政"),
        ("cert", "居住证明开具", ServiceItem.Kind.SERVICE, HandlingLevel.COMMUNITY, ""),
    ):
        existing = ServiceItem.objects.filter(street=world.street, code=code).first()
        items[code] = existing or services.service_item_create(
            actor=officer,
            street=world.street,
            kind=kind,
            code=code,
            name=name,
            lowest_level=level,
            department=department,
            documents_needed="身份证" if kind == ServiceItem.Kind.SERVICE else "",
        )
    return items


def populate(world) -> list[str]:
    items = catalogue(world)
    a = services.case_submit(
        actor=world.a.worker,
        category=items["water"],
        title="阳光花园3栋楼道漏水-甲方案例",
        channel="counter",
        place=world.a.building,
        requester_name="张先生",
        requester_phone="13800138000",
    )
    b = services.case_submit(
        actor=world.b.worker,
        category=items["water"],
        title="老街小区乙方独有漏水诉求-乙柒捌",
        channel="hotline",
        place=world.b.building,
        requester_name="王女士",
        requester_phone="13900139000",
    )
    services.case_submit(
        actor=world.b.resident,
        category=items["noise"],
        title="乙方居民夜间噪音投诉-乙玖",
        channel="resident",
        dwelling=world.b.dwellings[0],
    )
    deadline = timezone.now() + timedelta(hours=4)
    services.whistle_blow(
        actor=world.a.worker, case=a, reason="甲方吹哨原因", report_by=deadline, departments=["住建"]
    )
    services.whistle_blow(
        actor=world.b.worker,
        case=b,
        reason="乙方吹哨独有事由-乙拾",
        report_by=deadline,
        departments=["住建", "城管"],
    )
    services.duty_record(
        actor=world.b.worker,
        community=world.b.community,
        department="城管",
        title="乙方清单外下派事项-乙壹贰",
    )
    return [
        b.title,
        b.number,
        "乙方居民夜间噪音投诉-乙玖",
        "乙方吹哨独有事由-乙拾",
        "乙方清单外下派事项-乙壹贰",
    ]
