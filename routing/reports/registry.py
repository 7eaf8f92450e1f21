"""Report sections: what the report pages show and export, filled by every app that has figures.

Routing registers its own (interactions, agents) in `routing/reports/sections.py`; Digital cases
and campaigns add theirs from their `AppConfig.ready()` without touching this package:

    from routing.reports import registry

    registry.register(registry.Section(
        key="campaigns", title="Campaigns", order=50,
        columns=(registry.Column("campaign_name", "Campaign", "text"), registry.Column("sent", "Sent")),
        rows=lambda user, query: campaign_rows(user, query),   # list of dicts, keys as the columns
    ))

A section gets the caller (an administrator or supervisor of a tenant) and the page's
ReportQuery (tenant, start/end dates in the tenant's time zone, interval, group and filters);
it returns plain rows. The page shows them as a sortable table with a CSV link
(/console/reports/<key>.csv?...), escaped against spreadsheet formula injection.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from ..choices import Role


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # count, seconds, ratio, text, period


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    columns: tuple
    rows: Callable  # (user, ReportQuery) -> list[dict]
    order: int = 100
    description: str = ""
    roles: frozenset = field(default_factory=lambda: frozenset({Role.ADMIN, Role.SUPERVISOR}))
    # Extra columns that depend on the query (the group's name column): (query) -> tuple of Column
    lead_columns: Callable = None
    # Columns named by what the rows hold (the agents table's unavailable reasons): (query, rows) -> tuple of Column,
    # shown after the column `row_columns_after` (a key of `columns`), else last
    row_columns: Callable = None
    row_columns_after: str = ""

    def columns_for(self, query, rows=()):
        lead = tuple(self.lead_columns(query)) if self.lead_columns else ()
        columns = tuple(self.columns)
        if self.row_columns:
            keys = [c.key for c in columns]
            at = keys.index(self.row_columns_after) + 1 if self.row_columns_after in keys else len(columns)
            columns = columns[:at] + tuple(self.row_columns(query, rows)) + columns[at:]
        return lead + columns


_sections = {}


def register(section):
    """Add a section (or replace one with the same key: re-registration on reload is harmless)."""
    if not section.key.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"a section key is letters, digits, - and _: {section.key!r}")
    _sections[section.key] = section
    return section


def sections_for(user):
    return sorted((s for s in _sections.values() if user.role in s.roles), key=lambda s: (s.order, s.key))


def get(key):
    return _sections.get(key)
