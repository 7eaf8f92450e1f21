"""What every carrier backend returns."""
from dataclasses import dataclass


@dataclass(frozen=True)
class SendResult:
    ok: bool
    sid: str = ""
    status: str = ""
    # A transient failure (timeout, 5xx) is retried; a permanent one (4xx, e.g. 21610) is shown to the agent.
    transient: bool = False
    error_code: str = ""
    error_message: str = ""


class CarrierError(Exception):
    pass
