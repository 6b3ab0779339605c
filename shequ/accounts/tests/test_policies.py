"""accounts policies: who may manage roles where."""

from __future__ import annotations

from shequ.accounts.policies import can_manage_roles_at, can_revoke_role
from shequ.core.jurisdiction import SYSTEM


def test_community_worker_manages_roles_in_their_community_only(world):
    worker = world.a.worker
    assert can_manage_roles_at(worker, world.a.community)
    assert can_manage_roles_at(worker, world.a.grid)
    assert can_manage_roles_at(worker, world.a.dwellings[0])
    assert not can_manage_roles_at(worker, world.b.community)
    assert not can_manage_roles_at(worker, world.street)


def test_street_officer_and_system_manage_everywhere_others_nowhere(world):
    for target in (world.street, world.a.community, world.b.grid):
        assert can_manage_roles_at(world.street_officer, target)
        assert can_manage_roles_at(SYSTEM, target)
    for actor in (world.a.grid_worker, world.a.volunteer, world.a.resident, world.a.liaison):
        assert not can_manage_roles_at(actor, world.a.community)
    assert can_revoke_role(world.a.worker, world.a.volunteer.role_assignments.get())
    assert not can_revoke_role(world.b.worker, world.a.volunteer.role_assignments.get())
