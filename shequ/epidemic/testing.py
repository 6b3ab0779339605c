"""Test data for epidemic operations: `populate(world)` creates, through the services, an incident with a
campaign, a visit, check-ins, a zone, a monitoring, a contact and a testing round in each community; the
strings returned appear only in community B's objects (for the jurisdiction walk)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from shequ.emergency.testing import activate, add_roster
from shequ.epidemic import services
from shequ.epidemic.models import VisitItem


def populate(world) -> list[str]:
    out = []
    for side, tag in ((world.a, "甲"), (world.b, "乙")):
        add_roster(side, prefix="疫")
        incident = activate(world, side, title=f"{side.community.name}防疫响应{tag}")
        item = VisitItem.objects.filter(campaign__incident=incident, household=side.household).first()
        services.visit_record(
            actor=side.worker,
            item=item,
            client_uuid=uuid.uuid4(),
            status="all_present",
            notes=f"走访备注{tag}",
            people=[{"person": side.head.pk, "temperature": "36.5"}],
        )
        services.checkin_submit(
            actor=side.worker,
            incident=incident,
            person=side.head,
            client_uuid=uuid.uuid4(),
            temperature="38.2",
            symptoms=f"咳嗽{tag}",
            has_symptoms=True,
        )
        services.zone_set(actor=side.worker, incident=incident, place=side.building, zone_type="管控区")
        services.monitoring_start(
            actor=side.worker, incident=incident, person=side.spouse, reason=f"外地返回{tag}"
        )
        services.contact_add(
            actor=side.worker,
            incident=incident,
            person=side.elder,
            case_label=f"病例{tag}001",
            relation="同楼邻居",
            last_contact_on=timezone.localdate() - timedelta(days=1),
        )
        services.testing_round_create(actor=side.worker, incident=incident, name=f"第一轮全员检测{tag}")
        if tag == "乙":
            out += [
                f"{side.community.name}防疫响应{tag}",
                f"走访备注{tag}",
                f"咳嗽{tag}",
                f"外地返回{tag}",
                f"病例{tag}001",
                f"第一轮全员检测{tag}",
            ]
    return out
