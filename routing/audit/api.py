"""`/api/v1/audit-log/`: the audit trail, read-only, for tenant administrators (their tenant) and the operator (all)."""
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.routers import DefaultRouter

from routing.api.permissions import CONFIGURERS
from routing.api.base import ApiViewMixin, scoped_filterset

from . import selectors
from .filtersets import AuditEntryFilterSet
from .models import AuditEntry

_ACTION_NAMES = {AuditEntry.Action.CREATE: "create", AuditEntry.Action.UPDATE: "update", AuditEntry.Action.DELETE: "delete"}


class AuditEntrySerializer(serializers.ModelSerializer):
    action = serializers.SerializerMethodField(help_text="`create`, `update`, `delete`, or an action such as `forced_disconnect`, "
                                                         "`token_created`, `token_revoked`.")
    object_type = serializers.SerializerMethodField(help_text="`tenant`, `user`, `team`, `skill`, `agent_skill`, `point_of_contact`, "
                                                              "`routing_rule`, `carrier_account`, `country`.")
    object_id = serializers.CharField(source="object_pk", read_only=True)
    actor_username = serializers.CharField(source="actor_name", read_only=True, allow_blank=True)  # stays when the user is deleted
    changes = serializers.SerializerMethodField(help_text="Field name → [before, after]; secrets show only whether one is set.")

    class Meta:
        model = AuditEntry
        fields = ["id", "timestamp", "tenant", "source", "actor", "actor_username", "remote_addr", "action", "object_type", "object_id",
                  "object_repr", "changes"]
        read_only_fields = fields

    def get_action(self, entry) -> str:
        return entry.event or _ACTION_NAMES.get(entry.action, str(entry.action))

    def get_object_type(self, entry) -> str:
        return selectors.object_type_of(entry)

    def get_changes(self, entry) -> dict[str, list[str | None]]:
        return {name: list(pair) if isinstance(pair, (list, tuple)) else pair for name, pair in (entry.changes or {}).items()}


@extend_schema_view(list=extend_schema(summary="List audit entries (newest first)"), retrieve=extend_schema(summary="Get one audit entry"))
class AuditEntryViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Every configuration change: who, when, from where (console, Django admin, API, command), what changed."""

    queryset = AuditEntry.objects.none()
    serializer_class = AuditEntrySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = scoped_filterset(AuditEntryFilterSet)
    read_roles = CONFIGURERS
    write_roles = CONFIGURERS
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.audit_entries_for(self.request.user)


router = DefaultRouter()
router.include_format_suffixes = False
router.register("audit-log", AuditEntryViewSet, basename="audit-entry")
app_name = "audit-api"
urlpatterns = [*router.urls]
