from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequ.emergency import selectors, services
from shequ.emergency.models import Incident, IncidentTask, PlanTemplate, TeamMember
from shequ.emergency.testing import activate, add_roster, library_plan
from shequ.notifications.models import Notification


def test_library_ships_three_plans_with_parameters(db):
    library_plan()  # a transactional test elsewhere may have flushed the migration's rows
    codes = set(PlanTemplate.objects.filter(community__isnull=True).values_list("code", flat=True))
    assert {"public-health", "flood-typhoon", "fire-evacuation"} <= codes
    params = library_plan().parameter_values()
    assert params["quarantine_days"] == 7
    assert params["zone_types"] == ["封控区", "管控区", "防范区"]


def test_activation_forms_teams_from_roster(world):
    duties = add_roster(world.a)
    add_roster(world.b)  # B's roster must never be drawn into A's teams
    incident = activate(world, world.a)
    teams = {t.plan_team_code: t for t in incident.teams.all()}
    assert set(teams) == {"coordination", "screening", "supply", "transfer", "publicity", "disinfection"}
    members = {
        m.person.name: m
        for m in TeamMember.objects.filter(team__incident=incident).select_related("person", "team")
    }
    # 定岗、定责、定位: each person holds one post, with a duty and a place
    assert members["A社工甲"].team.plan_team_code == "coordination" and members["A社工甲"].post == "组长"
    assert members["A社工乙"].post == "信息员"
    screening = teams["screening"]
    assert screening.name == "排查组(A社区第一网格)"
    assert members["A网格员"].team == screening and members["A网格员"].post == "组长"
    assert members["A楼栋长"].team == screening and members["A楼栋长"].post == "楼栋联络员"
    assert members["A下沉干部"].team == screening and members["A下沉干部"].place == world.a.building
    assert members["A志愿者"].team.plan_team_code == "supply"
    # the party member matches 保供组's 配送员 first (teams fill in plan order, one post per person)
    assert members["A党员"].team.plan_team_code == "supply"
    assert not teams["publicity"].members.exists()
    assert all(m.responsibility for m in members.values())
    assert not any(name.startswith("B") for name in members)
    assert list(screening.buildings.all()) == [world.a.building]
    assert len(members) == len(duties)
    # tasks: one per plan task applying at level III, deadline relative to activation
    tasks = list(incident.tasks.all())
    assert len(tasks) == 6
    first = next(t for t in tasks if t.title.startswith("召开"))
    assert first.due_at == incident.activated_at + timedelta(hours=2)
    assert first.team == teams["coordination"]


def test_activation_at_level_iv_skips_tasks_for_severe_levels(world):
    add_roster(world.a)
    incident = activate(world, world.a, level=4)
    assert not incident.tasks.filter(title="公共区域消杀").exists()


def test_activation_notifies_members_with_accounts(world):
    duties = add_roster(world.a)
    leader = next(d for k, d in duties.items() if k.startswith("building_leader"))
    world.a.building_leader.person = leader.person
    world.a.building_leader.save()
    incident = activate(world, world.a, is_drill=True)
    note = Notification.objects.get(recipient=world.a.building_leader)
    assert note.title.startswith("【演练】") and note.is_drill
    assert str(incident.pk) in note.url


def test_activation_bad_level_names_field_and_changes_nothing(world):
    plan = services.plan_copy(actor=world.a.worker, plan=library_plan(), community=world.a.community)
    with pytest.raises(ValidationError) as exc:
        services.incident_activate(actor=world.a.worker, plan=plan, scope=[world.a.community], level=9)
    assert "level" in exc.value.message_dict
    assert Incident.objects.count() == 0


def test_activation_outside_jurisdiction_is_denied(world):
    plan = services.plan_copy(actor=world.a.worker, plan=library_plan(), community=world.a.community)
    with pytest.raises(PermissionDenied):
        services.incident_activate(actor=world.b.worker, plan=plan, scope=[world.a.community], level=3)
    with pytest.raises(PermissionDenied):
        services.plan_copy(actor=world.b.worker, plan=library_plan(), community=world.a.community)
    assert Incident.objects.count() == 0


def test_scope_mixed_communities_rejected(world):
    plan = library_plan()
    with pytest.raises(ValidationError) as exc:
        services.incident_activate(
            actor=world.street_officer, plan=plan, scope=[world.a.compound, world.b.compound], level=3
        )
    assert "scope" in exc.value.message_dict


