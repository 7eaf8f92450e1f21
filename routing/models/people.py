from django.contrib.auth.models import AbstractUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .. import rules
from ..choices import AgentState, Channel, Direction, Role

from ..rules import SESSION_LIMIT_MAX, SESSION_LIMIT_MIN
session_limit_validators = [
    MinValueValidator(SESSION_LIMIT_MIN, f"The chat/SMS session limit is {SESSION_LIMIT_MIN} to {SESSION_LIMIT_MAX}."),
    MaxValueValidator(SESSION_LIMIT_MAX, f"The chat/SMS session limit is {SESSION_LIMIT_MIN} to {SESSION_LIMIT_MAX}."),
]
PROFICIENCY_MIN, PROFICIENCY_MAX = 1, 20
TEAM_NAME_TAKEN = "A team with this name already exists."
SKILL_NAME_TAKEN = "A skill with this name already exists."


class NameOnceInTenant:
    """A name unique in the tenant in any case ("Night Shift" and "night shift" are one): the
    constraint's error belongs to the name field, where the console and the API show it."""

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict({})
            general = errors.pop(NON_FIELD_ERRORS, [])
            taken = [e for e in general if "with this name already exists" in " ".join(ValidationError(e).messages)]
            if taken:
                errors.setdefault("name", []).extend(taken)
            rest = [e for e in general if e not in taken]
            if rest:
                errors[NON_FIELD_ERRORS] = rest
            raise ValidationError(errors)


class Team(NameOnceInTenant, models.Model):
    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    session_limit = models.PositiveSmallIntegerField("chat/SMS session limit", default=5, validators=session_limit_validators,
                                                     help_text="Concurrent chat + SMS sessions per agent, 1 to 12.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "tenant", name="team_unique_name",
                                    violation_error_message=TEAM_NAME_TAKEN),
            models.CheckConstraint(condition=models.Q(session_limit__gte=1, session_limit__lte=12), name="team_session_limit_range"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.tenant_id:
            rules.unique_in_tenant(self, "name", TEAM_NAME_TAKEN, any_case=True)


class User(AbstractUser):
    """A person of one tenant (administrator, supervisor or agent); operators are superusers."""

    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="users", null=True, blank=True)
    role = models.CharField(max_length=12, choices=Role.choices, blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, related_name="members", null=True, blank=True)
    session_limit = models.PositiveSmallIntegerField("session limit override", null=True, blank=True, validators=session_limit_validators,
                                                     help_text="Leave empty to use the team's limit.")
    case_limit = models.PositiveSmallIntegerField("concurrent-case limit override", null=True, blank=True,
                                                  validators=[MinValueValidator(1), MaxValueValidator(50)],
                                                  help_text="Digital Experience: leave empty to use the tenant's contact-handling limit.")
    skills = models.ManyToManyField("routing.Skill", through="routing.AgentSkill", related_name="agents", blank=True)
    state = models.CharField(max_length=12, choices=AgentState.choices, default=AgentState.LOGGED_OUT)
    state_changed_at = models.DateTimeField(default=timezone.now)
    # Why the agent is unavailable (an UnavailableReason's name, or a reason the system gives); empty otherwise.
    state_reason = models.CharField(max_length=60, blank=True, default="")
    # When the agent last got work (or became available): "longest idle" ranks by this.
    idle_since = models.DateTimeField(default=timezone.now)
    # Per-agent event sequence, bumped in the transaction of every change pushed to the agent:
    # a socket that sees a gap resyncs from the database (a push lost on the way loses nothing).
    event_seq = models.PositiveBigIntegerField(default=0)
    # Chats + SMS the agent holds (offered or active): a cache the engine recounts under the
    # agent's row lock at every change, used to find candidates without aggregating rooms.
    held = models.PositiveSmallIntegerField(default=0)
    # Digital Experience: the agent's cases that count against their case limit (R15), the same kind
    # of cache, recounted or set under the agent's row lock at every change of it (digital.services),
    # so choosing an agent for a case aggregates no cases; the limit itself is counted under the lock.
    case_load = models.PositiveSmallIntegerField(default=0)
    # May get an offer now: an active agent, available, held < effective limit. Kept with `held`
    # (engine.agent_routable) so the engine finds candidates through a small partial index
    # instead of comparing every agent's count with their limit; the timer loop repairs drift.
    routable = models.BooleanField(default=False)

    class Meta:
        ordering = ["username"]
        indexes = [models.Index(fields=["tenant", "state", "held"], name="user_routing_idx"),
                   models.Index(fields=["tenant", "idle_since", "id"], condition=models.Q(routable=True), name="user_routable_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(session_limit__isnull=True) | models.Q(session_limit__gte=1, session_limit__lte=12),
                                   name="user_session_limit_range"),
        ]

    @property
    def is_operator(self):
        return self.is_superuser

    @property
    def effective_session_limit(self):
        """R3 (rules.effective_session_limit): the override if set, else the team's."""
        if self.session_limit is not None:  # the team is read only when it decides
            return self.session_limit
        return rules.effective_session_limit(None, self.team.session_limit if self.team_id is not None else None)

    def clean(self):
        super().clean()
        if self.is_superuser:
            return
        errors = {}
        if self.tenant_id is None:
            errors["tenant"] = "A user belongs to exactly one tenant."
        if not self.role:
            errors["role"] = "Choose the user's role."
        if errors:
            raise ValidationError(errors)
        rules.same_tenant(self, "team", self.tenant_id)
        rules.user_validate_keeps_admin(self)


