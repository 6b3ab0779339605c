"""`shequ seed`: the demo street is realistic, valid, scoped, deterministic and idempotent."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from shequ.accounts.models import User
from shequ.core import idnumbers, phones, pii
from shequ.core.divisions import validate_division_code
from shequ.core.jurisdiction import grants
from shequ.core.models import AuditEvent
from shequ.core.rights import Right
from shequ.demo import seed as demo
from shequ.ledger import selectors
from shequ.ledger.models import Duty, GroupTag, Household, Person, Residency
from shequ.places.models import Dwelling, Grid, Level, Place

N = 600


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def street(db, var_dir):
    result = demo.seed(residents=N, seed_value=7)
    assert result.created
    return result.street


def _years_ago(years: int) -> date:
    today = date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def test_population_is_realistic(street):
    residents = Person.objects.filter(home__isnull=False)
    n = residents.count()
    assert N <= n <= N + 5  # the last household may overshoot by a few people
    aged60 = residents.filter(birth_date__lte=_years_ago(60)).count()
    assert 0.14 <= aged60 / n <= 0.28
    children = residents.filter(birth_date__gt=_years_ago(15)).count()
    assert 0.08 <= children / n <= 0.25
    floating = residents.filter(hukou_is_local=False).count()
    assert 0.10 <= floating / n <= 0.32
    assert residents.filter(sex="F").count() / n == pytest.approx(0.5, abs=0.08)
    # Households with relations
    sizes = Household.objects.count()
    assert 2.0 <= n / sizes <= 3.0
    relations = set(Household.objects.values_list("members__relation", flat=True))
    assert {"head", "spouse", "child", "parent"} <= relations
    assert not Household.objects.filter(head__isnull=True).exists()


def test_places_compounds_and_grids(street):
    validate_division_code(street.division_code, level="street")
    communities = Place.objects.filter(level=Level.COMMUNITY, street=street)
    assert communities.count() >= 2
    for c in communities:
        validate_division_code(c.division_code, level="community")
        assert c.division_code[:9] == street.division_code[:9]
    compounds = list(Place.objects.filter(level=Level.COMPOUND))
    assert any(c.is_three_without for c in compounds)
    assert any(not c.is_three_without and c.has_property_management for c in compounds)
    years = {c.built_year for c in compounds}
    assert min(years) < 2000
    for place in Place.objects.select_related("parent", "grid"):
        place.full_clean()  # level order, grid of the same community, division codes
        assert place.path.endswith(f"/{place.pk}/")
        if place.parent_id:
            assert place.path.startswith(place.parent.path)
        assert getattr(place, f"{place.level}_id") == place.pk
    buildings = Place.objects.filter(level=Level.BUILDING)
    assert not buildings.filter(grid__isnull=True).exists()
    assert buildings.filter(has_elevator=False).exists()
    for d in Dwelling.objects.select_related("unit__compound", "unit__building")[:200]:
        assert d.address == f"{d.unit.compound.name}{d.unit.building.name}{d.unit.name}{d.room}"
        assert d.building_id == d.unit.building_id and d.grid_id == d.unit.grid_id
    assert Dwelling.objects.filter(is_vacant=True).exists()
    assert Dwelling.objects.filter(use=Dwelling.Use.COMMERCIAL).exists() or True  # shops are random
    for grid in Grid.objects.all():
        assert grid.dwellings.exists()


def test_rented_dwellings_have_an_owner_living_elsewhere(street):
    rented = Dwelling.objects.filter(residencies__role=Residency.Role.TENANT).distinct()
    assert rented.exists()
    for d in rented[:30]:
        owners = Residency.objects.filter(dwelling=d, role=Residency.Role.OWNER)
        assert owners.exists()
        for owner in owners:
            assert owner.lives_here is False
            assert owner.person.home_id != d.pk
        tenants = Residency.objects.filter(dwelling=d, role=Residency.Role.TENANT)
        assert all(t.lives_here and t.person.home_id == d.pk for t in tenants)
    assert Residency.objects.filter(role=Residency.Role.OWNER, lives_here=True).exists()


def test_ids_and_phones_are_valid_unique_and_protected(street):
    hashes = set()
    for p in Person.objects.all():
        number = pii.decrypt(p.id_number_encrypted)
        info = idnumbers.parse(number)
        assert info.birth_date == p.birth_date and info.sex == p.sex
        assert p.id_number_hash == pii.keyed_hash("id", idnumbers.canonical(number))
        assert p.id_number_masked == idnumbers.mask(number) and number not in p.id_number_masked
        hashes.add(p.id_number_hash)
        if p.phone_encrypted:
            phone = pii.decrypt(p.phone_encrypted)
            assert phones.parse(phone) == phone
            assert p.phone_tail == phone[-4:] and p.phone_masked == phones.mask(phone)
        assert p.name_pinyin and p.name_initials
    assert len(hashes) == Person.objects.count()
    assert Person.objects.filter(id_type="legacy15").count() < Person.objects.count() * 0.05


def test_tags_needs_and_duties(street):
    kinds = set(GroupTag.objects.values_list("kind", flat=True))
    assert {"alone_elderly", "disabled", "chronic", "infant", "empty_nest"} <= kinds
    grades = set(GroupTag.objects.filter(kind="disabled").values_list("grade", flat=True))
    assert grades <= {"一级", "二级", "三级", "四级"}
    residents = Person.objects.filter(home__isnull=False).count()
    disabled = GroupTag.objects.filter(kind="disabled").count()
    assert 0.02 <= disabled / residents <= 0.12
    for tag in GroupTag.objects.filter(kind="alone_elderly").select_related("person"):
        assert tag.person.age >= 65
    assert GroupTag.objects.filter(kind="infant", person__birth_date__lt=_years_ago(3)).count() == 0
    duty_kinds = set(Duty.objects.values_list("kind", flat=True))
    assert {
        "community_worker",
        "grid_worker",
        "building_leader",
        "party_member",
        "volunteer",
        "sunk_cadre",
    } <= (duty_kinds)
    for grid in Grid.objects.all():
        assert Duty.objects.filter(kind="grid_worker", grid=grid).exists()
    for duty in Duty.objects.select_related("place")[:300]:
        assert duty.community_id == duty.place.community_id
        assert duty.street_id == street.pk
    party = Person.objects.filter(political_status="party").count()
    assert 0.03 <= party / Person.objects.count() <= 0.12
    assert Household.objects.filter(needs__isnull=False).exists()


def test_one_audit_event_per_batch(street):
    events = AuditEvent.objects.filter(action="seed")
    assert events.exists()
    assert set(events.values_list("kind", flat=True)) == {"import"}
    assert events.count() < 40
    assert not AuditEvent.objects.exclude(action="seed").filter(object_type="ledger.person").exists()


def test_every_demo_account_logs_in_and_sees_only_its_scope(street, var_dir):
    # The street exists: prints the accounts and writes the file. With the progress bar, as `make run` calls it.
    call_command("seed")
    text = (var_dir / "demo-accounts.txt").read_text(encoding="utf-8")
    for username, *_ in demo.ACCOUNT_SPECS:
        assert username in text
        assert Client().login(username=username, password=demo.DEMO_PASSWORD), username
    users = {u.username: u for u in User.objects.filter(username__startswith="shequ-")}
    worker, worker2 = users["shequ-worker"], users["shequ-worker2"]
    c1 = grants(worker)[0].target_id
    c2 = grants(worker2)[0].target_id
    assert c1 != c2
    seen1 = set(selectors.people_visible_to(worker).values_list("community_id", flat=True))
    assert seen1 == {c1}
    assert set(selectors.people_visible_to(worker2).values_list("community_id", flat=True)) == {c2}
    assert (
        selectors.people_visible_to(users["shequ-street"]).count()
        == Person.objects.filter(merged_into__isnull=True).count()
    )
    grid_id = grants(users["shequ-grid"])[0].target_id
    assert set(
        selectors.households_visible_to(users["shequ-grid"]).values_list("dwelling__grid_id", flat=True)
    ) == {grid_id}
    building_id = grants(users["shequ-leader"])[0].target_id
    leader_sees = selectors.people_visible_to(users["shequ-leader"])
    assert leader_sees.exists()
    assert set(leader_sees.values_list("home__building_id", flat=True)) == {building_id}
    assert not selectors.people_visible_to(users["shequ-volunteer"]).exists()
    liaison = users["shequ-liaison"]
    assert liaison.department == "卫健"
    assert selectors.people_visible_to(liaison).exists()
    assert not selectors.people_visible_to(liaison, Right.PII_REVEAL).exists()
    resident = users["shequ-resident"]
    home = Household.objects.get(pk=resident.role_assignments.get().household_id)
    assert resident.person_id == home.head_id
    assert {g.target_id for g in grants(resident)} == {home.dwelling_id}
    # Pages: the worker opens a household of their community; the other community's answers 404.
    client = Client()
    client.force_login(worker)
    own = Household.objects.filter(dwelling__community_id=c1).first()
    other = Household.objects.filter(dwelling__community_id=c2).first()
    assert client.get(reverse("ledger:household", kwargs={"pk": own.pk})).status_code == 200
    assert client.get(reverse("ledger:household", kwargs={"pk": other.pk})).status_code == 404
    # Demo workers, grid worker and leader are people of the ledger holding that duty.
    assert Duty.objects.filter(person_id=worker.person_id, kind="community_worker", community_id=c1).exists()
    assert Duty.objects.filter(
        person_id=users["shequ-grid"].person_id, kind="grid_worker", grid_id=grid_id
    ).exists()
    assert Duty.objects.filter(
        person_id=users["shequ-leader"].person_id, kind="building_leader", place_id=building_id
    ).exists()


def test_seed_is_idempotent_and_the_command_prints_accounts(street, capsys):
    counts = demo.table_counts()
    again = demo.seed(residents=N, seed_value=7)
    assert not again.created and again.street == street
    assert demo.table_counts() == counts
    call_command("seed", "--residents", str(N), "--no-progress")
    out = capsys.readouterr().out
    assert "shequ-worker2" in out and demo.DEMO_PASSWORD in out
    assert demo.table_counts() == counts


def test_same_seed_same_street_and_reset(db, var_dir):
    demo.seed(residents=300, seed_value=11)
    first = list(Person.objects.order_by("id").values_list("name", "birth_date", "sex", "hukou_region"))
    compounds = list(Place.objects.filter(level=Level.COMPOUND).order_by("id").values_list("name", flat=True))
    if connection.vendor == "postgresql":  # inside the test's transaction: fire the deferred FK checks first
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("seed", "--residents", "300", "--seed", "11", "--reset", "--no-progress")
    assert (
        list(Person.objects.order_by("id").values_list("name", "birth_date", "sex", "hukou_region")) == first
    )
    assert (
        list(Place.objects.filter(level=Level.COMPOUND).order_by("id").values_list("name", flat=True))
        == compounds
    )
    assert Place.objects.filter(level=Level.STREET).count() == 1


def test_too_few_residents_is_refused(db, var_dir):
    with pytest.raises(ValueError):
        demo.seed(residents=10)


def test_street_rollups_are_cached_for_street_grants_only(world, settings):
    """The street-wide roll-ups may be up to SHEQU_STREET_ROLLUP_SECONDS old; a community's never are."""
    from django.core.cache import cache

    from shequ.ledger import services

    settings.SHEQU_STREET_ROLLUP_SECONDS = 60
    cache.clear()
    try:
        officer, worker = world.street_officer, world.a.worker
        before_street = selectors.ledger_counts(actor=officer)["tags"].get("disabled", 0)
        before_community = selectors.ledger_counts(actor=worker)["tags"].get("disabled", 0)
        services.tag_add(actor=worker, person=world.a.head, kind="disabled", grade="二级")
        assert selectors.ledger_counts(actor=worker)["tags"]["disabled"] == before_community + 1
        assert selectors.ledger_counts(actor=officer)["tags"].get("disabled", 0) == before_street  # cached
        cache.clear()
        assert selectors.ledger_counts(actor=officer)["tags"]["disabled"] == before_street + 1
        pyramid = selectors.age_pyramid(actor=officer)
        assert pyramid == selectors.age_pyramid(actor=officer)
        assert pyramid["total"] == sum(pyramid["male"]) + sum(pyramid["female"])
    finally:
        cache.clear()
