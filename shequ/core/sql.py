"""Raw statements of hot paths, run as prepared statements on PostgreSQL.

Django leaves psycopg's automatic preparing off (connection poolers in transaction mode cannot keep prepared
statements), so every ORM query is parsed and planned afresh. A hot path's one wide statement — the check-in's read
of token, user, grants, incident and person — spends more time in the planner than in execution (0.76 ms against
0.23 ms, EXPLAIN ANALYZE on the bench database). Those few statements are prepared per connection here. Set
SHEQU_PREPARED_STATEMENTS=0 when a pooler in transaction mode stands between Django and PostgreSQL."""

from __future__ import annotations

import weakref

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


def fetch(sql: str, params: list) -> list[tuple]:
    """All rows of one statement; prepared (server-side parameters) on PostgreSQL, through Django's cursor
    wrapper either way, so query logging, execute wrappers and error translation apply as usual."""
    # the default connection itself: each attribute read through the django.db.connection proxy looks it up again
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql" or not settings.SHEQU_PREPARED_STATEMENTS:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    connection.ensure_connection()
    pg = connection.connection
    if pg.prepare_threshold is None:
        # None switches preparing off for the whole connection; a threshold no query reaches switches it on for
        # the cursors below only (the ORM's client-side-binding cursors never prepare).
        pg.prepare_threshold = 2**31 - 1
    # One cursor per connection, kept open: a new cursor starts with an empty adaptation cache, so every
    # parameter's dumper and every column's loader would be looked up again on each request.
    raw = _CURSORS.get(pg)
    if raw is None or raw.closed:
        raw = _CURSORS[pg] = _prepared_cursor_class()(pg)
    cursor = connection._prepare_cursor(raw)  # type: ignore[attr-defined]  # Django-private, see the docstring
    cursor.execute(sql, params)
    # the result's status, not cursor.description: that builds a Column object per column (~7 % of a check-in)
    result = raw.pgresult
    return cursor.fetchall() if result is not None and result.status == _TUPLES_OK else []


_CLASS = None
_CURSORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# psycopg.pq.ExecStatus.TUPLES_OK (libpq's PGRES_TUPLES_OK), checked in core/tests/test_instances.py
_TUPLES_OK = 2


def _prepared_cursor_class():
    global _CLASS
    if _CLASS is None:
        import psycopg

        class PreparedCursor(psycopg.Cursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

        _CLASS = PreparedCursor
    return _CLASS
