"""The ACD routing engine (filled in)."""


def dispatch_for_agents(*, agent_ids):
    pass
