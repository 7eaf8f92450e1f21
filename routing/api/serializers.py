"""REST serializers: input shape only. Every write goes through routing.services, so the API refuses
what the console and the admin refuse, with the same messages (model clean() and routing.rules)."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import selectors, services
from ..choices import AgentState, Channel, CloseReason, Direction, Encoding, MessageStatus, Role, RoomState
from ..models import (AgentSkill, CannedResponse, CarrierAccount, Contact, Country, Disposition, PointOfContact, RoutingDecision,
                      RoutingRule, Skill, Team, Tenant, UnavailableReason, User)
from ..models.people import PROFICIENCY_MAX, PROFICIENCY_MIN
from .base import (ScopedPrimaryKeyRelatedField, ServiceModelSerializer, _user, as_drf_validation_error,  # noqa: F401
                   drf_error_detail)
from .fields import NamedChoiceField
from .permissions import OPERATOR, role_of


class CountryCodeField(serializers.SlugRelatedField):
    """A country by its ISO 3166 alpha-2 code (any case on input)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Country.objects.all(), **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data.upper() if isinstance(data, str) else data)


def tenant_field():
    return ScopedPrimaryKeyRelatedField(
        selector=selectors.tenants_for, queryset=Tenant.objects.all(), required=False,
        help_text="The tenant's id. The operator names it when creating; for everyone else it is the caller's tenant "
                  "(another tenant's id is refused). It never changes after create.")


class TenantSerializer(ServiceModelSerializer):
    """A customer of the platform; the operator enables SMS Messaging and Digital Experience here."""

    class Meta:
        model = Tenant
        fields = ["id", "name", "slug", "sms_messaging_enabled", "digital_experience_enabled", "sms_delivery", "save_transcripts",
                  "time_zone", "help_reply", "opt_out_reply", "opt_in_reply", "auto_reply_window_minutes", "case_limit",
                  "transcript_retention_days", "campaign_opt_out_enabled", "campaign_opt_out_line", "created_at"]


class TeamSerializer(ServiceModelSerializer):
    """A team; its session limit (1 to 12) is shared by chat and SMS."""

    tenant = tenant_field()

    class Meta:
        model = Team
        fields = ["id", "tenant", "name", "session_limit"]


class SkillSerializer(ServiceModelSerializer):
    """A skill routes one channel in one direction."""

    tenant = tenant_field()

    class Meta:
        model = Skill
        fields = ["id", "tenant", "name", "channel", "direction", "service_level_seconds", "first_response_target_seconds"]


class SkillProficiencySerializer(serializers.Serializer):
    """A skill the user holds, with its proficiency."""

    skill = ScopedPrimaryKeyRelatedField(selector=selectors.skills_for, queryset=Skill.objects.all())
    proficiency = serializers.IntegerField(min_value=PROFICIENCY_MIN, max_value=PROFICIENCY_MAX, default=1,
                                           help_text="1 is the best, 20 the least.")


class UserSerializer(ServiceModelSerializer):
    """An administrator, supervisor or agent of a tenant."""

    tenant = tenant_field()
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"}, trim_whitespace=False,
                                     help_text="Write-only. Checked by the password validators; never returned.")
    role = serializers.ChoiceField(choices=Role.choices)
    team = ScopedPrimaryKeyRelatedField(selector=selectors.teams_for, queryset=Team.objects.all(), required=False, allow_null=True)
    skills = ScopedPrimaryKeyRelatedField(
        selector=selectors.skills_for, queryset=Skill.objects.all(), many=True, required=False,
        help_text="Ids of the skills the user holds. New skills get proficiency 1; skills already held keep theirs.")
    skill_proficiencies = SkillProficiencySerializer(
        source="agent_skills", many=True, required=False,
        help_text="The skills with their proficiency (1 best … 20). Give this or `skills`, not both.")
    effective_session_limit = serializers.IntegerField(read_only=True, help_text="The override if set, else the team's limit.")
    state = NamedChoiceField(AgentState.choices, "AgentStateEnum", read_only=True, help_text="Agents' availability.")

    extra_write_fields = ("password", "skills", "agent_skills")

    class Meta:
        model = User
        fields = ["id", "tenant", "username", "password", "first_name", "last_name", "email", "role", "team", "session_limit",
                  "effective_session_limit", "case_limit", "skills", "skill_proficiencies", "state", "is_active"]
        read_only_fields = ["state"]

    def validate(self, attrs):
        if "skills" in attrs and "agent_skills" in attrs:
            raise serializers.ValidationError({"skills": ["Give skills or skill_proficiencies, not both."]})
        return super().validate(attrs)

    def save_instance(self, instance, password=None, skills=None, agent_skills=None):
        wanted = None
        if agent_skills is not None:
            wanted = [(item["skill"], item["proficiency"]) for item in agent_skills]
        elif skills is not None:
            held = dict(instance.agent_skills.values_list("skill_id", "proficiency")) if instance.pk else {}
            wanted = [(s, held.get(s.pk, 1)) for s in skills]
        return services.user_save(user=instance, password=password, skills=wanted)


