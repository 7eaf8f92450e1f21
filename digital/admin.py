"""The platform operator's read-only view of Digital Experience data: the tenants' administrators and
agents change it in the console, the inbox and the API, where the rules and the live events are."""
from django.contrib import admin

from .models import Case, CaseEntry, Filter, Queue


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Queue)
class QueueAdmin(ReadOnly):
    list_display = ["name", "tenant", "priority", "is_fallback"]
    list_filter = ["tenant"]


@admin.register(Filter)
class FilterAdmin(ReadOnly):
    list_display = ["__str__", "tenant", "position", "queue", "keywords", "pattern"]
    list_filter = ["tenant"]


class CaseEntryInline(admin.TabularInline):
    model = CaseEntry
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "actor", "at", "from_state", "to_state", "agent", "queue", "body"]


@admin.register(Case)
class CaseAdmin(ReadOnly):
    list_display = ["id", "tenant", "contact_number", "state", "queue", "agent", "opened_at", "closed_at"]
    list_filter = ["tenant", "state"]
    search_fields = ["contact_number", "first_body"]
    inlines = [CaseEntryInline]
