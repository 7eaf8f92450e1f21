"""The administrators' console forms.

ModelForms run the model's full_clean(), so Model.clean() and routing/rules.py refuse the same
things as the admin and the API, next to the same field. Choice fields only ever offer the
administrator's own tenant's teams, skills and carrier accounts (through routing.selectors).
"""
import zoneinfo

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from rest_framework.authtoken.models import Token

from .. import rules, selectors
from ..choices import Role, RuleKind
from ..models import (CannedResponse, CarrierAccount, Disposition, PointOfContact, RoutingRule, Skill, Team, Tenant, UnavailableReason,
                      User)
from ..models.people import PROFICIENCY_MAX, PROFICIENCY_MIN


class TenantScopedForm(forms.ModelForm):
    """A ModelForm for one tenant's object: sets `tenant` before validation and maps every error to a field."""

    tenant_field = "tenant"
    # Model field -> form field, for errors about a model field the form shows under another name.
    error_aliases = {}

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if self.tenant_field and not getattr(self.instance, f"{self.tenant_field}_id", None):
            setattr(self.instance, self.tenant_field, user.tenant)
        for field in self.fields.values():
            if isinstance(field.widget, (forms.TextInput, forms.NumberInput, forms.Select, forms.Textarea, forms.PasswordInput,
                                         forms.TimeInput, forms.EmailInput)):
                field.widget.attrs.setdefault("class", "input")

    def add_error(self, field, error):
        """Errors about fields the form does not show (the tenant, a constraint) go to the form's top.

        A constraint's message (for example "A team with this name already exists.") is moved next to
        the one visible field of that constraint, so it shows where the user has to act.
        """
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            remapped = {}
            for name, errors in error.error_dict.items():
                name = self.error_aliases.get(name, name)
                if name in self.fields and name in self._errors:
                    continue  # the field already says what is wrong ("This field is required."): one message each
                for err in errors:
                    target = name if name in self.fields else NON_FIELD_ERRORS
                    if target == NON_FIELD_ERRORS:
                        target = self._field_of_constraint(err) or NON_FIELD_ERRORS
                    remapped.setdefault(target, []).append(err)
            error = ValidationError(remapped)
        elif field is not None:
            field = self.error_aliases.get(field, field)
            if field not in self.fields:
                field = None
        return super().add_error(field, error)

    def star(self, *names):
        """Mark fields the model requires in some cases (an SMS number, business hours): the form shows
        them with the others' star; the model says which are missing, all at once."""
        for name in names:
            self.fields[name].starred = True

    def _field_of_constraint(self, err):
        for message in getattr(err, "messages", [str(err)]):
            for constraint in self._meta.model._meta.constraints:
                fields = [f for f in getattr(constraint, "fields", ()) if f in self.fields]
                if len(fields) == 1 and str(constraint.violation_error_message) == str(message):
                    return fields[0]
        return None

    def apply_service_error(self, exc):
        """Show a ValidationError raised by a routing.services function on this form."""
        if hasattr(exc, "error_dict"):
            self.add_error(None, exc)
        else:
            self.add_error(None, ValidationError({NON_FIELD_ERRORS: exc.error_list}))


