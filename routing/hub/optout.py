"""Opt-out (R17): a contact's STOP ends every text to that number from the tenant until START.

Public: campaigns and Digital Experience ask `contact_is_opted_out` before they send; the outbound
path (routing.hub.outbound) refuses with `opted_out_error` and the outbox checks again before the
carrier call.
"""
from django.core.exceptions import ValidationError
from django.utils import timezone

from .. import sql
from ..models import Contact
from ..ops import erasure

# Twilio's error when the carrier itself knows the number opted out.
CARRIER_OPTED_OUT = "21610"


def contact_is_opted_out(tenant_id, number):
    # Asked before every text out: one prepared statement rather than an ORM query.
    # The number, or its keyed hash once the contact was erased (the opt-out outlives the erasure).
    return sql.row(f"SELECT 1 FROM {sql.tables()['contact']} WHERE tenant_id = %s AND number IN (%s, %s) AND opted_out LIMIT 1",
                   [tenant_id, *erasure.opt_out_keys(number)]) is not None


def contact_set_opt_out(*, tenant_id, number, opted_out):
    erasure.contact_unhash(tenant_id=tenant_id, number=number)  # an erased contact's word is theirs again
    contact, _ = Contact.objects.get_or_create(tenant_id=tenant_id, number=number)
    if contact.opted_out != opted_out:
        contact.opted_out, contact.opted_out_at = opted_out, timezone.now() if opted_out else None
        contact.save(update_fields=["opted_out", "opted_out_at"])
    return contact


def opted_out_reason(number):
    return (f"{number} has opted out of texts from this company (replied STOP): nothing can be sent "
            "until the contact texts START.")


def opted_out_error(number, field="body"):
    return ValidationError({field: opted_out_reason(number)})


def carrier_refusal_message(number):
    return f"The carrier refused: {number} has opted out (error {CARRIER_OPTED_OUT})."
