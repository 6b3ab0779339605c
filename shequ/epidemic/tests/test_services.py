import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequ.core.jurisdiction import SYSTEM
from shequ.emergency import services as emergency
from shequ.emergency.models import IncidentTask
from shequ.emergency.testing import activate, add_roster
from shequ.epidemic import selectors, services
from shequ.epidemic.models import CheckIn, FollowUp, Monitoring, VisitItem, VisitRecord
from shequ.places import services as places
from shequ.places.models import Level


@pytest.fixture
def incident(world):
    add_roster(world.a)
    return activate(world, world.a)


def test_activation_makes_visit_items_for_every_household(world, incident):
    items = VisitItem.objects.filter(campaign__incident=incident)
    assert items.count() == 2  # A's two households; none of B's
    assert all(i.team and i.team.plan_team_code == "screening" for i in items)


def test_seven_day_plan_ends_monitoring_on_day_seven(world, incident):
    start = timezone.localdate() - timedelta(days=10)
    m = services.monitoring_start(
        actor=world.a.worker, incident=incident, person=world.a.spouse, reason="返回", starts_on=start
    )
    assert m.planned_end_on == start + timedelta(days=6)  # day 1 is the start day
    assert services.monitoring_release_due(incident=incident, today=start + timedelta(days=6)) == 0
    assert services.monitoring_release_due(incident=incident, today=start + timedelta(days=7)) == 1
    m.refresh_from_db()
    assert m.status == Monitoring.Status.RELEASED


def test_fourteen_day_plan_changes_behaviour(world):
    add_roster(world.a)
    incident = activate(world, world.a, params={"quarantine_days": 14, "fever_threshold": "38.0"})
    start = timezone.localdate()
    m = services.monitoring_start(
        actor=world.a.worker, incident=incident, person=world.a.spouse, reason="返回"
    )
    assert m.planned_end_on == start + timedelta(days=13)
    # 37.5 is over the library's 37.3 but under this plan's 38.0: no follow-up task
    services.checkin_submit(
        actor=world.a.worker,
        incident=incident,
        person=world.a.head,
        client_uuid=uuid.uuid4(),
        temperature="37.5",
    )
    assert not incident.tasks.filter(source=IncidentTask.Source.READING).exists()


def test_checkin_idempotent_and_over_threshold_task(world, incident):
    key = uuid.uuid4()
    first, created = services.checkin_submit(
        actor=world.a.worker, incident=incident, person=world.a.head, client_uuid=key, temperature="37.6"
    )
    again, created_again = services.checkin_submit(
        actor=world.a.worker, incident=incident, person=world.a.head, client_uuid=key, temperature="37.6"
    )
    assert created and not created_again and first.pk == again.pk
    assert CheckIn.objects.count() == 1 and first.is_over_threshold
    task = incident.tasks.get(source=IncidentTask.Source.READING)
    assert task.team.plan_team_code == "screening" and world.a.head.name in task.title
    with pytest.raises(ValidationError) as exc:
        services.checkin_submit(
            actor=world.a.worker,
            incident=incident,
            person=world.a.head,
            client_uuid=uuid.uuid4(),
            temperature="36.5",
        )
    assert "person" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.checkin_submit(
            actor=world.a.worker,
            incident=incident,
            person=world.a.spouse,
            client_uuid=uuid.uuid4(),
            temperature="99",
        )
    assert "temperature" in exc.value.message_dict
    assert CheckIn.objects.count() == 1


def test_resident_checks_in_own_household_only(world, incident):
    c, _ = services.checkin_submit(
        actor=world.a.resident,
        incident=incident,
        person=world.a.spouse,
        client_uuid=uuid.uuid4(),
        temperature="36.6",
    )
    assert c.channel == CheckIn.Channel.SELF
    with pytest.raises(PermissionDenied):
        services.checkin_submit(
            actor=world.a.resident,
            incident=incident,
            person=world.a.elder,
            client_uuid=uuid.uuid4(),
            temperature="36.6",
        )
    with pytest.raises(PermissionDenied):
        services.checkin_submit(
            actor=world.b.worker,
            incident=incident,
            person=world.a.elder,
            client_uuid=uuid.uuid4(),
            temperature="36.6",
        )


