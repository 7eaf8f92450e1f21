"""The administrators' console: server-rendered pages over routing.selectors (reads) and routing.services (writes).

Only tenant administrators get in (supervisors and agents: 403; anonymous: the login page). Every
object comes from a tenant-scoped selector, so another tenant's id is a 404. Views only validate
forms and call services; a ValidationError from a service is shown next to its field.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html
from rest_framework.authtoken.models import Token

from .. import filtersets, selectors, services
from ..hub import rooms
from ..choices import OPEN_ROOM_STATES, Channel, Role, RoomState
from . import forms
from .base import PAGE_SIZE, ConsoleView, ObjectDeleteView, ObjectEditView, ObjectListView, ObjectMixin, badge, muted, plural  # noqa: F401


# --- teams -------------------------------------------------------------------------------------

class TeamMixin(ObjectMixin):
    section = "teams"
    selector = staticmethod(lambda user: selectors.teams_for(user).annotate(member_count=Count("members")))
    form_class = forms.TeamForm
    filterset_class = filtersets.TeamFilterSet
    filter_fields = ()
    url_prefix = "team"
    noun, noun_plural = "team", "teams"
    columns = ("Name", "Chat/SMS session limit", "Members")
    empty_text = "No teams yet — create the first one."
    help_text = "A team's session limit (1–12) caps an agent's concurrent chats + SMS; a user's override wins over it."

    def row_cells(self, obj):
        return [obj.name, obj.session_limit, obj.member_count]


class TeamListView(TeamMixin, ObjectListView):
    pass


class TeamEditView(TeamMixin, ObjectEditView):
    pass


class TeamDeleteView(TeamMixin, ObjectDeleteView):
    pass


# --- canned responses and dispositions (the workspace's) ------------------------------------------

class CannedResponseMixin(ObjectMixin):
    section = "canned"
    selector = staticmethod(lambda user: selectors.canned_responses_for(user).filter(owner__isnull=True))
    form_class = forms.CannedResponseForm
    filterset_class = filtersets.CannedResponseFilterSet
    url_prefix = "canned"
    noun, noun_plural = "canned response", "canned responses"
    columns = ("Name", "Shortcut", "Text")
    empty_text = "No canned responses yet — add the replies agents send most."
    help_text = "Replies every agent can insert by typing / in the composer. Agents also keep their own."

    def row_cells(self, obj):
        return [obj.name, f"/{obj.shortcut}" if obj.shortcut else muted("none"), obj.body[:80] + ("…" if len(obj.body) > 80 else "")]

    def save(self, form):
        return services.canned_response_save(response=form.instance, actor=self.request.user)


class CannedResponseListView(CannedResponseMixin, ObjectListView):
    pass


class CannedResponseEditView(CannedResponseMixin, ObjectEditView):
    pass


class CannedResponseDeleteView(CannedResponseMixin, ObjectDeleteView):
    pass


class DispositionMixin(ObjectMixin):
    section = "dispositions"
    selector = staticmethod(selectors.dispositions_for)
    form_class = forms.DispositionForm
    filterset_class = filtersets.DispositionFilterSet
    url_prefix = "disposition"
    noun, noun_plural = "disposition", "dispositions"
    columns = ("Name", "Skills", "Required", "Active")
    empty_text = "No dispositions yet — agents then end conversations without a wrap-up code."
    help_text = "Wrap-up codes an agent chooses when ending a conversation; a required one must be chosen for its skills."

    def row_cells(self, obj):
        skills = ", ".join(s.name for s in obj.skills.all()) or muted("every skill")
        return [obj.name, skills, "Required" if obj.required else muted("optional"), "Yes" if obj.is_active else muted("no")]

    def save(self, form):
        disposition = services.disposition_save(disposition=form.instance, skills=list(form.cleaned_data.get("skills") or []))
        return disposition


class DispositionListView(DispositionMixin, ObjectListView):
    pass


class DispositionEditView(DispositionMixin, ObjectEditView):
    pass


class DispositionDeleteView(DispositionMixin, ObjectDeleteView):
    pass


class UnavailableReasonMixin(ObjectMixin):
    section = "unavailable_reasons"
    selector = staticmethod(selectors.unavailable_reasons_for)
    form_class = forms.UnavailableReasonForm
    filterset_class = filtersets.UnavailableReasonFilterSet
    url_prefix = "unavailable_reason"
    noun, noun_plural = "unavailable reason", "unavailable reasons"
    columns = ("Name", "Active")
    empty_text = "No unavailable reasons yet — agents then go unavailable without saying why."
    help_text = ("Reasons an agent chooses when going unavailable (break, lunch, …). The supervisor view shows them and the agents "
                 "report sums the time spent in each. “Offer timed out” is given by the system when an offer lapses.")

    def row_cells(self, obj):
        return [obj.name, "Yes" if obj.is_active else muted("no")]


class UnavailableReasonListView(UnavailableReasonMixin, ObjectListView):
    pass


class UnavailableReasonEditView(UnavailableReasonMixin, ObjectEditView):
    pass


class UnavailableReasonDeleteView(UnavailableReasonMixin, ObjectDeleteView):
    pass


# --- skills ------------------------------------------------------------------------------------

class SkillMixin(ObjectMixin):
    section = "skills"
    selector = staticmethod(lambda user: selectors.skills_for(user).annotate(agent_count=Count("agent_skills")))
    form_class = forms.SkillForm
    filterset_class = filtersets.SkillFilterSet
    filter_fields = ("channel", "direction")
    url_prefix = "skill"
    noun, noun_plural = "skill", "skills"
    columns = ("Name", "Channel", "Direction", "Agents")
    empty_text = "No skills yet — create the first one."
    help_text = "Skills route interactions to agents. SMS skills need SMS Messaging enabled on the tenant."

    def row_cells(self, obj):
        return [obj.name, badge(obj.get_channel_display(), obj.channel), obj.get_direction_display(), obj.agent_count]


class SkillListView(SkillMixin, ObjectListView):
    pass


class SkillEditView(SkillMixin, ObjectEditView):
    pass


class SkillDeleteView(SkillMixin, ObjectDeleteView):
    pass


# --- users -------------------------------------------------------------------------------------

class UserMixin(ObjectMixin):
    section = "users"
    selector = staticmethod(lambda user: selectors.users_for(user).prefetch_related("agent_skills__skill"))
    form_class = forms.UserForm
    filterset_class = filtersets.UserFilterSet
    filter_fields = ("role", "team")
    filter_querysets = {"team": selectors.teams_for}
    url_prefix = "user"
    noun, noun_plural = "user", "users"
    columns = ("Username", "Name", "Role", "Team", "Session limit", "Skills (proficiency)")
    empty_text = "No users yet — create the first one."
    help_text = "Administrators use this console, supervisors watch live rooms, agents take chats and texts."

    def row_cells(self, obj):
        limit = f"{obj.session_limit} (override)" if obj.session_limit else muted(f"{obj.effective_session_limit} (team)")
        skills = ", ".join(f"{a.skill.name} ({a.proficiency})" for a in obj.agent_skills.all()) or muted("—")
        role = badge(obj.get_role_display(), obj.role)
        if not obj.is_active:
            role = format_html("{} {}", role, badge("inactive", "off"))
        return [obj.username, obj.get_full_name() or muted("—"), role, obj.team.name if obj.team else muted("—"), limit, skills]

    def save(self, form):
        return services.user_save(user=form.instance, password=form.password, skills=form.chosen_skills)


class UserListView(UserMixin, ObjectListView):
    pass


class UserEditView(UserMixin, ObjectEditView):
    template_name = "console/user_form.html"


class UserDeleteView(UserMixin, ObjectDeleteView):
    def refusal(self, obj):
        if obj.pk == self.request.user.pk:
            return "You cannot delete your own account while you are logged in with it."
        return None


# --- carrier accounts --------------------------------------------------------------------------

class CarrierAccountMixin(ObjectMixin):
    section = "carriers"
    selector = staticmethod(lambda user: selectors.carrier_accounts_for(user).annotate(poc_count=Count("points_of_contact")))
    form_class = forms.CarrierAccountForm
    filterset_class = filtersets.CarrierAccountFilterSet
    filter_fields = ("provider",)
    url_prefix = "carrier"
    noun, noun_plural = "carrier account", "carrier accounts"
    columns = ("Name", "Provider", "Account SID", "Auth token", "Points of contact")
    empty_text = "No carrier accounts yet — create the first one (the simulator needs no credentials)."
    help_text = "SMS points of contact send and receive through a carrier account. Auth tokens are stored and never shown."

    def row_cells(self, obj):
        return [obj.name or muted("—"), badge(obj.get_provider_display(), obj.provider), format_html("<code>{}</code>", obj.account_sid),
                muted("set" if obj.auth_token else "not set"), obj.poc_count]


class CarrierAccountListView(CarrierAccountMixin, ObjectListView):
    pass


class CarrierAccountEditView(CarrierAccountMixin, ObjectEditView):
    pass


class CarrierAccountDeleteView(CarrierAccountMixin, ObjectDeleteView):
    pass


# --- points of contact ---------------------------------------------------------------------------

class PointOfContactMixin(ObjectMixin):
    section = "pocs"
    selector = staticmethod(lambda user: selectors.points_of_contact_for(user).annotate(rule_count=Count("rules")))
    form_class = forms.PointOfContactForm
    filterset_class = filtersets.PointOfContactFilterSet
    filter_fields = ("channel", "code_type", "country")
    url_prefix = "poc"
    noun, noun_plural = "point of contact", "points of contact"
    columns = ("Number / address", "Name", "Channel", "Country", "Code type", "Default skill", "Routing")
    empty_text = "No points of contact yet — create the first one."
    help_text = ("US and Canada allow long codes, toll-free long codes and short codes; other countries long codes only. "
                 "In Digital Experience mode only US long codes are allowed.")

    def row_cells(self, obj):
        address = (format_html("<code>{}</code>", obj.number) if obj.channel == Channel.SMS
                   else format_html("<code>/chat/{}/</code>", obj.slug))
        if not obj.is_active:
            address = format_html("{} {}", address, badge("inactive", "off"))
        rules = format_html('<a href="{}">{} rule{}</a>', reverse("console:rule_list", args=[obj.pk]), obj.rule_count,
                            "" if obj.rule_count == 1 else "s")
        return [address, obj.name or muted("—"), badge(obj.get_channel_display(), obj.channel),
                obj.country.name if obj.country else muted("—"), obj.get_code_type_display() or muted("—"),
                obj.skill.name if obj.skill else muted("—"), rules]


class PointOfContactListView(PointOfContactMixin, ObjectListView):
    pass


class PointOfContactEditView(PointOfContactMixin, ObjectEditView):
    template_name = "console/poc_form.html"

    def extra_form_context(self, form, instance):
        rules = selectors.routing_rules_for(self.request.user).filter(point_of_contact=instance) if instance.pk else []
        return {"rules": rules, "rules_url": reverse("console:rule_list", args=[instance.pk]) if instance.pk else None}


class PointOfContactDeleteView(PointOfContactMixin, ObjectDeleteView):
    pass


# --- routing rules of one point of contact -------------------------------------------------------

class RoutingRuleMixin(ObjectMixin):
    section = "pocs"
    form_class = forms.RoutingRuleForm
    filterset_class = filtersets.RoutingRuleFilterSet
    url_prefix = "rule"
    noun, noun_plural = "routing rule", "routing rules"

    def dispatch_poc(self):
        if not hasattr(self, "_poc"):
            self._poc = get_object_or_404(selectors.points_of_contact_for(self.request.user), pk=self.kwargs["poc_pk"])
        return self._poc

    def get_queryset(self):
        return selectors.routing_rules_for(self.request.user).filter(point_of_contact=self.dispatch_poc())

    def url_args(self):
        return [self.dispatch_poc().pk]

    def form_kwargs(self):
        return {"user": self.request.user, "point_of_contact": self.dispatch_poc()}

    def page_context(self):
        poc = self.dispatch_poc()
        return {**super().page_context(), "poc": poc, "poc_url": reverse("console:poc_edit", args=[poc.pk])}

    def success_url(self, obj):
        return self.list_url()

    def label(self, obj):
        return f"{obj.position}. {obj.get_kind_display()}"


class RoutingRuleListView(RoutingRuleMixin, ObjectListView):
    template_name = "console/rule_list.html"

    def get(self, request, *args, **kwargs):
        poc = self.dispatch_poc()
        rules = list(self.get_queryset())
        return self.render(self.template_name, {**self.page_context(), "rules": rules, "poc": poc})


class RoutingRuleEditView(RoutingRuleMixin, ObjectEditView):
    def get_instance(self):
        if "pk" in self.kwargs:
            return self.get_object()
        last = self.get_queryset().order_by("-position").values_list("position", flat=True).first()
        return self.form_class._meta.model(position=(last or 0) + 1)


class RoutingRuleDeleteView(RoutingRuleMixin, ObjectDeleteView):
    pass


class RoutingRuleMoveView(RoutingRuleMixin, ConsoleView):
    """POST: swap a rule with its neighbour above or below (the script is tried in order)."""

    def post(self, request, poc_pk, pk, direction):
        if direction not in ("up", "down"):
            raise Http404
        rules = list(self.get_queryset())
        index = next((i for i, r in enumerate(rules) if r.pk == pk), None)
        if index is None:
            raise Http404
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(rules):
            rules[index], rules[other] = rules[other], rules[index]
            with transaction.atomic():
                for position, rule in enumerate(rules, start=1):
                    if rule.position != position:
                        rule.position = position
                        services.object_save(instance=rule)
        return redirect(self.list_url())


# --- tenant settings ---------------------------------------------------------------------------

class SettingsView(ConsoleView):
    section = "settings"

    def get_tenant(self):
        return selectors.tenants_for(self.request.user).get()

    def get(self, request):
        tenant = self.get_tenant()
        return self.show(forms.TenantSettingsForm(instance=tenant, user=request.user), tenant)

    def post(self, request):
        tenant = self.get_tenant()
        form = forms.TenantSettingsForm(request.POST, instance=tenant, user=request.user)
        if form.is_valid():
            try:
                services.object_save(instance=form.instance)
            except ValidationError as exc:
                form.apply_service_error(exc)
            else:
                messages.success(request, "Tenant settings saved.")
                return redirect("console:settings")
        return self.show(form, self.get_tenant())

    def show(self, form, tenant):
        from ..ops.retention import last_retention_run

        open_rooms = selectors.rooms_for(self.request.user).filter(state__in=OPEN_ROOM_STATES).count()
        return self.render("console/settings.html", {"form": form, "tenant": tenant, "open_rooms": open_rooms,
                                                     "retention_run": last_retention_run(tenant)})


# --- API tokens ----------------------------------------------------------------------------------

# The routing.services module has no token functions yet; these two are the only token writes
# and move there unchanged once it has them (see docs/console.md).
def tokens_for(user):
    return Token.objects.filter(user__in=selectors.users_for(user)).select_related("user").order_by("user__username")


class TokenListView(ConsoleView):
    section = "tokens"

    def get(self, request):
        return self.show(forms.TokenCreateForm(user=request.user))

    def post(self, request):
        form = forms.TokenCreateForm(request.POST, user=request.user)
        if form.is_valid():
            token = services.token_create(user=form.cleaned_data["user"])
            # The key is shown in this response only: it is never rendered again.
            return self.show(forms.TokenCreateForm(user=request.user), new_token=token)
        return self.show(form)

    def show(self, form, new_token=None):
        return self.render("console/tokens.html", {"form": form, "tokens": tokens_for(self.request.user), "new_token": new_token})


class TokenRevokeView(ConsoleView):
    section = "tokens"

    def get_token(self):
        return get_object_or_404(tokens_for(self.request.user), user_id=self.kwargs["user_pk"])

    def get(self, request, user_pk):
        return self.render("console/token_confirm_revoke.html", {"token": self.get_token()})

    def post(self, request, user_pk):
        token = self.get_token()
        username = token.user.username
        services.token_revoke(token=token)
        messages.success(request, f"The API token of {username} was revoked: clients using it are refused from now on.")
        return redirect("console:tokens")


# --- dashboard -----------------------------------------------------------------------------------

class DashboardView(ConsoleView):
    section = "dashboard"

    def get(self, request):
        user = request.user
        users = selectors.users_for(user)
        by_role = dict(users.values_list("role").annotate(n=Count("id")).values_list("role", "n"))
        rooms = selectors.rooms_for(user).aggregate(
            queued=Count("id", filter=Q(state=RoomState.QUEUED)), offered=Count("id", filter=Q(state=RoomState.OFFERED)),
            active=Count("id", filter=Q(state=RoomState.ACTIVE)))
        pocs = selectors.points_of_contact_for(user)
        cards = [
            {"label": "Users", "count": users.count(), "url": reverse("console:user_list"), "add": reverse("console:user_add"),
             "detail": " · ".join(plural(by_role.get(role, 0), noun) for role, noun in
                                  ((Role.ADMIN, "administrator"), (Role.SUPERVISOR, "supervisor"), (Role.AGENT, "agent")))},
            {"label": "Teams", "count": selectors.teams_for(user).count(), "url": reverse("console:team_list"),
             "add": reverse("console:team_add"), "detail": "Session limits per team"},
            {"label": "Skills", "count": selectors.skills_for(user).count(), "url": reverse("console:skill_list"),
             "add": reverse("console:skill_add"), "detail": "{} SMS · {} chat".format(
                 selectors.skills_for(user).filter(channel=Channel.SMS).count(),
                 selectors.skills_for(user).filter(channel=Channel.CHAT).count())},
            {"label": "Points of contact", "count": pocs.count(), "url": reverse("console:poc_list"), "add": reverse("console:poc_add"),
             "detail": f"{plural(pocs.filter(channel=Channel.SMS).count(), 'SMS number')} · "
                       f"{plural(pocs.filter(channel=Channel.CHAT).count(), 'chat address', 'chat addresses')}"},
            {"label": "Carrier accounts", "count": selectors.carrier_accounts_for(user).count(), "url": reverse("console:carrier_list"),
             "add": reverse("console:carrier_add"), "detail": "Simulator or Twilio"},
            {"label": "API tokens", "count": tokens_for(user).count(), "url": reverse("console:tokens"), "add": None,
             "detail": "For integrations (REST and websockets)"},
        ]
        setup = [
            ("Enable SMS Messaging (ask your platform operator)", user.tenant.sms_messaging_enabled),
            ("Create a team with a session limit", cards[1]["count"] > 0),
            ("Create skills", cards[2]["count"] > 0),
            ("Add a carrier account", cards[4]["count"] > 0),
            ("Add a point of contact", cards[3]["count"] > 0),
            ("Give agents skills", selectors.agent_skills_for(user).exists()),
        ]
        return self.render("console/dashboard.html", {"cards": cards, "rooms": rooms, "setup": setup,
                                                      "texts_while_off": selectors.texts_while_sms_off(user.tenant_id),
                                                      "setup_done": all(done for _, done in setup)})


# --- forced disconnect (R10) ------------------------------------------------------------------

class ForcedDisconnectView(ConsoleView):
    """Ends every open SMS interaction of the tenant after a confirmation that says how many."""

    section = "forced_disconnect"

    def get(self, request):
        return self.render("console/forced_disconnect.html", {"active": rooms.forced_disconnect_count(request.user.tenant)})

    def post(self, request):
        expected = request.POST.get("expected", "")
        active = rooms.forced_disconnect_count(request.user.tenant)
        if expected != str(active):
            # The count changed since the page was shown: confirm the new number first.
            messages.warning(request, f"The number of open SMS interactions changed to {active}: confirm again.")
            return redirect("console:forced_disconnect")
        ended = rooms.forced_disconnect(tenant=request.user.tenant, actor=request.user)
        messages.success(request, f"Forced disconnect: {plural(ended, 'SMS interaction')} ended; every transcript was kept.")
        return redirect("console:forced_disconnect")
