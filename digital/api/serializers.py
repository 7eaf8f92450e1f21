from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from routing import selectors as routing_selectors
from routing.api.base import ScopedPrimaryKeyRelatedField, ServiceModelSerializer
from routing.models import PointOfContact, User
from routing.rules import contact_normalize_number

from .. import selectors, services
from ..choices import SETTABLE_STATES
from ..models import Case, Filter, Queue
from routing.models import Contact
from routing import services as routing_services


class TextField(serializers.CharField):
    """Text only: DRF's CharField would take 5 for "5"; a number where text belongs is a mistake worth a 400."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _agents_for(user):
    return routing_selectors.users_for(user).filter(role="agent")


class QueueSerializer(ServiceModelSerializer):
    agents = ScopedPrimaryKeyRelatedField(selector=_agents_for, queryset=User.objects.all(), many=True, required=False)

    class Meta:
        model = Queue
        fields = ["id", "tenant", "name", "priority", "agents", "is_fallback"]
        extra_kwargs = {"tenant": {"required": False}}

    extra_write_fields = ("agents",)

    def save_instance(self, instance, agents=None):
        return services.queue_save(instance=instance, agents=agents)


class FilterSerializer(ServiceModelSerializer):
    queue = ScopedPrimaryKeyRelatedField(selector=selectors.queues_for, queryset=Queue.objects.all())
    point_of_contact = ScopedPrimaryKeyRelatedField(selector=routing_selectors.points_of_contact_for, queryset=PointOfContact.objects.all(),
                                                    required=False, allow_null=True)

    class Meta:
        model = Filter
        fields = ["id", "tenant", "queue", "position", "name", "point_of_contact", "keywords", "pattern", "tags", "hours_start",
                  "hours_end"]
        extra_kwargs = {"tenant": {"required": False}}


class DigitalContactSerializer(ServiceModelSerializer):
    """The contact card (routing's, shared with the ACD workspace): `notes_by`/`notes_at` say who last
    changed the notes and when; `opted_out`: the number sent STOP (R17)."""
    notes_by = serializers.CharField(source="notes_by.username", read_only=True, allow_null=True)  # no default: PATCH answers keep it

    class Meta:
        model = Contact
        fields = ["id", "tenant", "number", "name", "tags", "notes", "notes_by", "notes_at", "opted_out"]
        read_only_fields = ["notes_at", "opted_out"]
        extra_kwargs = {"tenant": {"required": False}}

    def save_instance(self, instance, **extra):
        return routing_services.contact_save(instance=instance, actor=self.context["request"].user)


class CaseSerializer(serializers.ModelSerializer):
    queue_name = serializers.CharField(source="queue.name", read_only=True, allow_null=True, default=None)
    agent_username = serializers.CharField(source="agent.username", read_only=True, allow_null=True, default=None)
    contact_name = serializers.CharField(read_only=True, allow_null=True, default=None, help_text="From the contact card.")

    class Meta:
        model = Case
        fields = ["id", "state", "queue", "queue_name", "agent", "agent_username", "contact_number", "contact_name", "poc_number",
                  "point_of_contact",
                  "opened_at", "assigned_at", "offer_expires_at", "accepted_at", "expires_at", "closed_at", "last_message_at", "unread",
                  "first_body"]
        read_only_fields = fields


class CaseStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=[(s.value, s.label) for s in SETTABLE_STATES])


class CaseBodySerializer(serializers.Serializer):
    body = TextField(allow_blank=True, trim_whitespace=False, max_length=4000)


class CaseAssignSerializer(serializers.Serializer):
    agent = ScopedPrimaryKeyRelatedField(selector=_agents_for, queryset=User.objects.all(), required=False, allow_null=True)
    queue = ScopedPrimaryKeyRelatedField(selector=selectors.queues_for, queryset=Queue.objects.all(), required=False, allow_null=True)
    note = TextField(required=False, allow_blank=True, max_length=1000)

    def validate(self, attrs):
        if (attrs.get("agent") is None) == (attrs.get("queue") is None):
            raise serializers.ValidationError({"agent": ["Choose an agent or a queue."]})
        return attrs


class CaseOutboundSerializer(serializers.Serializer):
    point_of_contact = ScopedPrimaryKeyRelatedField(selector=routing_selectors.points_of_contact_for, queryset=PointOfContact.objects.all())
    contact_number = TextField(max_length=30)
    body = TextField(allow_blank=True, trim_whitespace=False, max_length=4000)


class FilterTrySerializer(serializers.Serializer):
    body = TextField(allow_blank=True, max_length=1600)
    point_of_contact = ScopedPrimaryKeyRelatedField(selector=routing_selectors.points_of_contact_for, queryset=PointOfContact.objects.all(),
                                                    required=False, allow_null=True)
    contact_number = TextField(required=False, allow_blank=True, max_length=30)
    at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_contact_number(self, value):
        if not value:
            return ""
        try:
            return contact_normalize_number(value)
        except DjangoValidationError:
            raise serializers.ValidationError("This is not a phone number.")


# --- response shapes, for the OpenAPI schema (the payloads come from digital.selectors) --------------

class CaseMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    room = serializers.IntegerField(allow_null=True)
    direction = serializers.CharField()
    body = serializers.CharField(allow_blank=True)
    status = serializers.CharField()
    error_code = serializers.CharField(allow_blank=True)
    error_message = serializers.CharField(allow_blank=True)
    encoding = serializers.CharField()
    segments = serializers.IntegerField()
    author = serializers.CharField(allow_null=True)
    automatic = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class CaseEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(allow_null=True)
    from_state = serializers.CharField(allow_null=True)
    to_state = serializers.CharField(allow_null=True)
    agent = serializers.CharField(allow_null=True)
    queue = serializers.CharField(allow_null=True)
    body = serializers.CharField(allow_blank=True)


class PreviousCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    contact_number = serializers.CharField()
    poc_number = serializers.CharField()
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    agent_username = serializers.CharField(allow_null=True)
    messages = CaseMessageSerializer(many=True)