def test_visit_idempotent_and_revisit(world, incident):
    item = VisitItem.objects.get(campaign__incident=incident, household=world.a.household)
    key = uuid.uuid4()
    r1, c1 = services.visit_record(
        actor=world.a.grid_worker,
        item=item,
        client_uuid=key,
        status="some_away",
        people=[{"person": world.a.head.pk, "temperature": "36.4"}],
    )
    r2, c2 = services.visit_record(actor=world.a.grid_worker, item=item, client_uuid=key, status="some_away")
    assert c1 and not c2 and r1.pk == r2.pk and VisitRecord.objects.count() == 1
    item.refresh_from_db()
    assert item.status == "some_away" and item.needs_revisit and item.visits == 1
    with pytest.raises(ValidationError) as exc:
        services.visit_record(
            actor=world.a.grid_worker,
            item=item,
            client_uuid=uuid.uuid4(),
            status="all_present",
            people=[{"person": world.b.head.pk}],
        )
    assert "people[0].person" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.visit_record(actor=world.b.worker, item=item, client_uuid=uuid.uuid4(), status="vacant")
    assert VisitRecord.objects.count() == 1
    progress = selectors.screening_progress(campaign=item.campaign)
    assert progress[0]["reached"] == 1 and progress[0]["revisit"] == 1


def test_zone_types_come_from_plan_and_start_end(world, incident):
    with pytest.raises(ValidationError) as exc:
        services.zone_set(
            actor=world.a.worker, incident=incident, place=world.a.building, zone_type="高风险区"
        )
    assert "zone_type" in exc.value.message_dict
    now = timezone.now()
    z1 = services.zone_set(
        actor=world.a.worker,
        incident=incident,
        place=world.a.building,
        zone_type="封控区",
        starts_at=now - timedelta(days=2),
    )
    z2 = services.zone_set(
        actor=world.a.worker,
        incident=incident,
        place=world.a.building,
        zone_type="管控区",
        starts_at=now - timedelta(days=1),
    )
    z1.refresh_from_db()
    assert z1.ends_at == z2.starts_at
    assert list(selectors.active_zones(incident=incident)) == [z2]
    assert list(selectors.active_zones(incident=incident, when=now - timedelta(hours=36))) == [z1]
    services.zone_end(actor=world.a.worker, zone=z2)
    assert not selectors.active_zones(incident=incident).exists()
    with pytest.raises(ValidationError) as exc:
        services.zone_set(
            actor=world.a.worker,
            incident=incident,
            place=world.a.compound,
            zone_type="防范区",
            starts_at=now,
            ends_at=now - timedelta(hours=1),
        )
    assert "ends_at" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.zone_set(actor=world.b.worker, incident=incident, place=world.a.building, zone_type="封控区")


def test_followup_dates_and_round_robin(world):
    add_roster(world.a)
    incident = activate(world, world.a, params={"followup_days": 6, "followup_every_days": 2})
    # a second screening team over the same building (e.g. added by the worker)
    other = incident.teams.create(plan_team_code="screening", name="排查组(增援)")
    other.team_buildings.create(building=world.a.building, incident=incident)
    last = timezone.localdate() - timedelta(days=1)
    c1 = services.contact_add(
        actor=world.a.worker,
        incident=incident,
        person=world.a.elder,
        case_label="病例1",
        relation="邻居",
        last_contact_on=last,
    )
    f1 = list(c1.followups.order_by("due_on"))
    assert [f.due_on for f in f1] == [
        last + timedelta(days=2),
        last + timedelta(days=4),
        last + timedelta(days=6),
    ]
    first_team = incident.teams.get(name="排查组(A社区第一网格)")
    assert [f.team for f in f1] == [first_team, other, first_team]
    c2 = services.contact_add(
        actor=world.a.worker,
        incident=incident,
        person=world.a.spouse,
        case_label="病例1",
        relation="家属",
        last_contact_on=last,
    )
    assert [f.team for f in c2.followups.order_by("due_on")] == [other, first_team, other]
    with pytest.raises(ValidationError):
        services.contact_add(
            actor=world.a.worker,
            incident=incident,
            person=world.a.head,
            case_label="病例1",
            relation="x",
            last_contact_on=timezone.localdate() + timedelta(days=1),
        )
    f = f1[0]
    services.followup_record(actor=world.a.grid_worker, followup=f, status="done", result="无症状")
    f.refresh_from_db()
    assert f.status == FollowUp.Status.DONE


