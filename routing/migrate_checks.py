"""A check before `migrate`: routing.0010_workspace makes team and skill names unique per tenant in
any case (a constraint on Lower(name)). A database holding "Night Shift" and "night shift" would
fail that step with a bare integrity error; this says which names clash and what to do instead,
before anything is migrated. (0010 is an existing migration and is not edited: migrations never are.)"""
from django.core.management.base import CommandError
from django.db import connections

CASE_MIGRATION = ("routing", "0010_workspace")
TABLES = (("routing_team", "team"), ("routing_skill", "skill"))


def name_clashes(connection):
    """['tenant 3: teams “Night Shift”, “night shift”', …] for names that differ only in case."""
    found = []
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for table, noun in TABLES:
            if table not in existing:
                continue
            cursor.execute(f"SELECT tenant_id, name FROM {table} ORDER BY tenant_id, name")  # noqa: S608 (fixed names)
            groups = {}
            for tenant_id, name in cursor.fetchall():
                groups.setdefault((tenant_id, name.lower()), []).append(name)
            found += [f"tenant {tenant_id}: {noun}s " + ", ".join(f"“{n}”" for n in names)
                      for (tenant_id, _key), names in groups.items() if len(names) > 1]
    return found


def refuse_clashing_names(sender, plan=None, using="default", **kwargs):
    """pre_migrate receiver: stop before a plan that applies CASE_MIGRATION to clashing data."""
    if not plan or not any((m.app_label, m.name) == CASE_MIGRATION and not backwards for m, backwards in plan):
        return
    clashes = name_clashes(connections[using])
    if clashes:
        raise CommandError("Team and skill names become unique in any case (migration routing.0010_workspace), but these differ "
                           "only in case: " + "; ".join(clashes) + ". Rename one of each (console or Django admin), then run "
                           "migrate again. Nothing was migrated.")
