"""The audit trail: django-auditlog's entry, plus the tenant it belongs to and where the change came from."""
from auditlog.models import AbstractLogEntry, LogEntryManager
from django.db import models

from routing.models import AgentSkill, RoutingRule, Tenant

from . import context
from .choices import Event, Source

SECRET_MASK = "••••••••"


def mask_secret(value):
    """Secrets (password hashes, carrier auth tokens) are never stored: only whether one is set."""
    return "" if value in ("", "None") else SECRET_MASK


def tenant_id_of(instance):
    """The tenant a configuration object belongs to (None: platform-wide, such as the country table)."""
    if isinstance(instance, Tenant):
        return instance.pk
    if isinstance(instance, AgentSkill):
        return instance.agent.tenant_id
    if isinstance(instance, RoutingRule):
        return instance.point_of_contact.tenant_id
    return getattr(instance, "tenant_id", None)


class AuditEntryManager(LogEntryManager):
    def log_create(self, instance, force_log=False, **kwargs):
        kwargs.setdefault("tenant_id", tenant_id_of(instance))
        if isinstance(instance, AgentSkill):  # it has no name of its own
            kwargs.setdefault("object_repr", f"{instance.agent.username}: {instance.skill.name}")
        if not kwargs.get("event") and kwargs.get("changes"):
            # On create and delete auditlog also lists reverse relations ("rooms": "routing.Room.None"): only real fields count.
            fields = {f.name for f in type(instance)._meta.concrete_fields}
            kwargs["changes"] = {name: pair for name, pair in kwargs["changes"].items() if name in fields}
        return super().log_create(instance, force_log=force_log, **kwargs)

    def create(self, **kwargs):
        actor, source, remote_addr = context.current()
        if kwargs.get("actor") is None and actor is not None:
            kwargs["actor"] = actor
        if kwargs.get("actor") is not None:
            kwargs.setdefault("actor_email", kwargs["actor"].email or None)
            kwargs.setdefault("actor_name", kwargs["actor"].get_username())
        kwargs.setdefault("source", source)
        kwargs.setdefault("remote_addr", remote_addr)
        return super().create(**kwargs)


class AuditEntry(AbstractLogEntry):
    # No database constraint: a deleted tenant's trail (including its own deletion) stays readable by the operator.
    tenant = models.ForeignKey("routing.Tenant", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.COMMAND)
    event = models.CharField(max_length=24, choices=Event.choices, blank=True)
    # Who made the change, as named then: stays when that user is later deleted (actor becomes null).
    actor_name = models.CharField(max_length=150, blank=True)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["tenant", "-timestamp"], name="audit_tenant_time_idx")]
