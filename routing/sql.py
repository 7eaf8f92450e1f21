"""Hand-written SQL for the hot path of a text: routing it, accepting it, answering it.

Django builds each ORM query anew (about half a millisecond of Python per statement here, more
for annotated subqueries), which dominated the cost of a routing decision. The few statements
a text runs every time are written here once, portable between PostgreSQL and SQLite (both have
RETURNING; only PostgreSQL has row locks), and run through the connection's cursor, so they
still share the transaction, the on-commit hooks and the execute wrappers of the ORM.
Everything else stays ORM.
"""
from contextlib import nullcontext
from datetime import timezone as dt_timezone
from functools import cache

from django.db import connection
from django.utils.dateparse import parse_datetime


def table(model):
    return connection.ops.quote_name(model._meta.db_table)


def for_update(alias=None):
    """Row-lock clause for a SELECT: `FOR UPDATE OF alias` on PostgreSQL, nothing on SQLite
    (which serializes writers anyway)."""
    features = connection.features
    if not features.has_select_for_update:
        return ""
    if alias and features.has_select_for_update_of:
        return f" FOR UPDATE OF {alias}"
    return " FOR UPDATE"


def placeholders(values):
    """`%s, %s, ...` for an IN list (never empty: callers skip the clause instead)."""
    return ", ".join(["%s"] * len(values))


def dt(value):
    """A datetime (or None) as this database's driver wants it (SQLite stores naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def aware(value):
    """A datetime read by a raw cursor: aware on PostgreSQL; naive UTC (or text) on SQLite."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt_timezone.utc)


def rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def row(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def execute(sql, params=()):
    """Run a write; returns the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def pipeline():
    """Statements sent without waiting for each one's answer (psycopg's pipeline mode on
    PostgreSQL; nothing on SQLite, which is in-process): for writes in a row whose results are
    read afterwards. Errors still raise, at the latest when the block ends."""
    if connection.vendor != "postgresql":
        return nullcontext()
    connection.ensure_connection()
    return connection.connection.pipeline()


@cache
def tables():
    """Quoted table names of the models the hot path touches (resolved once per process)."""
    from .models import AgentSkill, Contact, Message, Room, RoutingDecision, Skill, Team, User

    return {"user": table(User), "team": table(Team), "agentskill": table(AgentSkill), "room": table(Room),
            "message": table(Message), "decision": table(RoutingDecision), "contact": table(Contact), "skill": table(Skill)}
