import django_filters
from django.db.models import Q

from .models import Filter, Queue


class QueueFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")

    class Meta:
        model = Queue
        fields = ["is_fallback"]

    def search(self, qs, name, value):
        return qs.filter(name__icontains=value.strip()) if value.strip() else qs


class FilterFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")

    class Meta:
        model = Filter
        fields = ["queue"]

    def search(self, qs, name, value):
        v = value.strip()
        return qs.filter(Q(name__icontains=v) | Q(keywords__icontains=v) | Q(pattern__icontains=v) | Q(tags__icontains=v)) if v else qs
