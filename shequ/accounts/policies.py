"""Who may manage user accounts and their roles: pure functions over the actor's grants."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from shequ.core.errors import DomainError
from shequ.core.jurisdiction import Actor, covers, is_system, require, require_right
from shequ.core.rights import Right

if TYPE_CHECKING:
    from shequ.accounts.models import RoleAssignment


def role_target_place(assignment: RoleAssignment):
    """The Place, Grid or Dwelling whose jurisdiction decides over this assignment (a household by its dwelling)."""
    if assignment.household is not None:
        return assignment.household.dwelling
    return assignment.place or assignment.grid


def can_manage_roles_at(actor: Actor, target) -> bool:
    """May grant and revoke roles at this Place, Grid or Dwelling."""
    return is_system(actor) or covers(actor, Right.USERS_MANAGE, target)


def can_revoke_role(actor: Actor, assignment: RoleAssignment) -> bool:
    return can_manage_roles_at(actor, role_target_place(assignment))


def require_manage_roles_at(actor: Actor, target, *, field: str) -> None:
    """USERS_MANAGE over `target`. An actor without the right anywhere is refused (PermissionDenied); one who
    holds it elsewhere is told which input is outside their jurisdiction (DomainError naming `field`)."""
    require_right(actor, Right.USERS_MANAGE)
    try:
        require(actor, Right.USERS_MANAGE, target)
    except PermissionDenied as exc:
        raise DomainError(gettext("不在您的管辖范围内"), field=field, code="outside_jurisdiction") from exc
