from shequ.emergency import services
from shequ.emergency.models import Incident, PlanTemplate
from shequ.emergency.testing import add_roster, library_plan


def _edit_data(client, plan):
    form = client.get(f"/emergency/plans/{plan.pk}/edit/").context["form"]
    return {name: form[name].value() for name in form.fields}


def test_plan_edit_form_bad_parameter_names_field_and_changes_nothing(world, client_a):
    plan = services.plan_copy(actor=world.a.worker, plan=library_plan(), community=world.a.community)
    data = _edit_data(client_a, plan)
    data["param_quarantine_days"] = "一周"
    r = client_a.post(f"/emergency/plans/{plan.pk}/edit/", data)
    assert r.status_code == 200 and r.context["form"].errors.get("param_quarantine_days")
    assert PlanTemplate.objects.filter(community=world.a.community).count() == 1
    data["param_quarantine_days"] = "10"
    r = client_a.post(f"/emergency/plans/{plan.pk}/edit/", data)
    assert r.status_code == 302
    new = PlanTemplate.objects.get(community=world.a.community, is_current=True)
    assert new.version == 2 and new.parameter_values()["quarantine_days"] == 10
    assert new.parameter_values()["zone_types"] == ["封控区", "管控区", "防范区"]
    assert new.teams.count() == plan.teams.count() and new.tasks.count() == plan.tasks.count()


def test_activate_form_and_other_community_plan(world, client_a, client_b):
    add_roster(world.a)
    plan = services.plan_copy(actor=world.a.worker, plan=library_plan(), community=world.a.community)
    r = client_a.post(
        "/emergency/activate/",
        {"plan": plan.pk, "scope": [world.a.compound.pk], "level": 3, "is_drill": "on"},
    )
    assert r.status_code == 302
    incident = Incident.objects.get()
    assert incident.is_drill and list(incident.scope_places.all()) == [world.a.compound]
    # B's worker cannot pick A's plan or A's places: the form refuses, nothing is created
    r = client_b.post("/emergency/activate/", {"plan": plan.pk, "scope": [world.a.compound.pk], "level": 3})
    assert r.status_code == 200 and r.context["form"].errors
    assert Incident.objects.count() == 1
    assert client_b.get(f"/emergency/plans/{plan.pk}/").status_code == 404
    assert client_b.post(f"/emergency/plans/{plan.pk}/edit/", {}).status_code == 404


def test_copy_library_plan_page(world, client_a):
    r = client_a.post(
        f"/emergency/plans/{library_plan('flood-typhoon').pk}/",
        {"community": world.a.community.pk, "name": "A社区防汛预案"},
    )
    assert r.status_code == 302
    assert PlanTemplate.objects.get(community=world.a.community).name == "A社区防汛预案"
    r = client_a.post(
        f"/emergency/plans/{library_plan('flood-typhoon').pk}/", {"community": world.b.community.pk}
    )
    assert r.status_code == 200 and r.context["copy_form"].errors.get("community")
