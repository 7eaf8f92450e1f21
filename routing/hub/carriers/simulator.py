"""The demo carrier: texts appear on the phone simulator page (events.simulator_group)."""
from ... import events
from .base import SendResult


def send(*, account, from_number, to_number, body, status_callback, key):
    # The SID derives from our send key: a retried send is the same text, never a second one.
    sid = "SMsim" + key.hex
    events.simulator_text(account.tenant_id, from_number=from_number, to_number=to_number, body=body, sid=sid)
    return SendResult(ok=True, sid=sid, status="delivered")
