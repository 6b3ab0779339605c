"""Granting and revoking roles: checked (USERS_MANAGE over the place), audited, and refused with a named field."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from shequ.accounts.models import RoleAssignment, User
from shequ.accounts.services import role_grant, role_revoke
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import SYSTEM, covers
from shequ.core.models import AuditEvent
from shequ.core.rights import Right, Role


@pytest.fixture
def newcomer(db):
    return User.objects.create_user(username="newcomer", password="x-pass-12345")


def test_worker_grants_a_role_in_their_community_audited(world, newcomer):
    ra = role_grant(actor=world.a.worker, user=newcomer, role=Role.VOLUNTEER, place=world.a.compound)
    assert ra.is_active and ra.place == world.a.compound
    assert covers(newcomer, Right.EMERGENCY_CAPTURE, world.a.dwellings[0])
    event = AuditEvent.objects.get(action="role_grant", object_id=str(ra.pk))
    assert event.actor == world.a.worker
    assert event.after["role"] == Role.VOLUNTEER and event.after["user"] == "newcomer"
    assert event.community_id == world.a.community.pk


def test_revoke_ends_the_grant_and_is_audited(world, newcomer):
    ra = role_grant(actor=world.a.worker, user=newcomer, role=Role.GRID_WORKER, grid=world.a.grid)
    assert covers(newcomer, Right.LEDGER_VIEW, world.a.dwellings[0])
    role_revoke(actor=world.a.worker, assignment=ra)
    ra.refresh_from_db()
    assert not ra.is_active
    assert not covers(newcomer, Right.LEDGER_VIEW, world.a.dwellings[0])
    event = AuditEvent.objects.get(action="role_revoke", object_id=str(ra.pk))
    assert event.before["is_active"] is True and event.after["is_active"] is False
    with pytest.raises(DomainError) as exc:
        role_revoke(actor=world.a.worker, assignment=ra)
    assert exc.value.code == "already_revoked"


def test_a_place_outside_the_jurisdiction_is_refused_naming_the_field(world, newcomer):
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        role_grant(actor=world.a.worker, user=newcomer, role=Role.VOLUNTEER, place=world.b.community)
    assert exc.value.field == "place" and exc.value.code == "outside_jurisdiction"
    with pytest.raises(DomainError) as exc:
        role_grant(actor=world.a.worker, user=newcomer, role=Role.GRID_WORKER, grid=world.b.grid)
    assert exc.value.field == "grid"
    with pytest.raises(DomainError) as exc:
        role_grant(actor=world.a.worker, user=newcomer, role=Role.RESIDENT, household=world.b.household)
    assert exc.value.field == "household"
    # a street role is above a community worker
    with pytest.raises(DomainError) as exc:
        role_grant(actor=world.a.worker, user=newcomer, role=Role.STREET_OFFICER, place=world.street)
    assert exc.value.field == "place"
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
    assert AuditEvent.objects.count() == before


def test_an_actor_without_the_right_is_denied_and_nothing_changes(world, newcomer):
    for actor in (world.a.grid_worker, world.a.volunteer, world.a.resident, world.a.building_leader):
        with pytest.raises(PermissionDenied):
            role_grant(actor=actor, user=newcomer, role=Role.VOLUNTEER, place=world.a.community)
    ra = world.a.volunteer.role_assignments.get()
    with pytest.raises(PermissionDenied):
        role_revoke(actor=world.a.grid_worker, assignment=ra)
    with pytest.raises(DomainError) as exc:
        role_revoke(actor=world.b.worker, assignment=ra)
    assert exc.value.field == "place"
    ra.refresh_from_db()
    assert ra.is_active
    assert not RoleAssignment.objects.filter(user=newcomer).exists()


def test_a_role_at_the_wrong_level_names_the_field(world, newcomer):
    cases = [
        ({"role": Role.COMMUNITY_WORKER, "place": world.a.compound}, "place"),
        ({"role": Role.BUILDING_LEADER, "place": world.a.community}, "place"),
        ({"role": Role.GRID_WORKER, "place": world.a.community}, "place"),
        ({"role": Role.GRID_WORKER}, "grid"),
        ({"role": Role.RESIDENT, "place": world.a.community}, "place"),
        ({"role": Role.VOLUNTEER, "grid": world.a.grid}, "grid"),
        ({"role": "mayor", "place": world.a.community}, "role"),
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as exc:
            role_grant(actor=world.street_officer, user=newcomer, **kwargs)
        assert exc.value.field == field, kwargs
    assert not RoleAssignment.objects.filter(user=newcomer).exists()


def test_a_duplicate_grant_is_refused_and_a_revoked_one_may_be_granted_again(world, newcomer):
    ra = role_grant(
        actor=world.street_officer, user=newcomer, role=Role.COMMUNITY_WORKER, place=world.b.community
    )
    with pytest.raises(DomainError) as exc:
        role_grant(
            actor=world.street_officer, user=newcomer, role=Role.COMMUNITY_WORKER, place=world.b.community
        )
    assert exc.value.field == "role" and exc.value.code == "duplicate"
    role_revoke(actor=world.street_officer, assignment=ra)
    again = role_grant(
        actor=world.street_officer, user=newcomer, role=Role.COMMUNITY_WORKER, place=world.b.community
    )
    assert again.pk != ra.pk and again.is_active


def test_system_grants_anywhere_and_none_is_never_an_actor(world, newcomer):
    ra = role_grant(actor=SYSTEM, user=newcomer, role=Role.STREET_OFFICER, place=world.street)
    assert AuditEvent.objects.get(action="role_grant", object_id=str(ra.pk)).actor_id is None
    with pytest.raises(TypeError):
        role_grant(actor=None, user=newcomer, role=Role.VOLUNTEER, place=world.a.community)
    with pytest.raises(TypeError):
        role_revoke(actor=None, assignment=ra)