class SkillSelect(forms.Select):
    """A skill select whose options carry their channel (data-channel), so the point of contact form
    offers only the skills of the channel chosen (static/js/console.js); the server checks anyway."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-channel"] = instance.channel
        return option


def offer_valid_skills(field, tenant_skills, valid):
    """The select lists only `valid` skills; any skill of the tenant still validates as a choice, so
    one sent anyway (an old page, a crafted post) is refused by the model's rule (rules.inbound_skill_check)
    in its plain words instead of "Select a valid choice"."""
    field.queryset = tenant_skills
    field.widget = SkillSelect(attrs={"class": "input"})
    shown = forms.ModelChoiceField(queryset=valid, empty_label=field.empty_label)
    shown.label_from_instance = field.label_from_instance
    field.widget.choices = shown.choices


WEEKDAYS = [("0", "Monday"), ("1", "Tuesday"), ("2", "Wednesday"), ("3", "Thursday"), ("4", "Friday"), ("5", "Saturday"),
            ("6", "Sunday")]
# Not places: links kept for old systems, POSIX-style offsets (Etc/GMT+5 is UTC-5) and build leftovers.
NOT_PLACES = ("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/", "right/", "posix/")


def time_zone_choices(current=""):
    """The IANA time zones as a select grouped by region (America, Europe, …), plus UTC; a stored
    name not in the list (a legacy link such as US/Eastern) stays choosable so a save keeps it."""
    names = sorted(n for n in zoneinfo.available_timezones() if "/" in n and not n.startswith(NOT_PLACES))
    groups = {}
    for name in names:
        groups.setdefault(name.split("/", 1)[0], []).append((name, name.replace("_", " ")))
    choices = [("UTC", "UTC")] + [(region, zones) for region, zones in groups.items()]
    if current and current != "UTC" and current not in names:
        choices.insert(0, (current, current))
    return choices


class TimeZoneField(forms.ChoiceField):
    """A select of time zones (rules.tenant_validate_time_zone still checks what is stored)."""

    def __init__(self, *, blank_label=None, **kwargs):
        self.blank_label = blank_label
        kwargs.setdefault("error_messages", {"invalid_choice": "Choose a time zone from the list."})
        super().__init__(choices=(), **kwargs)
        self.offer("")

    def offer(self, current):
        self.choices = ([("", self.blank_label)] if self.blank_label else []) + time_zone_choices(current)


class TeamForm(TenantScopedForm):
    class Meta:
        model = Team
        fields = ["name", "session_limit"]
        widgets = {"session_limit": forms.NumberInput(attrs={"min": 1, "max": 12})}


class CannedResponseForm(TenantScopedForm):
    """The tenant-wide canned responses (agents keep their own from the workspace or the API)."""

    class Meta:
        model = CannedResponse
        fields = ["name", "shortcut", "body"]
        labels = {"body": "Text"}  # the list's column says Text too
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"body": "Agents insert it by typing / and the shortcut in the composer. {contact_name} and {agent_name} "
                              "are filled in."}


class UnavailableReasonForm(TenantScopedForm):
    class Meta:
        model = UnavailableReason
        fields = ["name", "is_active"]
        labels = {"is_active": "Active (agents can choose it)"}


class DispositionForm(TenantScopedForm):
    class Meta:
        model = Disposition
        fields = ["name", "skills", "required", "is_active"]
        widgets = {"skills": forms.SelectMultiple(attrs={"size": 5})}
        labels = {"is_active": "Active", "required": "Required when an agent ends a conversation of these skills"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skills"].queryset = selectors.skills_for(self.user).filter(direction="inbound")
        self.fields["skills"].label_from_instance = lambda skill: f"{skill.name} ({skill.get_channel_display()})"
        self.fields["skills"].help_text = "None chosen: every skill. Ctrl or ⌘ chooses several."


class SkillForm(TenantScopedForm):
    TARGETS = ("service_level_seconds", "first_response_target_seconds")

    class Meta:
        model = Skill
        fields = ["name", "channel", "direction", "service_level_seconds", "first_response_target_seconds"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.TARGETS:  # the reports' targets: left empty, they keep their value (new skill: the default)
            self.fields[name].required = False

    def clean(self):
        data = super().clean()
        for name in self.TARGETS:
            if data.get(name) is None and name not in self.errors:
                value = getattr(self.instance, name)
                data[name] = value if value is not None else Skill._meta.get_field(name).default
                setattr(self.instance, name, data[name])
        return data


class CarrierAccountForm(TenantScopedForm):
    # Write-only: never rendered back; an empty field on edit keeps the stored token.
    auth_token = forms.CharField(label="Auth token", required=False, strip=True,
                                       widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))

    class Meta:
        model = CarrierAccount
        fields = ["name", "provider", "account_sid"]
        help_texts = {"account_sid": "Twilio: the account SID (AC…). Simulator: leave empty and one is generated."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["auth_token"]
        if self.instance.pk:
            field.help_text = "Stored and never shown. Leave empty to keep the current token."
        else:
            field.help_text = "Twilio: the account's auth token. Simulator: leave empty and one is generated."

    def clean(self):
        data = super().clean()
        token = data.get("auth_token")
        if token:
            self.instance.auth_token = token
        return data


class PointOfContactForm(TenantScopedForm):
    class Meta:
        model = PointOfContact
        fields = ["channel", "name", "number", "country", "code_type", "carrier_account", "skill", "slug", "after_hours_reply",
                  "ack_after_seconds", "ack_reply", "is_active"]
        widgets = {"after_hours_reply": forms.Textarea(attrs={"rows": 2}), "ack_reply": forms.Textarea(attrs={"rows": 2})}
        labels = {"slug": "Chat address (slug)", "is_active": "Active", "after_hours_reply": "After-hours reply",
                  "ack_after_seconds": "Acknowledge after (seconds)", "ack_reply": "Acknowledgement"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier_account"].queryset = selectors.carrier_accounts_for(self.user)
        self.fields["skill"].empty_label = "— no default skill —"
        offer_valid_skills(self.fields["skill"], selectors.skills_for(self.user), rules.inbound_skills_of(selectors.skills_for(self.user)))
        self.fields["skill"].help_text = "Conversations no routing rule picks go to this inbound skill of the same channel."
        self.fields["country"].queryset = selectors.countries_for(self.user)
        self.fields["country"].empty_label = "— choose a country —"
        self.fields["carrier_account"].empty_label = "— choose a carrier account —"
        self.fields["code_type"].choices = [("", "— choose a code type —")] + [c for c in self.fields["code_type"].choices if c[0]]
        self.star("country", "code_type", "number", "carrier_account", "slug")
        if not self.user.tenant or not self.user.tenant.sms_messaging_enabled:
            self.fields["channel"].help_text = "SMS Messaging is not enabled on this tenant: only chat points of contact can be created."


class RoutingRuleForm(TenantScopedForm):
    tenant_field = None

    class Meta:
        model = RoutingRule
        fields = ["position", "kind", "pattern", "days", "start_time", "end_time", "time_zone", "skill", "priority"]
        widgets = {"start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "priority": forms.NumberInput(attrs={"min": 1, "max": 10}),
                   "position": forms.NumberInput(attrs={"min": 0})}
        help_texts = {"position": "Rules are tried in this order, lowest first; the first that matches picks the skill."}

    days = forms.MultipleChoiceField(label="Weekdays", choices=WEEKDAYS, required=False,
                                     widget=forms.CheckboxSelectMultiple(attrs={"class": "weekday"}))

    def __init__(self, *args, point_of_contact, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.point_of_contact = point_of_contact
        # The model keeps weekdays as digits ("01234"); the form shows a checkbox per day.
        self.initial["days"] = list(self.initial.get("days") or "")
        tenant_zone = point_of_contact.tenant.time_zone
        self.fields["time_zone"] = TimeZoneField(label="Time zone", required=False, blank_label=f"The tenant's time zone ({tenant_zone})",
                                                 widget=forms.Select(attrs={"class": "input"}))
        self.fields["time_zone"].offer(self.instance.time_zone)
        self.star("pattern", "days", "start_time", "end_time")
        tenant_skills = selectors.skills_for(self.user)
        self.fields["skill"].empty_label = "— choose a skill —"
        offer_valid_skills(self.fields["skill"], tenant_skills, rules.inbound_skills_of(tenant_skills, point_of_contact.channel))


    def clean_days(self):
        days = "".join(sorted(set(self.cleaned_data.get("days") or [])))
        if self.cleaned_data.get("kind") == RuleKind.HOURS and not days:
            raise ValidationError("Choose the weekdays the business hours apply to.")
        return days or self.instance.days


class UserForm(TenantScopedForm):
    """A user of the tenant, with a password (required on create) and skills with proficiencies."""

    error_aliases = {"password": "password1"}

    password1 = forms.CharField(label="Password", required=False, strip=False,
                                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "class": "input"}))
    password2 = forms.CharField(label="Password (again)", required=False, strip=False,
                                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "class": "input"}))

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "team", "session_limit", "case_limit", "is_active"]
        widgets = {"session_limit": forms.NumberInput(attrs={"min": 1, "max": 12}),
                   "case_limit": forms.NumberInput(attrs={"min": 1, "max": 50})}
        help_texts = {"username": "Letters, digits and @/./+/-/_ only.", "is_active": "Inactive users cannot log in."}
        labels = {"is_active": "Active"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].required = True
        self.fields["role"].choices = [("", "— choose a role —")] + list(Role.choices)
        self.fields["team"].queryset = selectors.teams_for(self.user)
        self.fields["team"].empty_label = "— no team —"
        if self.instance.pk:
            self.fields["password1"].help_text = "Leave empty to keep the current password."
        else:
            self.fields["password1"].required = True
            self.fields["password2"].required = True
        held = {}
        if self.instance.pk:
            held = {a.skill_id: a.proficiency for a in selectors.agent_skills_for(self.user).filter(agent=self.instance)}
        self.skill_rows = []
        for skill in selectors.skills_for(self.user):
            has = forms.BooleanField(label=str(skill), required=False, initial=skill.pk in held)
            prof = forms.IntegerField(label=f"Proficiency for {skill.name}", required=False, min_value=PROFICIENCY_MIN,
                                      max_value=PROFICIENCY_MAX, initial=held.get(skill.pk, 1),
                                      widget=forms.NumberInput(attrs={"min": PROFICIENCY_MIN, "max": PROFICIENCY_MAX,
                                                                      "class": "input input-narrow"}))
            self.fields[f"skill_{skill.pk}"] = has
            self.fields[f"proficiency_{skill.pk}"] = prof
            self.skill_rows.append((skill, f"skill_{skill.pk}", f"proficiency_{skill.pk}"))

    def skill_fields(self):
        """[(skill, bound checkbox, bound proficiency)] for the template."""
        return [(skill, self[has], self[prof]) for skill, has, prof in self.skill_rows]

    def clean(self):
        data = super().clean()
        if self.instance.pk and self.instance.pk == self.user.pk:
            # An administrator cannot lock themselves out of the console.
            if data.get("role") and data.get("role") != Role.ADMIN:
                self.add_error("role", "You cannot remove your own administrator role.")
            if "is_active" in data and not data["is_active"]:
                self.add_error("is_active", "You cannot deactivate your own account.")
        p1, p2 = data.get("password1"), data.get("password2")
        if (p1 or p2) and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        chosen = []
        for skill, has, prof in self.skill_rows:
            if data.get(has):
                proficiency = data.get(prof) or 1
                chosen.append((skill, proficiency))
        self.chosen_skills = chosen
        return data

    @property
    def password(self):
        return self.cleaned_data.get("password1") or None


class TenantSettingsForm(TenantScopedForm):
    tenant_field = None

    class Meta:
        model = Tenant
        fields = ["time_zone", "save_transcripts", "transcript_retention_days", "sms_delivery", "help_reply", "opt_out_reply",
                  "opt_in_reply", "auto_reply_window_minutes", "case_limit", "campaign_opt_out_enabled", "campaign_opt_out_line"]
        widgets = {"help_reply": forms.Textarea(attrs={"rows": 2}), "opt_out_reply": forms.Textarea(attrs={"rows": 2}),
                   "opt_in_reply": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"time_zone": "Business-hours rules and reports use it unless a rule names its own.",
                      "case_limit": "Digital Experience mode only: cases an agent may hold at once. Empty: unchanged.",
                      "help_reply": "Sent when a contact texts HELP or INFO.",
                      "opt_out_reply": "Sent once when a contact texts STOP (or STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT).",
                      "opt_in_reply": "Sent when a contact texts START, YES or UNSTOP.",
                      "campaign_opt_out_line": "Ends every campaign text (a campaign can leave it off for itself). "
                                               "Carriers expect proactive texts to say how to stop them.",
                      "auto_reply_window_minutes": "Each kind of automatic reply (acknowledgement, after hours, help, opt-out and opt-in "
                                                   "confirmations) reaches a contact at most once in this many minutes, so a contact's "
                                                   "own auto-responder cannot start a loop with ours."}
        labels = {"auto_reply_window_minutes": "At most one of each kind per contact every (minutes)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auto_reply_window_minutes"].required = False  # left empty: unchanged
        # Used only in Digital Experience mode: not asked for otherwise (left empty: unchanged).
        self.fields["case_limit"].required = False
        self.fields["time_zone"] = TimeZoneField(label="Time zone", widget=forms.Select(attrs={"class": "input"}),
                                                 help_text=self._meta.help_texts["time_zone"])
        self.fields["time_zone"].offer(self.instance.time_zone)

    def clean_case_limit(self):
        value = self.cleaned_data.get("case_limit")
        return self.instance.case_limit if value is None else value

    def clean_auto_reply_window_minutes(self):
        value = self.cleaned_data.get("auto_reply_window_minutes")
        return self.instance.auto_reply_window_minutes if value is None else value


class TokenCreateForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), empty_label="— choose a user —",
                                  help_text="The token acts as this user, with this user's role, in this tenant only.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        with_token = Token.objects.values("user_id")
        self.fields["user"].queryset = selectors.users_for(user).filter(is_active=True).exclude(pk__in=with_token)
        self.fields["user"].widget.attrs["class"] = "input"
        self.fields["user"].label_from_instance = lambda u: f"{u.username} ({u.get_role_display()})"

