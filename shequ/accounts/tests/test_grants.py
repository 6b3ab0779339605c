"""Both forms of the grant rule give the same grants: the ORM form (grants_for_user) and the SQL form the check-in
hot path reads with its objects (grants_sql + grants_from_json)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from shequ.accounts.grants import grants_for_user, grants_from_json, grants_sql
from shequ.accounts.models import RoleAssignment, User


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="grants_sql is PostgreSQL's (json_agg)")
def test_the_sql_form_reads_the_same_grants_as_the_orm_form(world):
    users = [
        world.a.worker,
        world.a.grid_worker,
        world.a.building_leader,
        world.a.volunteer,
        world.a.liaison,
        world.a.resident,
        world.b.worker,
        world.street_officer,
    ]
    # an inactive assignment counts in neither form
    RoleAssignment.objects.create(
        user=world.a.worker, role="volunteer", place=world.b.community, is_active=False
    )
    table = connection.ops.quote_name(User._meta.db_table)
    for user in users:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {grants_sql('u.id')} FROM {table} u WHERE u.id = %s", [user.pk])  # noqa: S608
            (text,) = cursor.fetchone()
        assert grants_from_json(text) == grants_for_user(user), user
        assert grants_for_user(user), user


def test_no_assignment_is_no_grant(db):
    user = User.objects.create_user(username="nobody", password="x")  # noqa: S106
    assert grants_for_user(user) == []
    assert grants_from_json("[]") == []
