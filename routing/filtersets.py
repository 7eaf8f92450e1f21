"""One FilterSet per model, shared by the REST API and the console's list pages."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import django_filters
from django.db.models import Q
from django.utils import timezone

from .models import (CannedResponse, CarrierAccount, Contact, Country, Disposition, Message, PointOfContact, Room, RoutingRule, Skill, Team,
                     Tenant, UnavailableReason, User)


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


class UnavailableReasonFilterSet(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = UnavailableReason
        fields = ["name", "is_active"]


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


DATE_RANGE = (date(1900, 1, 1), date(9000, 1, 1))


def _digits(value):
    return "".join(ch for ch in value if ch.isascii() and ch.isdigit())


class RoomFilterSet(SearchFilterSet):
    """Rooms, and the conversation search of agents and supervisors (the same filters on the search
    page and on rooms/): by number, words in the transcript, skill, agent, date and disposition."""

    search_fields = ("contact_number", "poc_number", "contact_name")
    number = django_filters.CharFilter(method="by_number", label="Number",
                                       help_text="Part of the contact's or the business number, digits only count (555 01).")
    text = django_filters.CharFilter(method="by_text", label="Words in the conversation", max_length=200)
    disposition = django_filters.ModelChoiceFilter(queryset=Disposition.objects.all(), label="Disposition")
    date_from = django_filters.DateFilter(method="by_date", label="From (date)")
    date_to = django_filters.DateFilter(method="by_date", label="To (date)")

    class Meta:
        model = Room
        fields = ["channel", "state", "skill", "agent", "contact_number", "poc_number", "point_of_contact", "direction", "disposition"]

    def by_number(self, queryset, name, value):
        digits = _digits(value)
        if not digits:
            return queryset
        return queryset.filter(Q(contact_number__contains=digits) | Q(poc_number__contains=digits))

    def by_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # A subquery rather than a join: a room with several matching messages is listed once.
        return queryset.filter(pk__in=Message.objects.filter(body__icontains=value, room__isnull=False).values("room_id"))

    def by_date(self, queryset, name, value):
        """Days in the tenant's time zone (the operator, without a tenant: the server's)."""
        if not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
            # A date beyond any conversation: no bound on that side, or nothing (and no overflow near year 1 or 9999).
            unbounded = (value < DATE_RANGE[0]) == (name == "date_from")
            return queryset if unbounded else queryset.none()
        zone = _tenant_zone(getattr(self.request, "user", None))
        start = datetime.combine(value, time.min).replace(tzinfo=zone)
        if name == "date_from":
            return queryset.filter(opened_at__gte=start)
        return queryset.filter(opened_at__lt=start + timedelta(days=1))


def _tenant_zone(user):
    tenant = getattr(user, "tenant", None) if user is not None and user.is_authenticated else None
    try:
        return ZoneInfo(tenant.time_zone) if tenant is not None else timezone.get_default_timezone()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


class ContactFilterSet(SearchFilterSet):
    """`number` in any usual spelling (normalised as the cards store it); `q` searches names, tags and notes."""
    search_fields = ("name", "tags", "notes", "number")
    number = django_filters.CharFilter(method="by_number", max_length=30)

    class Meta:
        model = Contact
        fields = ["opted_out"]

    def by_number(self, queryset, name, value):
        from django.core.exceptions import ValidationError

        from .rules import contact_normalize_number

        try:
            return queryset.filter(number=contact_normalize_number(value))
        except ValidationError:
            return queryset.none()
