"""The Django admin, for the platform operator (superuser).

The admin's ModelForms run full_clean(), so Model.clean() and routing/rules.py refuse the same
things with the same messages as the console and the API. Saves and deletes go through
routing.services. Rooms and messages are read-only here: they change only through the text hub.
"""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse

from . import rules, services
from .models import AgentSkill, CarrierAccount, Country, Message, PointOfContact, Room, RoutingRule, Skill, Team, Tenant, User

admin.site.site_header = "cxsms operator admin"
admin.site.site_title = "cxsms admin"
admin.site.index_title = "Tenants, country table and configuration"


class ServiceAdmin(admin.ModelAdmin):
    """Writes through routing.services (the form has already run the same full_clean)."""

    def save_model(self, request, obj, form, change):
        services.object_save(instance=obj)

    def delete_model(self, request, obj):
        services.object_delete(instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.object_delete(instance=obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Interactions are written by the text hub only; the operator may look."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tenant)
class TenantAdmin(ServiceAdmin):
    list_display = ["name", "slug", "sms_messaging_enabled", "digital_experience_enabled", "sms_delivery", "save_transcripts", "created_at"]
    list_filter = ["sms_messaging_enabled", "digital_experience_enabled", "sms_delivery"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "time_zone", "created_at"]}),
        ("Features and delivery", {"fields": ["sms_messaging_enabled", "digital_experience_enabled", "sms_delivery"],
                                            "description": "Digital delivery needs both features; the delivery mode cannot change "
                                                           "while conversations are open."}),
        ("Conversations and automatic replies", {"fields": ["save_transcripts", "case_limit", "help_reply", "opt_out_reply",
                                                            "opt_in_reply"]}),
    ]


@admin.register(Country)
class CountryAdmin(ServiceAdmin):
    list_display = ["code", "name", "long", "toll_free", "short", "digital"]
    list_editable = ["long", "toll_free", "short", "digital"]
    list_filter = ["long", "toll_free", "short", "digital"]
    search_fields = ["code", "name"]


@admin.register(Team)
class TeamAdmin(ServiceAdmin):
    list_display = ["name", "tenant", "session_limit"]
    list_filter = ["tenant"]
    search_fields = ["name"]
    list_select_related = ["tenant"]


@admin.register(Skill)
class SkillAdmin(ServiceAdmin):
    list_display = ["name", "tenant", "channel", "direction"]
    list_filter = ["tenant", "channel", "direction"]
    search_fields = ["name"]
    list_select_related = ["tenant"]


class CarrierAccountForm(forms.ModelForm):
    # Write-only: never rendered back; an empty field on edit keeps the stored token.
    auth_token = forms.CharField(required=False, strip=True, widget=forms.PasswordInput(render_value=False),
                                 help_text="Stored and never shown. On edit, leave empty to keep the current token.")

    class Meta:
        model = CarrierAccount
        fields = ["tenant", "name", "provider", "account_sid", "auth_token"]

    def clean_auth_token(self):
        token = self.cleaned_data.get("auth_token")
        if not token and self.instance.pk:
            return self.instance.auth_token
        return token


@admin.register(CarrierAccount)
class CarrierAccountAdmin(ServiceAdmin):
    form = CarrierAccountForm
    list_display = ["__str__", "tenant", "provider", "account_sid"]
    list_filter = ["tenant", "provider"]
    search_fields = ["name", "account_sid"]
    list_select_related = ["tenant"]


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    extra = 0
    fields = ["position", "kind", "pattern", "days", "start_time", "end_time", "time_zone", "skill", "priority"]


@admin.register(PointOfContact)
class PointOfContactAdmin(ServiceAdmin):
    list_display = ["__str__", "tenant", "channel", "country", "code_type", "skill", "is_active"]
    list_filter = ["tenant", "channel", "code_type", "country", "is_active"]
    search_fields = ["name", "number", "slug"]
    list_select_related = ["tenant", "country", "skill"]
    inlines = [RoutingRuleInline]

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.object_delete(instance=obj)
        for obj in instances:
            services.object_save(instance=obj)


class AgentSkillInline(admin.TabularInline):
    model = AgentSkill
    fk_name = "agent"
    extra = 0
    fields = ["skill", "proficiency"]


class UserCreateForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["username", "tenant", "role", "team"]


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    list_display = ["username", "tenant", "role", "team", "session_limit", "state", "is_superuser", "is_active"]
    list_filter = ["tenant", "role", "state", "is_superuser", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    list_select_related = ["tenant", "team"]
    readonly_fields = ["state", "state_changed_at", "idle_since", "last_login", "date_joined"]
    inlines = [AgentSkillInline]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Tenant and role", {"fields": ["tenant", "role", "team", "session_limit"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        ("Agent state", {"fields": ["state", "state_changed_at", "idle_since"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "tenant", "role", "team", "usable_password", "password1", "password2"]}),
    ]

    def save_model(self, request, obj, form, change):
        # The forms have hashed any new password already; user_save runs the rules and saves.
        services.user_save(user=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not AgentSkill:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # only fills new/changed/deleted_objects for the admin's change message
        skills = [(f.cleaned_data["skill"], f.cleaned_data.get("proficiency") or 1) for f in formset.forms
                  if f.cleaned_data and f.cleaned_data.get("skill") and not f.cleaned_data.get("DELETE")]
        services.user_set_skills(user=form.instance, skills=skills)

    def delete_view(self, request, object_id, extra_context=None):
        # Refused before the confirmation (a tenant's last administrator): the same message as the
        # console and the API, instead of an error page after "Yes, I'm sure".
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            try:
                rules.user_validate_keeps_admin(obj, deleting=True)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return redirect(reverse("admin:routing_user_change", args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        services.object_delete(instance=obj)

    def delete_queryset(self, request, queryset):
        # One by one, each in its own transaction: a refused one (a tenant's last administrator)
        # is reported and the others are still deleted.
        for obj in queryset:
            try:
                services.object_delete(instance=obj)
            except ValidationError as exc:
                self.message_user(request, f"{obj}: {' '.join(exc.messages)}", messages.ERROR)


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin):
    list_display = ["id", "tenant", "channel", "direction", "state", "contact_number", "poc_number", "skill", "agent",
                    "opened_at", "closed_at"]
    list_filter = ["tenant", "channel", "state", "direction"]
    search_fields = ["contact_number", "poc_number", "contact_name"]
    list_select_related = ["tenant", "skill", "agent"]
    date_hierarchy = "opened_at"


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "room", "tenant", "direction", "status", "short_body", "created_at"]
    list_filter = ["tenant", "direction", "status"]
    search_fields = ["body", "carrier_sid"]
    list_select_related = ["tenant", "room"]

    @admin.display(description="body")
    def short_body(self, obj):
        return obj.body[:60]
