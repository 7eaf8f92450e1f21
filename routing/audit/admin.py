"""The operator reads every tenant's trail in the Django admin: auditlog's read-only list, plus tenant and source."""
from auditlog.admin import LogEntryAdmin
from django.contrib import admin

from .models import AuditEntry

admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(LogEntryAdmin):
    list_display = ["created", "tenant", "source", "resource_url", "action", "msg_short", "user_url"]
    list_filter = ["source", "tenant", *LogEntryAdmin.list_filter]
    list_select_related = ["content_type", "actor", "tenant"]
