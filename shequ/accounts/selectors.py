"""Reads about users and their grants."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from shequ.accounts.models import RoleAssignment, User
from shequ.core.jurisdiction import Grant
from shequ.core.rights import Right, roles_with

_LEVEL_COLUMNS = ("street", "community", "compound", "building", "unit")


def grants_for_user(user) -> list[Grant]:
    result: list[Grant] = []
    rows = (
        RoleAssignment.objects.filter(user=user, is_active=True)
        .select_related("place", "grid", "household__dwelling")
        .order_by("id")
    )
    for ra in rows:
        if ra.place is not None:
            result.append(
                Grant(ra.role, ra.place.level, ra.place.pk, ra.place.community_id, ra.place.street_id)
            )
        elif ra.grid is not None:
            result.append(Grant(ra.role, "grid", ra.grid.pk, ra.grid.community_id, ra.grid.street_id))
        elif ra.household is not None:
            dwelling = ra.household.dwelling
            result.append(Grant(ra.role, "dwelling", dwelling.pk, dwelling.community_id, dwelling.street_id))
    return result


def grants_sql(user_column: str) -> str:
    """A scalar sub-select (PostgreSQL) giving the user's grants as JSON text, for a hot path that reads the actor
    and its grants in the same statement as its objects; grants_from_json reads it. Same rows as grants_for_user.
    `user_column` is a column reference written by the caller, never input."""
    from shequ.ledger.models import Household
    from shequ.places.models import Dwelling, Grid, Place

    ra, place, grid = RoleAssignment._meta.db_table, Place._meta.db_table, Grid._meta.db_table
    household, dwelling = Household._meta.db_table, Dwelling._meta.db_table
    # Table names come from _meta.
    return (
        "(SELECT COALESCE(json_agg(json_build_array(ra.role, ra.place_id, p.level, p.community_id, p.street_id, "  # noqa: S608
        "ra.grid_id, g.community_id, g.street_id, ra.household_id, d.id, d.community_id, d.street_id) "
        f"ORDER BY ra.id), '[]')::text FROM {ra} ra "
        f"LEFT JOIN {place} p ON p.id = ra.place_id LEFT JOIN {grid} g ON g.id = ra.grid_id "
        f"LEFT JOIN {household} h ON h.id = ra.household_id LEFT JOIN {dwelling} d ON d.id = h.dwelling_id "
        f"WHERE ra.user_id = {user_column} AND ra.is_active)"
    )


def grants_from_json(text: str) -> list[Grant]:
    import json

    result: list[Grant] = []
    for (
        role,
        place_id,
        level,
        p_comm,
        p_street,
        grid_id,
        g_comm,
        g_street,
        hh_id,
        d_id,
        d_comm,
        d_street,
    ) in json.loads(text):
        if place_id:
            result.append(Grant(role, level, place_id, p_comm, p_street))
        elif grid_id:
            result.append(Grant(role, "grid", grid_id, g_comm, g_street))
        elif hh_id:
            result.append(Grant(role, "dwelling", d_id, d_comm, d_street))
    return result


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
