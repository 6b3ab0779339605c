"""Writes about accounts: granting and revoking roles, each checked (USERS_MANAGE over the place) and audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext

from shequ.accounts.models import RoleAssignment, User
from shequ.accounts.policies import require_manage_roles_at, role_target_place
from shequ.core.audit import audit_record
from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, clear_cache
from shequ.core.models import AuditEvent
from shequ.core.rights import ROLE_LABELS, ROLE_SCOPE, Role

if TYPE_CHECKING:
    from shequ.ledger.models import Household
    from shequ.places.models import Grid, Place

_PLACE_SCOPES = {"street", "community", "building", "place"}


def _target_field(scope: str) -> str:
    if scope == "grid":
        return "grid"
    if scope == "household":
        return "household"
    return "place"


def _check_target(role: Role, place: Place | None, grid: Grid | None, household: Household | None) -> str:
    """The one target the role is granted at fits the role's level; returns the field that carries it."""
    scope = ROLE_SCOPE[role]
    field = _target_field(scope)
    given = {"place": place, "grid": grid, "household": household}
    target = given[field]
    others = [name for name, value in given.items() if value is not None and name != field]
    if others:
        raise DomainError(
            gettext("角色“%(role)s”不能分配在此层级") % {"role": ROLE_LABELS[role]},
            field=others[0],
            code="wrong_level",
        )
    if target is None:
        messages = {
            "grid": gettext("网格员须指定网格"),
            "household": gettext("居民账号须关联到户"),
            "place": gettext("请选择地点"),
        }
        raise DomainError(messages[field], field=field, code="required")
    if scope in _PLACE_SCOPES - {"place"} and getattr(target, "level", None) != scope:
        raise DomainError(gettext("该角色须分配在对应层级的地点"), field="place", code="wrong_level")
    return field


def _snapshot(assignment: RoleAssignment) -> dict:
    return {
        "user": assignment.user.username,
        "role": assignment.role,
        "target": str(assignment.target),
        "is_active": assignment.is_active,
    }


@transaction.atomic
def role_grant(
    *,
    actor: Actor,
    user: User,
    role: Role | str,
    place: Place | None = None,
    grid: Grid | None = None,
    household: Household | None = None,
) -> RoleAssignment:
    """Grant `role` to `user` at a place (street, community, building or any place, as the role requires), a
    grid (grid workers) or a household (residents). The actor needs USERS_MANAGE over it."""
    try:
        role = Role(role)
    except ValueError as exc:
        raise DomainError(gettext("未知的角色"), field="role", code="invalid_role") from exc
    field = _check_target(role, place, grid, household)
    assignment = RoleAssignment(user=user, role=role.value, place=place, grid=grid, household=household)
    require_manage_roles_at(actor, role_target_place(assignment), field=field)
    duplicate = RoleAssignment.objects.filter(
        user=user, role=role.value, place=place, grid=grid, household=household, is_active=True
    )
    if duplicate.exists():
        raise DomainError(gettext("该用户已在此处担任此角色"), field="role", code="duplicate")
    assignment.full_clean()
    assignment.save()
    clear_cache(user)
    audit_record(
        actor=actor,
        kind=AuditEvent.Kind.CREATE,
        action="role_grant",
        obj=assignment,
        street_id=getattr(role_target_place(assignment), "street_id", None),
        after=_snapshot(assignment),
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor: Actor, assignment: RoleAssignment) -> RoleAssignment:
    """End a role assignment (kept, inactive, for the record). The actor needs USERS_MANAGE over its place."""
    field = _target_field(ROLE_SCOPE[Role(assignment.role)])
    require_manage_roles_at(actor, role_target_place(assignment), field=field)
    locked = RoleAssignment.objects.select_for_update().select_related("user").get(pk=assignment.pk)
    if not locked.is_active:
        raise DomainError(gettext("该角色已撤销"), code="already_revoked")
    before = _snapshot(locked)
    locked.is_active = assignment.is_active = False
    locked.save(update_fields=["is_active", "updated_at"])
    clear_cache(locked.user)
    clear_cache(assignment.user)  # the caller's instance may carry the grants it read before
    assignment = locked
    audit_record(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        action="role_revoke",
        obj=assignment,
        street_id=getattr(role_target_place(assignment), "street_id", None),
        before=before,
        after=_snapshot(assignment),
    )
    return assignment


@transaction.atomic
def api_token_issue(*, actor: User) -> str:
    """The signed-in user's API token (made on first request, audited then): a user only ever gets their own."""
    from rest_framework.authtoken.models import Token

    token, created = Token.objects.get_or_create(user=actor)
    if created:
        audit_record(
            actor=actor, kind="create", action="api_token_create", obj=actor, object_label=actor.username
        )
    return token.key
