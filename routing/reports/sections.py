"""Routing's own report sections (registered from RoutingConfig.ready())."""
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


def register():
    registry.register(registry.Section(
        key="interactions", title="Interactions", order=10, columns=INTERACTION_COLUMNS, lead_columns=_interaction_lead,
        rows=lambda user, query: selectors.interactions(user, query, fresh=False),
        description="Rooms by the interval they opened in: offers, answers, waits, handle times, texts and service level."))
    registry.register(registry.Section(
        key="agents", title="Agents", order=20, columns=AGENT_COLUMNS, lead_columns=_agent_lead,
        rows=lambda user, query: selectors.agents(user, query, fresh=False),
        description="Time in each state, occupancy and the rooms each agent handled (group by team for team totals)."))
