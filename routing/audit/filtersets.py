"""One FilterSet for the audit trail, shared by the REST API and the console page."""
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import django_filters
from drf_spectacular.utils import extend_schema_field

from routing.models import User

from .choices import Event, Source
from .models import AuditEntry
from .selectors import OBJECT_TYPES, content_type_for

ACTIONS = [("create", "Created"), ("update", "Changed"), ("delete", "Deleted"), *Event.choices]
_ACTION_CODES = {"create": AuditEntry.Action.CREATE, "update": AuditEntry.Action.UPDATE, "delete": AuditEntry.Action.DELETE}


# The entry's own `action` column is a number; the filter takes the words (the schema would otherwise say integer).
@extend_schema_field({"type": "string", "enum": [value for value, _ in ACTIONS]})
class ActionFilter(django_filters.ChoiceFilter):
    pass


class AuditEntryFilterSet(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(choices=[(k, label) for k, (label, _) in OBJECT_TYPES.items()], method="by_object_type",
                                              label="Object type")
    actor = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label="Changed by")
    source = django_filters.ChoiceFilter(choices=Source.choices, label="Source")
    action = ActionFilter(choices=ACTIONS, method="by_action", label="Action")
    start = django_filters.DateFilter(method="from_date", label="From")
    end = django_filters.DateFilter(method="to_date", label="To")

    class Meta:
        model = AuditEntry
        fields = ["object_type", "actor", "source", "action", "start", "end"]

    def by_object_type(self, queryset, name, value):
        return queryset.filter(content_type=content_type_for(value))

    def _midnight(self, day):
        """Dates are days in the tenant's time zone (the operator's: UTC)."""
        user = getattr(self.request, "user", None)
        tenant = getattr(user, "tenant", None)
        zone = ZoneInfo(tenant.time_zone) if tenant is not None else UTC
        return datetime.combine(day, time.min, tzinfo=zone)

    def from_date(self, queryset, name, value):
        return queryset.filter(timestamp__gte=self._midnight(value))

    def to_date(self, queryset, name, value):
        return queryset.filter(timestamp__lt=self._midnight(value + timedelta(days=1)))

    def by_action(self, queryset, name, value):
        if value in _ACTION_CODES:  # an edit of an object, not an action such as a forced disconnect
            return queryset.filter(action=_ACTION_CODES[value], event="")
        return queryset.filter(event=value)