class CarrierAccountSerializer(ServiceModelSerializer):
    """A carrier account; the auth token is write-only."""

    tenant = tenant_field()

    class Meta:
        model = CarrierAccount
        fields = ["id", "tenant", "name", "provider", "account_sid", "auth_token"]
        extra_kwargs = {"auth_token": {"write_only": True, "help_text": "Write-only: signs and verifies carrier traffic; never returned."}}


class PointOfContactSerializer(ServiceModelSerializer):
    """A number contacts text (SMS) or a web chat entry point (chat), with its code type and country."""

    tenant = tenant_field()
    country = CountryCodeField(required=False, allow_null=True, help_text="ISO 3166 alpha-2 code (SMS only), for example US.")
    skill = ScopedPrimaryKeyRelatedField(selector=selectors.skills_for, queryset=Skill.objects.all(), required=False, allow_null=True,
                                         help_text="The default skill of the routing script.")
    carrier_account = ScopedPrimaryKeyRelatedField(selector=selectors.carrier_accounts_for, queryset=CarrierAccount.objects.all(),
                                                   required=False, allow_null=True)

    class Meta:
        model = PointOfContact
        fields = ["id", "tenant", "name", "channel", "number", "country", "code_type", "skill", "carrier_account", "slug",
                  "after_hours_reply", "ack_after_seconds", "ack_reply", "is_active"]


class RoutingRuleSerializer(ServiceModelSerializer):
    """One ordered rule of a point of contact's routing script."""

    point_of_contact = ScopedPrimaryKeyRelatedField(selector=selectors.points_of_contact_for, queryset=PointOfContact.objects.all())
    skill = ScopedPrimaryKeyRelatedField(selector=selectors.skills_for, queryset=Skill.objects.all())

    class Meta:
        model = RoutingRule
        fields = ["id", "point_of_contact", "position", "kind", "pattern", "days", "start_time", "end_time", "time_zone", "skill",
                  "priority"]


class CountrySerializer(ServiceModelSerializer):
    """Which code types a country allows."""

    class Meta:
        model = Country
        fields = ["id", "code", "name", "long", "toll_free", "short", "digital"]


# --- interactions: rooms and messages (shapes of selectors.room_payload / message_payload) -----------

class MessageSerializer(serializers.Serializer):
    """selectors.message_payload: the same dict the websocket feed sends."""

    id = serializers.IntegerField()
    room = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    body = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=MessageStatus.choices)
    error_code = serializers.CharField(allow_blank=True)
    error_message = serializers.CharField(allow_blank=True)
    encoding = serializers.ChoiceField(choices=Encoding.choices)
    segments = serializers.IntegerField()
    author = serializers.CharField(allow_null=True, help_text="The agent's username; null for the contact and automatic replies.")
    automatic = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return selectors.message_payload(instance)


