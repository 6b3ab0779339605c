"""Reads about users and their grants."""

from __future__ import annotations

from shequ.accounts.models import RoleAssignment
from shequ.core.jurisdiction import Grant


def grants_for_user(user) -> list[Grant]:
    result: list[Grant] = []
    rows = (
        RoleAssignment.objects.filter(user=user, is_active=True)
        .select_related("place", "grid", "household__dwelling")
        .order_by("id")
    )
    for ra in rows:
        if ra.place_id:
            result.append(
                Grant(ra.role, ra.place.level, ra.place_id, ra.place.community_id, ra.place.street_id)
            )
        elif ra.grid_id:
            result.append(Grant(ra.role, "grid", ra.grid_id, ra.grid.community_id, ra.grid.street_id))
        elif ra.household_id:
            dwelling = ra.household.dwelling
            result.append(Grant(ra.role, "dwelling", dwelling.pk, dwelling.community_id, dwelling.street_id))
    return result


def role_assignments_of(user):
    return RoleAssignment.objects.filter(user=user, is_active=True).select_related("place", "grid")