class Skill(NameOnceInTenant, models.Model):
    tenant = models.ForeignKey("routing.Tenant", on_delete=models.CASCADE, related_name="skills")
    name = models.CharField(max_length=100)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.INBOUND)
    # Service-level targets of the reports (routing/reports): answered within, first replied within.
    service_level_seconds = models.PositiveIntegerField("service level target (seconds)", default=60,
                                                        help_text="An interaction counts as answered in time "
                                                                  "when an agent accepts it within this.")
    first_response_target_seconds = models.PositiveIntegerField("first response target (seconds)", default=60,
                                                                help_text="The contact's first text counts as answered in time when "
                                                                          "the agent's first reply follows within this.")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), "tenant", name="skill_unique_name",
                                               violation_error_message=SKILL_NAME_TAKEN)]

    def __str__(self):
        return f"{self.name} ({self.get_channel_display()} {self.get_direction_display().lower()})"

    def clean(self):
        if self.tenant_id:
            rules.unique_in_tenant(self, "name", SKILL_NAME_TAKEN, any_case=True)
        if self.channel == Channel.SMS and self.tenant_id:
            rules.tenant_require_sms(self.tenant, "channel", "SMS skills")


class AgentSkill(models.Model):
    """An agent holds a skill with a proficiency: 1 is the best, 20 the least (as in CXone)."""

    agent = models.ForeignKey(User, on_delete=models.CASCADE, related_name="agent_skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agent_skills")
    proficiency = models.PositiveSmallIntegerField(default=1,
                                                   validators=[MinValueValidator(PROFICIENCY_MIN), MaxValueValidator(PROFICIENCY_MAX)])
    # Copies of the agent's User.routable and User.idle_since, written with them (engine.py), so
    # "the best routable holders of this skill" is one walk of a partial index in rank order
    # instead of a sort of every holder (the ranking mixes this table and the user's).
    agent_routable = models.BooleanField(default=False, editable=False)
    agent_idle_since = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["proficiency", "id"]
        constraints = [models.UniqueConstraint(fields=["agent", "skill"], name="agentskill_unique")]
        indexes = [models.Index(fields=["skill", "proficiency", "agent_idle_since", "agent"], condition=models.Q(agent_routable=True),
                                name="agentskill_routable_idx")]

    def clean(self):
        if self.agent_id and self.skill_id and self.agent.tenant_id != self.skill.tenant_id:
            raise ValidationError({"skill": "Select a valid choice. That choice is not one of the available choices."})
