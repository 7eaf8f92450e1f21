"""What campaigns hold about a contact, for routing.ops.erasure: list entries and recipients. Their number
becomes the erasure's tombstone and their merge fields (names and the like) are blanked."""
from routing.ops import erasure

from .models import ContactListEntry, Recipient


def _entries(tenant, number):
    return ContactListEntry.objects.filter(contact_list__tenant=tenant, number=number)


def _recipients(tenant, number):
    return Recipient.objects.filter(campaign__tenant=tenant, number=number)


def _erase_entries(tenant, number, tombstone):
    # A tombstone per entry would collide within a list only if the number were in it twice: it never is.
    return _entries(tenant, number).update(number=tombstone, fields={})


def _erase_recipients(tenant, number, tombstone):
    return _recipients(tenant, number).update(number=tombstone, fields={}, error="")


def register():
    erasure.register_eraser("campaign_list_entries", count=lambda t, n: _entries(t, n).count(), erase=_erase_entries)
    erasure.register_eraser("campaign_recipients", count=lambda t, n: _recipients(t, n).count(), erase=_erase_recipients)
