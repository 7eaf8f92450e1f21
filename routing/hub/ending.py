"""Ending a thread's room from a delivery mode. Public.

A mode that decides itself when a conversation is over (a Digital case closed by its agent or by
its inactivity timer) ends the room here, so the contact's next text opens a new room and reaches
the mode's `hand_off` afresh (R8). The transcript is kept as the tenant's setting says.
"""
from django.db import transaction

from ..choices import OPEN_ROOM_STATES, CloseReason
from .rooms import close_locked, lock_room


def room_end_for_mode(*, room_id, expired=False, forced=False, now=None):
    """Close the room `room_id` if it is still open (idempotent). `expired`: by the inactivity timer;
    `forced`: by an administrator's forced disconnect (R10: its transcript is kept); else ended by an
    agent. Returns whether it closed it now."""
    with transaction.atomic():
        room = lock_room(room_id)
        if room.state not in OPEN_ROOM_STATES:
            return False
        if forced:
            close_locked(room, CloseReason.FORCED_DISCONNECT, now, keep_transcript=True)
        else:
            close_locked(room, CloseReason.EXPIRED if expired else CloseReason.ENDED_BY_AGENT, now)
        return True
