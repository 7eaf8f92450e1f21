"""Recording actions that are not an edited object (forced disconnects, API tokens)."""
from django.db import transaction

from .models import AuditEntry


@transaction.atomic
def audit_event(*, event, obj, actor=None, details=None):
    """One entry for an action on `obj` (a tenant, a user); `details` maps a name to its value ({"ended": 3})."""
    changes = {name: [None, str(value)] for name, value in (details or {}).items()}
    return AuditEntry.objects.log_create(obj, force_log=True, action=AuditEntry.Action.UPDATE, event=event, changes=changes,
                                         **({"actor": actor} if actor is not None else {}))