class RoomSerializer(serializers.Serializer):
    """selectors.room_payload: the same dict the websocket feed sends."""

    id = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    direction = serializers.ChoiceField(choices=Direction.choices)
    state = NamedChoiceField(RoomState.choices, "RoomStateEnum")
    contact_number = serializers.CharField(allow_blank=True)
    contact_name = serializers.CharField(allow_blank=True)
    poc_number = serializers.CharField(allow_blank=True)
    point_of_contact = serializers.IntegerField()
    skill = serializers.IntegerField(allow_null=True)
    skill_name = serializers.CharField(allow_null=True)
    agent = serializers.IntegerField(allow_null=True)
    agent_username = serializers.CharField(allow_null=True)
    priority = serializers.IntegerField()
    opened_at = serializers.DateTimeField()
    offered_at = serializers.DateTimeField(allow_null=True)
    offer_expires_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    close_reason = serializers.ChoiceField(choices=CloseReason.choices, allow_blank=True)

    def to_representation(self, instance):
        return selectors.room_payload(instance)


class RoomTranscriptSerializer(RoomSerializer):
    """A past session with its messages."""

    messages = MessageSerializer(many=True)

    notes = serializers.ListField(child=serializers.DictField(), read_only=True, help_text="Internal notes (never sent to the contact).")

    def to_representation(self, instance):
        notes = [selectors.note_payload(n) for n in selectors.notes_for_room(instance)]
        return dict(selectors.room_payload(instance, messages=True), notes=notes)


class RoomNoteSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    room = serializers.IntegerField(read_only=True)
    author = serializers.CharField(read_only=True, allow_null=True)
    body = serializers.CharField(max_length=2000, help_text="Never sent to the contact.")
    created_at = serializers.DateTimeField(read_only=True)


class SkippedAgentSerializer(serializers.Serializer):
    agent = serializers.IntegerField()
    username = serializers.CharField()
    reason = serializers.CharField()


class RoutingDecisionSerializer(serializers.ModelSerializer):
    """Why a room went where it went."""

    skipped = serializers.SerializerMethodField()

    class Meta:
        model = RoutingDecision
        fields = ["id", "room", "created_at", "outcome", "agent", "skill", "rule", "skipped", "trigger"]
        read_only_fields = fields

    @extend_schema_field(SkippedAgentSerializer(many=True))
    def get_skipped(self, obj):
        return obj.skipped or []


class MessageSendSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=1600, help_text="The text to send to the contact.")


class OutboundSerializer(serializers.Serializer):
    point_of_contact = ScopedPrimaryKeyRelatedField(selector=selectors.points_of_contact_for, queryset=PointOfContact.objects.all(),
                                                    help_text="The SMS point of contact the text is sent from.")
    contact_number = serializers.CharField(max_length=32, help_text="The contact's number, E.164 preferred (+12125550123).")
    body = serializers.CharField(max_length=1600)


class AgentStateSerializer(serializers.Serializer):
    state = NamedChoiceField(AgentState.choices, "AgentStateEnum", read_only=True)
    reason = serializers.CharField(read_only=True, help_text="Why the agent is unavailable (a reason's name); empty when none was "
                                                             "given or the agent is not unavailable.")


class AgentStateInputSerializer(serializers.Serializer):
    state = NamedChoiceField([(AgentState.AVAILABLE, "Available"), (AgentState.UNAVAILABLE, "Unavailable")], "AgentStateInputEnum")
    reason = ScopedPrimaryKeyRelatedField(selector=selectors.unavailable_reasons_for, queryset=UnavailableReason.objects.all(),
                                          required=False, allow_null=True,
                                          help_text="With unavailable: the id of one of the tenant's active unavailable reasons.")


class UnavailableReasonSerializer(ServiceModelSerializer):
    """Why an agent is unavailable (break, lunch, …): agents choose one when going unavailable; the
    supervisor page shows it and the agents report sums time per reason."""

    tenant = tenant_field()

    class Meta:
        model = UnavailableReason
        fields = ["id", "tenant", "name", "is_active"]


ME_ROLES = [(OPERATOR, "Platform operator"), *Role.choices]


