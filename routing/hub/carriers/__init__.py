"""Carrier backends behind one small interface: send(...) -> SendResult.

`simulator` delivers to the built-in phone simulator page; `twilio` POSTs to
{CXSMS_TWILIO_API_BASE}/2010-04-01/Accounts/{AccountSid}/Messages.json with basic auth.
"""
from ...choices import Provider
from . import simulator, twilio
from .base import CarrierError, SendResult  # noqa: F401 (the backends' interface)


def backend_for(account):
    return _BACKENDS[account.provider]


_BACKENDS = {Provider.SIMULATOR: simulator, Provider.TWILIO: twilio}
