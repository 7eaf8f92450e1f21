"""Routing's own report sections (registered from RoutingConfig.ready())."""
from collections.abc import Sequence

from . import registry, selectors
from .registry import Column

INTERACTION_COLUMNS = (
    Column("offered", "Offered"), Column("accepted", "Accepted"), Column("rejected", "Rejected"), Column("lapsed", "Lapsed"),
    Column("abandoned", "Abandoned"), Column("transferred", "Transferred"),
    Column("asa_seconds", "Avg speed of answer", "seconds"), Column("asa_p90_seconds", "90% answered within", "seconds"),
    Column("first_response_seconds", "Avg first response", "seconds"),
    Column("first_response_p90_seconds", "90% first response within", "seconds"),
    Column("handle_seconds", "Avg handle time", "seconds"), Column("handle_p90_seconds", "90% handled within", "seconds"),
    Column("messages_in", "Messages in"), Column("messages_out", "Messages out"), Column("segments_out", "Segments out"),
    Column("opt_outs", "Opt-outs"), Column("service_level", "Service level", "ratio"),
    Column("first_response_level", "First response in target", "ratio"),
)
GROUP_LABELS = {"skill": "Skill", "agent": "Agent", "team": "Team", "point_of_contact": "Point of contact", "channel": "Channel"}


def _interaction_lead(query):
    lead = [Column("period", "Interval", "period")]
    if query.group_by:
        lead.append(Column(f"{query.group_by}_name", GROUP_LABELS[query.group_by], "text"))
    return lead


def _agent_lead(query):
    if query.group_by == "team":
        return (Column("period", "Interval", "period"), Column("team_name", "Team", "text"), Column("agents", "Agents"))
    return (Column("period", "Interval", "period"), Column("agent_username", "Agent", "text"), Column("team_name", "Team", "text"))


AGENT_COLUMNS = (
    Column("available_seconds", "Available", "duration"), Column("unavailable_seconds", "Unavailable", "duration"),
    Column("logged_out_seconds", "Logged out", "duration"), Column("occupancy", "Occupancy", "ratio"), Column("handled", "Handled"),
    Column("handle_seconds", "Avg handle time", "seconds"), Column("first_response_seconds", "Avg first response", "seconds"),
)


REASON_KEY = "unavailable_reason:"


class _FlatReasons(Sequence):
    """Agent rows with each unavailable reason's seconds as a column of its own (rows still built when read)."""

    def __init__(self, rows):
        self.rows = rows
        self.reason_names = getattr(rows, "reason_names", None)
        if self.reason_names is None:  # the team rows: a plain list
            self.reason_names = {name for row in rows for name in row["unavailable_reasons"]}

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return [self._flat(r) for r in self.rows[index]] if isinstance(index, slice) else self._flat(self.rows[index])

    @staticmethod
    def _flat(row):
        for name, seconds in row["unavailable_reasons"].items():
            row[REASON_KEY + name] = seconds
        return row


def _agent_rows(user, query):
    return _FlatReasons(selectors.agents(user, query, fresh=False))


def _reason_columns(query, rows):
    """One column per unavailable reason found in the rows, by name ("No reason" last)."""
    names = sorted(getattr(rows, "reason_names", ()), key=lambda n: (n == selectors.NO_REASON, n))
    return tuple(Column(REASON_KEY + name, f"Unavailable: {name}", "duration") for name in names)


def register():
    registry.register(registry.Section(
        key="interactions", title="Interactions", order=10, columns=INTERACTION_COLUMNS, lead_columns=_interaction_lead,
        rows=lambda user, query: selectors.interactions(user, query, fresh=False),
        description="Rooms by the interval they opened in: offers, answers, waits, handle times, texts and service level."))
    registry.register(registry.Section(
        key="dispositions", title="Dispositions", order=30,
        columns=(Column("disposition", "Disposition", "text"), Column("rooms", "Conversations"), Column("share", "Share", "ratio")),
        rows=selectors.dispositions,
        description="Conversations an agent ended in the period, by the disposition chosen at wrap-up."))
    registry.register(registry.Section(
        key="agents", title="Agents", order=20, columns=AGENT_COLUMNS, lead_columns=_agent_lead,
        rows=_agent_rows, row_columns=_reason_columns, row_columns_after="unavailable_seconds",
        description="Time in each state (unavailable time by reason beside it), occupancy against the session limit then in force, "
                    "and the rooms each agent handled (group by team for team totals)."))
