"""Live events for browsers and websocket clients (filled in by the text hub)."""


def agent_state_changed(agent):
    pass
