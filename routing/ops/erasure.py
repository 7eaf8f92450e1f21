"""Erasing a contact: everything a tenant holds about one phone number, on request.

The number is replaced by a tombstone (`erased-<random>`, the same in all of the contact's rooms)
so counts and reports stay right; bodies, names and error texts of the contact's conversations
are blanked. The one thing kept is the opt-out: an opted-out contact's record keeps a keyed hash
of the number (HMAC-SHA256 with CXSMS_ERASURE_KEY) instead of the number, so the opt-out check
can still find it when that number is texted again, while nobody holding the database alone can
read the number back.

Each app registers what it holds with `register_eraser` (campaigns: list entries, recipients)
from its AppConfig.ready(). Erasers run in registration order inside one transaction.
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from .. import rules
from ..audit.choices import Event
from ..audit.services import audit_event
from ..choices import OPEN_ROOM_STATES
from ..models import Contact, Message, Room, RoomNote

HASH_PREFIX = "h:"
TOMBSTONE_PREFIX = "erased-"


def number_hash(number):
    """The opt-out record's key for an erased number: `h:` + 40 hex digits (160 bits of HMAC-SHA256)."""
    digest = hmac.new(settings.CXSMS_ERASURE_KEY.encode(), number.encode(), hashlib.sha256).hexdigest()
    return HASH_PREFIX + digest[:40]


def opt_out_keys(number):
    """The Contact.number values that hold `number`'s opt-out: the number itself, and its hash once erased.
    The opt-out check asks `number IN opt_out_keys(number)` (one index probe each)."""
    return (number, number_hash(number))


@transaction.atomic
def contact_unhash(*, tenant_id, number):
    """A contact who was erased texts again (an opt-out or opt-in keyword): their hashed record becomes
    theirs again under the number, so START can lift the opt-out that erasure kept. Returns True if one was."""
    hashed = Contact.objects.select_for_update().filter(tenant_id=tenant_id, number=number_hash(number)).first()
    if hashed is None:
        return False
    if Contact.objects.filter(tenant_id=tenant_id, number=number).exists():
        # A record under the number exists again already: the stricter of the two wins, the hash goes.
        if hashed.opted_out:
            Contact.objects.filter(tenant_id=tenant_id, number=number).update(opted_out=True, opted_out_at=hashed.opted_out_at)
        hashed.delete()
    else:
        Contact.objects.filter(pk=hashed.pk).update(number=number)
    return True


@dataclass(frozen=True)
class Eraser:
    """What one app holds about a number: `count(tenant, number)` for the confirmation, `erase(tenant, number, tombstone)`."""

    kind: str
    count: Callable
    erase: Callable


_erasers = {}


def register_eraser(kind, *, count, erase):
    """Add what an app holds about a contact (replacing an earlier registration of the same kind)."""
    _erasers[kind] = Eraser(kind, count, erase)


def erasers():
    return list(_erasers.values())


# --- what routing holds --------------------------------------------------------------------------

def _contact_rooms(tenant, number):
    return Room.objects.filter(tenant=tenant, contact_number=number)


def _contact_messages(tenant, number):
    """The contact's thread: messages in their rooms, and texts sent without a room (they carry the number themselves)."""
    return Message.objects.filter(Q(contact_number=number) | Q(room__in=_contact_rooms(tenant, number)), tenant=tenant)


def _count_messages(tenant, number):
    return _contact_messages(tenant, number).count()


def _erase_messages(tenant, number, tombstone):
    """Bodies and error texts (which may quote the number) blanked, the number replaced; the rows stay for the counts."""
    return _contact_messages(tenant, number).update(body="", error_message="", contact_number=tombstone)


def _contact_notes(tenant, number):
    return RoomNote.objects.filter(tenant=tenant, room__in=_contact_rooms(tenant, number))


def _count_notes(tenant, number):
    return _contact_notes(tenant, number).count()


def _erase_notes(tenant, number, tombstone):
    """Internal notes are free text about the contact: they go (nothing counts them)."""
    return _contact_notes(tenant, number).delete()[0]


def _count_rooms(tenant, number):
    return _contact_rooms(tenant, number).count()


def _erase_rooms(tenant, number, tombstone):
    return _contact_rooms(tenant, number).update(contact_number=tombstone, contact_name="", transcript_kept=False)


def _count_contacts(tenant, number):
    return Contact.objects.filter(tenant=tenant, number=number).count()


def _erase_contacts(tenant, number, tombstone):
    """The contact card goes; an opt-out stays, under the number's hash (one per tenant and number)."""
    n = 0
    for contact in Contact.objects.select_for_update().filter(tenant=tenant, number=number):
        n += 1
        hashed = number_hash(number)
        if contact.opted_out and not Contact.objects.filter(tenant=tenant, number=hashed).exists():
            Contact.objects.filter(pk=contact.pk).update(number=hashed, name="", tags="", notes="", notes_by=None, notes_at=None)
        else:
            contact.delete()
    return n


register_eraser("messages", count=_count_messages, erase=_erase_messages)  # before rooms: found through the rooms' numbers
register_eraser("room_notes", count=_count_notes, erase=_erase_notes)  # before rooms too
register_eraser("rooms", count=_count_rooms, erase=_erase_rooms)
register_eraser("contacts", count=_count_contacts, erase=_erase_contacts)


# --- the service ------------------------------------------------------------------------------

class ContactHasLiveRoom(Exception):
    """The number is in a conversation that has not ended: erase it once that ends."""

    message = "This contact has a conversation that has not ended yet: end it (or wait for it to end), then erase the contact."


def erasure_number(number):
    """The number to erase in E.164, or a ValidationError under `number`."""
    try:
        return rules.contact_normalize_number(number)
    except ValidationError as exc:
        raise ValidationError({"number": exc.message_dict["contact_number"]}) from exc


def contact_has_live_room(tenant, number):
    return Room.objects.filter(tenant=tenant, contact_number=number, state__in=OPEN_ROOM_STATES).exists()


def contact_erase_preview(*, tenant, number):
    """{kind: how many} that erasing `number` (E.164) would change, for the confirmation page."""
    return {e.kind: e.count(tenant, number) for e in erasers()}


@transaction.atomic
def contact_erase(*, tenant, number, actor):
    """Erase `number` (any usual format) from `tenant`'s data. Returns {kind: how many}; raises
    ContactHasLiveRoom while it is in a conversation that has not ended. The audit entry says who
    and when, and the counts, never the number."""
    number = erasure_number(number)
    if contact_has_live_room(tenant, number):
        raise ContactHasLiveRoom(ContactHasLiveRoom.message)
    tombstone = TOMBSTONE_PREFIX + secrets.token_hex(6)
    erased = {e.kind: e.erase(tenant, number, tombstone) for e in erasers()}
    audit_event(event=Event.CONTACT_ERASED, obj=tenant, actor=actor, details=erased)
    return erased
