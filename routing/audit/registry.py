"""Which configuration models are audited, and which of their fields are not.

The routing engine keeps cached state on users and agent skills (counts held, routable, idle
times, availability); those writes are not configuration changes and are left out of the trail.
The engine writes them with queryset updates or raw SQL (no signals at all); the remaining
saves that touch only such fields (an agent's availability, a login's last_login) skip the
audit receiver before it reads the old row, so they cost no extra query.
"""
from auditlog.receivers import log_update
from auditlog.registry import auditlog
from django.db.models.signals import post_delete, post_save, pre_save
from rest_framework.authtoken.models import Token

from routing.models import (
    AgentSkill,
    CarrierAccount,
    Country,
    PointOfContact,
    RoutingRule,
    Skill,
    Team,
    Tenant,
    UnavailableReason,
    User,
)

from .choices import Event
from .models import AuditEntry
from .services import audit_event

MASK = "routing.audit.models.mask_secret"

# Cached routing state and bookkeeping, not configuration.
USER_EXCLUDED = ["last_login", "state", "state_changed_at", "state_reason", "idle_since", "event_seq", "held", "routable", "date_joined"]
AGENT_SKILL_EXCLUDED = ["agent_routable", "agent_idle_since"]


def _register(model, exclude=(), mask=()):
    auditlog.register(model, exclude_fields=list(exclude), mask_fields=list(mask), mask_callable=MASK if mask else None)
    if exclude:
        # Replace the update receiver by one that returns before reading the old row when every saved field is excluded.
        pre_save.disconnect(sender=model, dispatch_uid=auditlog._dispatch_uid(pre_save, log_update))
        skip = frozenset(exclude)

        def log_configuration_update(sender, instance, update_fields=None, **kwargs):
            if update_fields is not None and set(update_fields) <= skip:
                return
            log_update(sender, instance=instance, update_fields=update_fields, **kwargs)

        pre_save.connect(log_configuration_update, sender=model, weak=False, dispatch_uid=f"audit-update-{model._meta.label}")


def register_configuration_models():
    _register(Tenant, exclude=["created_at"])
    _register(User, exclude=USER_EXCLUDED, mask=["password"])
    _register(Team)
    _register(Skill)
    _register(AgentSkill, exclude=AGENT_SKILL_EXCLUDED)
    _register(Country)
    _register(CarrierAccount, mask=["auth_token"])
    _register(PointOfContact)
    _register(RoutingRule)
    _register(UnavailableReason)
    # A token's primary key is its secret: record the event on its user, never the key.
    post_save.connect(_token_saved, sender=Token, dispatch_uid="audit-token-created")
    post_delete.connect(_token_deleted, sender=Token, dispatch_uid="audit-token-revoked")
    post_delete.connect(_actor_deleted, sender=User, dispatch_uid="audit-actor-deleted")


def _token_saved(sender, instance, created, **kwargs):
    if created:
        audit_event(event=Event.TOKEN_CREATED, obj=instance.user)


def _token_deleted(sender, instance, **kwargs):
    audit_event(event=Event.TOKEN_REVOKED, obj=instance.user)


def _actor_deleted(sender, instance, **kwargs):
    """A deleted user's entries keep their name (actor_name) and lose the reference: also those
    written while the deletion ran (a user deleting their own account, its tokens and skills),
    which the deletion's own SET NULL did not see; PostgreSQL would refuse them at commit."""
    AuditEntry.objects.filter(actor_id=instance.pk).update(actor=None)
