"""One FilterSet per model, shared by the REST API and the console's list pages."""
import django_filters
from django.db.models import Q

from .models import CannedResponse, CarrierAccount, Country, Disposition, PointOfContact, Room, RoutingRule, Skill, Team, Tenant, User


class SearchFilterSet(django_filters.FilterSet):
    """`q` searches the fields named in `search_fields` (case-insensitive contains)."""

    search_fields = ()
    q = django_filters.CharFilter(method="search", label="Search")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        cond = Q()
        for field in self.search_fields:
            cond |= Q(**{f"{field}__icontains": value})
        return queryset.filter(cond)


class TenantFilterSet(SearchFilterSet):
    search_fields = ("name", "slug")

    class Meta:
        model = Tenant
        fields = ["name", "slug", "sms_messaging_enabled", "digital_experience_enabled", "sms_delivery"]


class UserFilterSet(SearchFilterSet):
    search_fields = ("username", "first_name", "last_name", "email")

    class Meta:
        model = User
        fields = ["username", "role", "team", "state"]


class TeamFilterSet(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Team
        fields = ["name", "session_limit"]


class CannedResponseFilterSet(SearchFilterSet):
    search_fields = ("name", "shortcut", "body")

    class Meta:
        model = CannedResponse
        fields = ["name", "shortcut"]


class DispositionFilterSet(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Disposition
        fields = ["name", "required", "is_active"]


class SkillFilterSet(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Skill
        fields = ["name", "channel", "direction"]


class CarrierAccountFilterSet(SearchFilterSet):
    search_fields = ("name", "account_sid")

    class Meta:
        model = CarrierAccount
        fields = ["provider", "account_sid"]


class PointOfContactFilterSet(SearchFilterSet):
    search_fields = ("name", "number", "slug")

    class Meta:
        model = PointOfContact
        fields = ["channel", "number", "country", "code_type", "skill", "carrier_account", "slug"]


class RoutingRuleFilterSet(django_filters.FilterSet):
    class Meta:
        model = RoutingRule
        fields = ["point_of_contact", "kind", "skill"]


class CountryFilterSet(SearchFilterSet):
    search_fields = ("name", "code")

    class Meta:
        model = Country
        fields = ["code", "long", "toll_free", "short", "digital"]


class RoomFilterSet(SearchFilterSet):
    search_fields = ("contact_number", "poc_number", "contact_name")

    class Meta:
        model = Room
        fields = ["channel", "state", "skill", "agent", "contact_number", "poc_number", "point_of_contact", "direction"]
