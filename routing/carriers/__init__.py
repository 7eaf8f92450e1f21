"""Carrier backends behind one small interface: send(...) -> SendResult.

`simulator` delivers to the built-in phone simulator page; `twilio` POSTs to
{CXSMS_TWILIO_API_BASE}/2010-04-01/Accounts/{AccountSid}/Messages.json with basic auth.
"""
from dataclasses import dataclass

from ..choices import Provider


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


def backend_for(account):
    from . import simulator, twilio

    return {Provider.SIMULATOR: simulator, Provider.TWILIO: twilio}[account.provider]