def test_plan_revise_makes_new_version_and_validates(world):
    plan = services.plan_copy(actor=world.a.worker, plan=library_plan(), community=world.a.community)
    with pytest.raises(ValidationError) as exc:
        services.plan_revise(actor=world.a.worker, plan=plan, parameters={"quarantine_days": "七天"})
    assert "param_quarantine_days" in exc.value.message_dict
    plan.refresh_from_db()
    assert plan.is_current and PlanTemplate.objects.filter(community=world.a.community).count() == 1
    v2 = services.plan_revise(
        actor=world.a.worker,
        plan=plan,
        parameters={"quarantine_days": "14"},
        new_parameters=[{"key": "mask_rule", "label": "口罩", "type": "text", "value": "N95"}],
    )
    assert v2.version == 2 and v2.parameter_values()["quarantine_days"] == 14
    assert v2.parameter_values()["mask_rule"] == "N95"
    plan.refresh_from_db()
    assert not plan.is_current and plan.parameter_values()["quarantine_days"] == 7
    with pytest.raises(ValidationError):
        services.plan_revise(actor=world.a.worker, plan=library_plan(), parameters={})


def test_plan_revise_teams_validation(world):
    plan = services.plan_copy(actor=world.a.worker, plan=library_plan(), community=world.a.community)
    with pytest.raises(ValidationError) as exc:
        services.plan_revise(
            actor=world.a.worker,
            plan=plan,
            teams=[{"code": "x", "name": "X组", "roles": [{"post": "组长", "duty_kinds": ["wizard"]}]}],
        )
    assert "teams" in exc.value.message_dict


def test_user_added_kind(world):
    kind = services.emergency_kind_create(actor=world.a.worker, name="燃气泄漏")
    assert kind.code and not kind.is_builtin
    with pytest.raises(ValidationError):
        services.emergency_kind_create(actor=world.a.worker, name="燃气泄漏")


def test_drills_never_reach_real_statistics(world):
    add_roster(world.a)
    real = activate(world, world.a)
    drill = activate(world, world.a, is_drill=True)
    IncidentTask.objects.filter(incident=drill).update(due_at=timezone.now() - timedelta(hours=1))
    stats = selectors.incident_statistics(actor=world.a.worker)
    assert stats["active"] == 1 and stats["overdue_tasks"] == 0
    assert selectors.incident_statistics(actor=world.a.worker, include_drill=True)["active"] == 2
    banners = selectors.banners_for(world.a.worker)
    assert any(b["drill"] for b in banners) and any(not b["drill"] for b in banners)
    assert not selectors.banners_for(world.b.worker)
    assert real.code.startswith("YJ") and drill.code.startswith("YL")


def test_team_adjust_and_stand_down_review(world):
    add_roster(world.a)
    incident = activate(world, world.a)
    team = incident.teams.get(plan_team_code="supply")
    member = services.team_member_add(
        actor=world.a.worker, team=team, person=world.a.head, post="配送员", responsibility="送药"
    )
    with pytest.raises(ValidationError):
        services.team_member_add(actor=world.a.worker, team=team, person=world.a.head, post="配送员")
    with pytest.raises(ValidationError):
        services.team_member_add(actor=world.a.worker, team=team, person=world.b.head, post="配送员")
    services.team_member_update(actor=world.a.worker, member=member, post="联络员")
    with pytest.raises(PermissionDenied):
        services.team_member_remove(actor=world.b.worker, member=member)
    task = incident.tasks.first()
    IncidentTask.objects.filter(pk=task.pk).update(due_at=timezone.now() - timedelta(hours=1))
    services.task_complete(actor=world.a.worker, task=task)
    done = incident.tasks.exclude(pk=task.pk).first()
    services.task_complete(actor=world.a.worker, task=done)
    services.incident_stand_down(actor=world.a.worker, incident=incident, notes="排查组人手不足")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.STOOD_DOWN
    figures = incident.review_figures["figures"]
    assert figures["已完成任务"] == 2 and figures["逾期任务"] >= 1
    assert [x["title"] for x in incident.review_figures["late"]][0] == task.title
    assert incident.tasks.filter(status="open").count() == 0
    assert any("终止响应" in e.text for e in incident.timeline.all())
    with pytest.raises(ValidationError):
        services.team_member_add(actor=world.a.worker, team=team, person=world.a.spouse, post="x")
