"""cases.policies: one rule each, the SYSTEM actor passes, a forgotten actor is an error."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from shequ.cases import policies, services
from shequ.cases.models import HandlingLevel
from shequ.core.jurisdiction import SYSTEM


def test_height_reaches_the_case_level(world, case_a):
    assert case_a.level == HandlingLevel.COMPOUND
    assert policies.can_act_on_case(world.a.building_leader, case_a)
    assert policies.can_act_on_case(world.a.worker, case_a)
    assert not policies.can_act_on_case(world.b.worker, case_a)
    services.case_escalate(actor=world.a.worker, case=case_a, reason="协调不了")
    assert not policies.can_act_on_case(world.a.building_leader, case_a)
    assert policies.can_act_on_case(world.a.worker, case_a)


def test_require_refuses_outsiders_passes_system_and_rejects_none(world, case_a):
    with pytest.raises(PermissionDenied):
        policies.require_act_on_case(world.b.worker, case_a)
    policies.require_act_on_case(SYSTEM, case_a)
    with pytest.raises(TypeError):
        policies.require_act_on_case(None, case_a)


def test_whistle_by_community_or_street_only(world, case_a):
    assert policies.can_whistle_case(world.a.worker, case_a)
    assert not policies.can_whistle_case(world.a.building_leader, case_a)
    assert policies.whistles_as_street(world.street_officer, case_a)
    assert not policies.whistles_as_street(world.a.worker, case_a)


def test_attach_by_handler_or_requester(world, resident_case):
    assert policies.can_attach_to_case(world.a.resident, resident_case)
    assert policies.can_attach_to_case(world.a.worker, resident_case)
    assert not policies.can_attach_to_case(world.b.resident, resident_case)
