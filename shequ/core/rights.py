"""Rights and roles. A role assigned at a place grants its rights over everything under that place.
Seeing a record and revealing its personal data are separate rights."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Right(StrEnum):
    LEDGER_VIEW = "ledger.view"
    LEDGER_EDIT = "ledger.edit"
    PII_REVEAL = "pii.reveal"
    AUDIT_VIEW = "audit.view"
    PLACES_EDIT = "places.edit"
    USERS_MANAGE = "users.manage"
    IMPORTS_RUN = "imports.run"
    LINKAGE_REVIEW = "linkage.review"
    EXTRACT_RECEIVE = "extract.receive"
    CASES_SUBMIT = "cases.submit"
    CASES_HANDLE = "cases.handle"
    CASES_WHISTLE = "cases.whistle"
    CASES_REPORT = "cases.report"
    CATALOGUE_EDIT = "catalogue.edit"
    EMERGENCY_VIEW = "emergency.view"
    EMERGENCY_MANAGE = "emergency.manage"
    EMERGENCY_CAPTURE = "emergency.capture"
    SUPPLIES_VIEW = "supplies.view"
    SUPPLIES_MANAGE = "supplies.manage"
    SUPPLIES_ALLOCATE = "supplies.allocate"
    LIVELIHOOD_MANAGE = "livelihood.manage"
    LIVELIHOOD_ORDER = "livelihood.order"
    LIVELIHOOD_DELIVER = "livelihood.deliver"
    SELF_SERVICE = "self.service"


class Role(StrEnum):
    STREET_OFFICER = "street_officer"
    COMMUNITY_WORKER = "community_worker"
    GRID_WORKER = "grid_worker"
    BUILDING_LEADER = "building_leader"
    DEPARTMENT_LIAISON = "department_liaison"
    VOLUNTEER = "volunteer"
    RESIDENT = "resident"


ROLE_LABELS = {
    Role.STREET_OFFICER: _("街道干部"),
    Role.COMMUNITY_WORKER: _("社区工作者"),
    Role.GRID_WORKER: _("网格员"),
    Role.BUILDING_LEADER: _("楼栋长"),
    Role.DEPARTMENT_LIAISON: _("部门联络员"),
    Role.VOLUNTEER: _("志愿者"),
    Role.RESIDENT: _("居民"),
}

# Which level of place (or grid/household) each role is assigned at.
ROLE_SCOPE = {
    Role.STREET_OFFICER: "street",
    Role.COMMUNITY_WORKER: "community",
    Role.GRID_WORKER: "grid",
    Role.BUILDING_LEADER: "building",
    Role.DEPARTMENT_LIAISON: "place",
    Role.VOLUNTEER: "place",
    Role.RESIDENT: "household",
}

_WORKER_COMMON = {
    Right.LEDGER_VIEW,
    Right.LEDGER_EDIT,
    Right.CASES_SUBMIT,
    Right.CASES_HANDLE,
    Right.EMERGENCY_VIEW,
    Right.EMERGENCY_CAPTURE,
    Right.SUPPLIES_VIEW,
    Right.LIVELIHOOD_ORDER,
    Right.LIVELIHOOD_DELIVER,
}

ROLE_RIGHTS: dict[Role, frozenset[Right]] = {
    Role.STREET_OFFICER: frozenset(Right) - {Right.SELF_SERVICE, Right.CASES_REPORT},
    Role.COMMUNITY_WORKER: frozenset(
        _WORKER_COMMON
        | {
            Right.PII_REVEAL,
            Right.PLACES_EDIT,
            Right.IMPORTS_RUN,
            Right.LINKAGE_REVIEW,
            Right.CASES_WHISTLE,
            Right.CATALOGUE_EDIT,
            Right.EMERGENCY_MANAGE,
            Right.SUPPLIES_MANAGE,
            Right.LIVELIHOOD_MANAGE,
            Right.USERS_MANAGE,
        }
    ),
    Role.GRID_WORKER: frozenset(_WORKER_COMMON),
    Role.BUILDING_LEADER: frozenset(
        {
            Right.LEDGER_VIEW,
            Right.CASES_SUBMIT,
            Right.CASES_HANDLE,
            Right.EMERGENCY_VIEW,
            Right.EMERGENCY_CAPTURE,
            Right.LIVELIHOOD_ORDER,
            Right.LIVELIHOOD_DELIVER,
        }
    ),
    Role.DEPARTMENT_LIAISON: frozenset(
        {Right.LEDGER_VIEW, Right.CASES_REPORT, Right.EXTRACT_RECEIVE, Right.EMERGENCY_VIEW}
    ),
    Role.VOLUNTEER: frozenset({Right.EMERGENCY_CAPTURE, Right.LIVELIHOOD_DELIVER, Right.EMERGENCY_VIEW}),
    Role.RESIDENT: frozenset({Right.SELF_SERVICE, Right.CASES_SUBMIT, Right.LIVELIHOOD_ORDER}),
}


def roles_with(right: Right | str) -> list[str]:
    return [role.value for role, rights in ROLE_RIGHTS.items() if right in rights]