class MeSerializer(serializers.Serializer):
    """The calling user."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=ME_ROLES, help_text="`operator` for the platform operator.")
    tenant = serializers.IntegerField(allow_null=True, source="tenant_id")
    tenant_name = serializers.SerializerMethodField()
    team = serializers.IntegerField(allow_null=True, source="team_id")
    state = NamedChoiceField(AgentState.choices, "AgentStateEnum")
    session_limit = serializers.IntegerField(allow_null=True, help_text="The user's override; null: the team's.")
    effective_session_limit = serializers.IntegerField()
    skills = serializers.SerializerMethodField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["role"] = role_of(instance)
        return data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_tenant_name(self, obj):
        return obj.tenant.name if obj.tenant_id else None

    @extend_schema_field(SkillProficiencySerializer(many=True))
    def get_skills(self, obj):
        return [{"skill": s.skill_id, "proficiency": s.proficiency} for s in AgentSkill.objects.filter(agent=obj)]


class ActiveCountSerializer(serializers.Serializer):
    active = serializers.IntegerField(help_text="Open SMS interactions (queued, offered, active) a forced disconnect would end.")


class EndedCountSerializer(serializers.Serializer):
    ended = serializers.IntegerField(help_text="SMS interactions ended.")


class ContactSerializer(ServiceModelSerializer):
    """A contact card: the same in the ACD workspace and the Digital inbox, across rooms and cases.
    `notes_by`/`notes_at`: who last changed the notes, and when; `opted_out`: the number sent STOP (R17)."""

    tenant = tenant_field()
    notes_by = serializers.CharField(source="notes_by.username", read_only=True, allow_null=True)  # no default: PATCH answers keep it

    class Meta:
        model = Contact
        fields = ["id", "tenant", "number", "name", "tags", "notes", "notes_by", "notes_at", "opted_out"]
        read_only_fields = ["notes_at", "opted_out"]

    def save_instance(self, instance, **extra):
        return services.contact_save(instance=instance, actor=self.context["request"].user)


class CannedResponseSerializer(ServiceModelSerializer):
    """A prepared reply. `owner` null: for everyone in the tenant (administrators write those); an
    agent's or supervisor's own otherwise (the default for them). `{contact_name}` and `{agent_name}`
    are filled in when the agent inserts it."""

    tenant = tenant_field()
    owner = ScopedPrimaryKeyRelatedField(selector=selectors.users_for, queryset=User.objects.all(), required=False, allow_null=True,
                                         help_text="Null: tenant-wide. Agents and supervisors may only name themselves.")

    class Meta:
        model = CannedResponse
        fields = ["id", "tenant", "owner", "name", "shortcut", "body", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = self.context["request"].user
        if self.instance is None and "owner" not in attrs:
            attrs["owner"] = None if (user.is_superuser or user.role == Role.ADMIN) else user
        return attrs

    def save_instance(self, instance, **extra):
        return services.canned_response_save(response=instance, actor=self.context["request"].user)


class DispositionSerializer(ServiceModelSerializer):
    """A wrap-up code for the skills it names (none: every skill); `required`: a room of those skills
    cannot be ended by its agent without one."""

    tenant = tenant_field()
    skills = ScopedPrimaryKeyRelatedField(selector=selectors.skills_for, queryset=Skill.objects.all(), many=True, required=False)
    extra_write_fields = ("skills",)

    class Meta:
        model = Disposition
        fields = ["id", "tenant", "name", "skills", "required", "is_active"]

    def save_instance(self, instance, skills=None):
        return services.disposition_save(disposition=instance, skills=skills)


class RoomTransferSerializer(serializers.Serializer):
    agent = ScopedPrimaryKeyRelatedField(selector=selectors.users_for, queryset=User.objects.all(), required=False, allow_null=True)
    skill = ScopedPrimaryKeyRelatedField(selector=selectors.skills_for, queryset=Skill.objects.all(), required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class RoomEndSerializer(serializers.Serializer):
    disposition = ScopedPrimaryKeyRelatedField(selector=selectors.dispositions_for, queryset=Disposition.objects.all(), required=False,
                                               allow_null=True)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=2000)
