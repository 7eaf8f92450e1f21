"""Reads of the audit trail: a tenant administrator sees their tenant's entries, the operator every entry."""
from django.contrib.contenttypes.models import ContentType

from routing.choices import Role
from routing.models import AgentSkill, CarrierAccount, Country, PointOfContact, RoutingRule, Skill, Team, Tenant, User

from .models import AuditEntry

# Object types in the product's words, as the filters and the API name them.
OBJECT_TYPES = {
    "tenant": ("Tenant", Tenant), "user": ("User", User), "team": ("Team", Team), "skill": ("Skill", Skill),
    "agent_skill": ("Agent skill", AgentSkill), "point_of_contact": ("Point of contact", PointOfContact),
    "routing_rule": ("Routing rule", RoutingRule), "carrier_account": ("Carrier account", CarrierAccount),
    "country": ("Country", Country),
}
_BY_MODEL = {model: key for key, (_, model) in OBJECT_TYPES.items()}


def object_type_of(entry):
    """The product's word for an entry's object type ("point_of_contact"), from its content type."""
    model = entry.content_type.model_class()
    return _BY_MODEL.get(model, entry.content_type.model)


def content_type_for(object_type):
    return ContentType.objects.get_for_model(OBJECT_TYPES[object_type][1])


def audit_entries_for(user):
    qs = AuditEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.tenant_id is None or user.role != Role.ADMIN:
        return qs.none()
    return qs.filter(tenant_id=user.tenant_id)
