"""Twilio's Programmable Messaging REST API.

A 5xx answer means Twilio did not create the message: retried. A timeout or a dropped connection
is ambiguous, so before any retry we look the message up in Twilio's list resource (To, From,
DateSent) and adopt it when it is there: a retry never makes a second SMS.
"""
import logging

import requests
from django.conf import settings

from .base import SendResult

log = logging.getLogger("cxsms.carriers")


def _url(account, suffix="Messages.json"):
    return f"{settings.CXSMS_TWILIO_API_BASE.rstrip('/')}/2010-04-01/Accounts/{account.account_sid}/{suffix}"


def _error(resp):
    try:
        data = resp.json()
    except ValueError:
        data = {}
    return str(data.get("code") or resp.status_code), str(data.get("message") or resp.reason or "refused by the carrier")[:300]


def find_sent(*, account, from_number, to_number, body, since):
    """The SID of a message already created with these fields since `since`, None if none, or raise on no answer."""
    params = {"To": to_number, "From": from_number, "DateSent>": since.strftime("%Y-%m-%d"), "PageSize": 50}
    resp = requests.get(_url(account), params=params, auth=(account.account_sid, account.auth_token), timeout=settings.CXSMS_TWILIO_TIMEOUT)
    resp.raise_for_status()
    for m in resp.json().get("messages", []):
        if m.get("body") == body and m.get("to") == to_number:
            return m.get("sid")
    return None


def send(*, account, from_number, to_number, body, status_callback, key, ambiguous_since=None):
    if ambiguous_since is not None:
        # The previous attempt timed out: did it reach Twilio after all?
        try:
            sid = find_sent(account=account, from_number=from_number, to_number=to_number, body=body, since=ambiguous_since)
        except (requests.RequestException, ValueError) as exc:
            return SendResult(ok=False, transient=True, error_code="lookup",
                              error_message=f"could not check an earlier attempt: {exc}"[:300])
        if sid:
            return SendResult(ok=True, sid=sid, status="queued")
    data = {"From": from_number, "To": to_number, "Body": body, "StatusCallback": status_callback}
    try:
        resp = requests.post(_url(account), data=data, auth=(account.account_sid, account.auth_token),
                             headers={"I-Twilio-Idempotency-Token": str(key)}, timeout=settings.CXSMS_TWILIO_TIMEOUT)
    except requests.Timeout:
        return SendResult(ok=False, transient=True, error_code="timeout", error_message="the carrier did not answer in time")
    except requests.ConnectionError as exc:
        return SendResult(ok=False, transient=True, error_code="connection", error_message=str(exc)[:300])
    if resp.status_code >= 500:
        code, msg = _error(resp)
        return SendResult(ok=False, transient=True, error_code=code, error_message=msg)
    if resp.status_code >= 400:
        code, msg = _error(resp)
        return SendResult(ok=False, transient=False, error_code=code, error_message=msg)
    payload = resp.json()
    return SendResult(ok=True, sid=payload.get("sid", ""), status=payload.get("status") or "queued")
