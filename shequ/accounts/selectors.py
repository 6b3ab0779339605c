"""Reads about users and their grants."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from shequ.accounts.models import RoleAssignment, User
from shequ.core.rights import Right, roles_with

_LEVEL_COLUMNS = ("street", "community", "compound", "building", "unit")


def role_assignments_of(user):
    return RoleAssignment.objects.filter(user=user, is_active=True).select_related("place", "grid")


def users_holding(
    *,
    at,
    roles: Iterable[str] | None = None,
    right: Right | str | None = None,
    within: bool = False,
    exclude_roles: Iterable[str] = (),
) -> QuerySet[User]:
    """Active users holding a role at a place: the one answer to "who holds a role here".

    at       -- a Place (or anything carrying the level columns and `grid_id`).
    roles    -- only these roles; right -- only roles that carry this right (both may be given).
    within   -- False: roles held at `at` or any place above it (its street, community, compound, building) or at
                its grid, i.e. the people whose jurisdiction covers `at`. True: roles held at `at` itself or at a
                grid inside it, i.e. the people working inside `at` (a community's workers and grid workers).
    exclude_roles -- users holding any of these roles (anywhere) are left out.
    """
    if within:
        q = (
            Q(place_id=at.pk) | Q(**{f"grid__{at.level}_id": at.pk})
            if at.level in ("street", "community")
            else Q(place_id=at.pk)
        )
    else:
        ids = [i for i in (getattr(at, f"{level}_id", None) for level in _LEVEL_COLUMNS) if i]
        q = Q(place_id__in=ids)
        grid_id = getattr(at, "grid_id", None)
        if grid_id:
            q |= Q(grid_id=grid_id)
    assignments = RoleAssignment.objects.filter(q, is_active=True)
    if roles is not None:
        assignments = assignments.filter(role__in=list(roles))
    if right is not None:
        assignments = assignments.filter(role__in=roles_with(right))
    users = User.objects.filter(pk__in=assignments.values("user_id"), is_active=True)
    excluded = list(exclude_roles)
    if excluded:
        users = users.exclude(
            pk__in=RoleAssignment.objects.filter(role__in=excluded, is_active=True).values("user_id")
        )
    return users.order_by("display_name", "username")


def users_of_people(person_ids: Iterable[int]) -> list[User]:
    """The active user accounts of these ledger people (a team member who can sign in)."""
    return list(User.objects.filter(person_id__in=list(person_ids), is_active=True))
