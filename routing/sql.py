"""Hand-written SQL for the hot path of a text: routing it, accepting it, answering it.

Django builds each ORM query anew (about half a millisecond of Python per statement here, more
for annotated subqueries), which dominated the cost of a routing decision. The few statements
a text runs every time are written here once, portable between PostgreSQL and SQLite (both have
RETURNING; only PostgreSQL has row locks), and run through the connection's cursor, so they
still share the transaction, the on-commit hooks and the execute wrappers of the ORM.
`insert` and `build` keep model instances on that path (payloads and services want them) without
the ORM's query compiler. Everything else stays ORM.
"""
from contextlib import nullcontext
from datetime import timezone as dt_timezone
from functools import cache

from django.db import connection
from django.utils.dateparse import parse_datetime

from .models import (
    AgentSkill,
    Contact,
    Message,
    Room,
    RoutingDecision,
    Skill,
    Team,
    User,
)


def table(model):
    return connection.ops.quote_name(model._meta.db_table)


def for_update(alias=None, skip_locked=False):
    """Row-lock clause for a SELECT: `FOR UPDATE OF alias` on PostgreSQL, nothing on SQLite
    (which serializes writers anyway). skip_locked: rows another transaction holds are left out."""
    features = connection.features
    if not features.has_select_for_update:
        return ""
    skip = " SKIP LOCKED" if skip_locked and features.has_select_for_update_skip_locked else ""
    if alias and features.has_select_for_update_of:
        return f" FOR UPDATE OF {alias}{skip}"
    return f" FOR UPDATE{skip}"


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
def columns(model, alias):
    """Every concrete column of `model`, in field order, qualified by `alias` (for `build`)."""
    return ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields)


@cache
def _converters(model, vendor):
    """The fields whose value read from this database the ORM converts: (position, converters, column).
    Most have none (the driver's value is the field's), and `build` leaves those alone."""
    shape = []
    for i, field in enumerate(model._meta.concrete_fields):
        col = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if converters:
            shape.append((i, converters, col))
    return shape


def build(model, values):
    """A model instance from a row of `columns(model, …)`, converted as the ORM would convert it,
    or None when the row's primary key is NULL (nothing matched a LEFT JOIN)."""
    if values[0] is None:
        return None
    shape = _converters(model, connection.vendor)
    if shape:
        values = list(values)
        for i, converters, col in shape:
            value = values[i]
            for convert in converters:
                value = convert(value, col, connection)
            values[i] = value
    return model.from_db(connection.alias, None, values)


def build_joined(models, values):
    """One instance per model (or None, see `build`) from a row that has each model's
    `columns(...)` one after the other, in the order of `models`."""
    found, start = [], 0
    for model in models:
        end = start + len(model._meta.concrete_fields)
        found.append(build(model, values[start:end]))
        start = end
    return found


@cache
def _update_statement(model, names, vendor):
    fields = [model._meta.get_field(name) for name in names]
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    return fields, f"UPDATE {table(model)} SET {sets} WHERE id = %s"


def update_statement(obj, names):
    """(sql, params) that write these fields of a stored instance, as `save(update_fields=names)`
    would, without its compile (cached per model and fields) or model signals; for a pipeline."""
    fields, statement = _update_statement(type(obj), tuple(names), connection.vendor)
    return statement, [*(f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields), obj.pk]


def update(obj, names):
    """Run update_statement: for rows the hot path changes. Returns the number of rows changed."""
    return execute(*update_statement(obj, names))


@cache
def _insert_shape(model, vendor, rows=1, returning=True):
    """(fields, statement) of an INSERT of `rows` new instances of `model`, every column but the id."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = ", ".join([f"({placeholders(fields)})"] * rows)
    return fields, f"INSERT INTO {table(model)} ({cols}) VALUES {values}{' RETURNING id' if returning else ''}"


def insert_statement(obj):
    """(sql, params) that store a new model instance as `save()` would (defaults, auto_now, every
    column), for callers that run it themselves (a pipeline); it returns the new id."""
    fields, statement = _insert_shape(type(obj), connection.vendor)
    return statement, [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def insert_many_statement(objs):
    """(sql, params) that store several new instances of one model in one statement, as
    insert_statement each (their ids are not read back): for a pipeline."""
    fields, statement = _insert_shape(type(objs[0]), connection.vendor, len(objs), returning=False)
    return statement, [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]


def insert(obj):
    """INSERT a new model instance (insert_statement), without model signals; sets its primary key.
    Returns it."""
    obj.pk = row(*insert_statement(obj))[0]
    obj._state.adding, obj._state.db = False, connection.alias
    return obj


@cache
def tables():
    """Quoted table names of the models the hot path touches (resolved once per process)."""
    return {"user": table(User), "team": table(Team), "agentskill": table(AgentSkill), "room": table(Room),
            "message": table(Message), "decision": table(RoutingDecision), "contact": table(Contact), "skill": table(Skill)}


def locked(qs, skip_locked=False):
    """Row locks on the queryset's own table only (FOR UPDATE OF self): a select_related join would
    otherwise also lock the tenant, team or skill rows and serialize unrelated work (and PostgreSQL
    refuses FOR UPDATE on the nullable side of an outer join). SQLite serializes writers anyway.
    skip_locked: leave out rows another transaction holds (a sweep: whoever holds it deals with it)."""
    features = connection.features
    if not features.has_select_for_update:
        return qs
    skip = skip_locked and features.has_select_for_update_skip_locked
    if features.has_select_for_update_of:
        return qs.select_for_update(of=("self",), skip_locked=skip)
    return qs.select_for_update(skip_locked=skip)