def test_testing_import_all_or_nothing(world, incident):
    rnd = services.testing_round_create(actor=world.a.worker, incident=incident, name="第一轮")
    from shequ.ledger.services import person_reveal

    head_id = person_reveal(actor=world.a.worker, person=world.a.head, field="id_number", reason="测试")
    bad = f"证件号码,结果\n{head_id},阴性\n110105199901011234,阳性\n"
    with pytest.raises(ValidationError) as exc:
        services.testing_import(actor=world.a.worker, testing_round=rnd, content=bad.encode())
    assert "file" in exc.value.message_dict and "第3行" in exc.value.message_dict["file"][0]
    assert not rnd.entries.filter(status="tested").exists()
    good = f"证件号码,结果\n{head_id},阴性\n"
    assert (
        services.testing_import(actor=world.a.worker, testing_round=rnd, content=good.encode())["rows"] == 1
    )
    assert services.testing_mark_missed(actor=world.a.worker, testing_round=rnd) == rnd.entries.count() - 1


def test_drill_checkins_excluded_from_real_statistics(world):
    add_roster(world.a)
    drill = activate(world, world.a, is_drill=True)
    services.checkin_submit(
        actor=world.a.worker,
        incident=drill,
        person=world.a.head,
        client_uuid=uuid.uuid4(),
        temperature="38.5",
    )
    assert selectors.real_checkin_statistics(actor=world.a.worker) == {"checkins": 0, "over_threshold": 0}
    real = activate(world, world.a)
    services.checkin_submit(
        actor=world.a.worker, incident=real, person=world.a.head, client_uuid=uuid.uuid4(), temperature="38.5"
    )
    assert selectors.real_checkin_statistics(actor=world.a.worker) == {"checkins": 1, "over_threshold": 1}
    # the drill's own board still shows the drill's figures
    assert selectors.board(incident=drill, actor=world.a.worker)["over_threshold"] == 1


def test_stand_down_closes_campaign_and_zones_and_counts_figures(world, incident):
    services.zone_set(actor=world.a.worker, incident=incident, place=world.a.building, zone_type="封控区")
    emergency.incident_stand_down(actor=world.a.worker, incident=incident)
    incident.refresh_from_db()
    assert incident.review_figures["figures"]["排查户数"] == 2
    assert not selectors.active_zones(incident=incident).exists()
    assert not incident.campaigns.filter(status="open").exists()


def test_scope_of_some_buildings(world):
    add_roster(world.a)
    b2 = places.place_create(actor=SYSTEM, level=Level.BUILDING, name="5栋", parent=world.a.compound)
    plan = emergency.plan_copy(
        actor=world.a.worker,
        plan=__import__("shequ.emergency.testing", fromlist=["library_plan"]).library_plan(),
        community=world.a.community,
    )
    incident = emergency.incident_activate(actor=world.a.worker, plan=plan, scope=[b2], level=4)
    assert VisitItem.objects.filter(campaign__incident=incident).count() == 0
    with pytest.raises(ValidationError):
        services.checkin_submit(
            actor=world.a.worker,
            incident=incident,
            person=world.a.head,
            client_uuid=uuid.uuid4(),
            temperature="36.5",
        )
