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


def opted_out_among(tenant_id, numbers):
    """The numbers among `numbers` that opted out: contact_is_opted_out for a batch (a campaign's), in
    one query."""
    keys = {key: number for number in set(numbers) for key in erasure.opt_out_keys(number)}
    found = Contact.objects.filter(tenant_id=tenant_id, opted_out=True, number__in=keys).values_list("number", flat=True)
    return {keys[key] for key in found}


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


OPTED_OUT = "opted_out"  # the refusal's code: a caller that counts opt-outs apart (a campaign) tells it by this


def opted_out_error(number, field="body"):
    return ValidationError({field: ValidationError(opted_out_reason(number), code=OPTED_OUT)})


def is_opt_out_refusal(error):
    """Whether a ValidationError from sending (text_send, texts_send) is the opt-out refusal."""
    errors = [e for errs in error.error_dict.values() for e in errs] if hasattr(error, "error_dict") else error.error_list
    return any(e.code == OPTED_OUT for e in errors)


def carrier_refusal_message(number):
    return f"The carrier refused: {number} has opted out (error {CARRIER_OPTED_OUT})."
