"""The grant rule, in both its forms side by side: `grants_for_user` (the ORM, registered as core's grant source)
and `grants_sql`/`grants_from_json` (the same rows as one scalar sub-select, for the check-in hot path that reads
the actor and its grants in the statement that reads its objects, ADR 0006). `accounts/tests/test_grants.py` holds
the two to the same answer."""

from __future__ import annotations

import json

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
