"""REST of the Digital Experience under /api/v1/digital/ (DESIGN.md "Digital Experience" rows)."""
from django.db.models import Q
from django_filters import rest_framework as df
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from routing.api.base import ApiViewMixin, ConfigViewSet, crud_schema, scoped_filterset
from routing.api.permissions import ADMIN, AGENT, AGENT_ONLY, CONFIGURERS, EVERYONE, MANAGERS, OPERATOR, SUPERVISOR
from routing.selectors import message_payload

from .. import selectors, services
from ..choices import CaseState
from ..models import Case, Filter, Queue
from routing.models import Contact
from . import serializers as s

ACTORS = frozenset({OPERATOR, ADMIN, SUPERVISOR, AGENT})  # the services check who may act on which case


@crud_schema("queues")
class QueueViewSet(ConfigViewSet):
    """Digital routing queues: cases wait here for an agent on the queue."""
    queryset = Queue.objects.none()
    serializer_class = s.QueueSerializer
    selector = selectors.queues_for
    ordering_fields = ["id", "priority", "name"]


@crud_schema("filters")
class FilterViewSet(ConfigViewSet):
    """Ordered filters that place a new case in a queue; the first that matches wins."""
    queryset = Filter.objects.none()
    serializer_class = s.FilterSerializer
    selector = selectors.filters_for
    ordering_fields = ["id", "position"]
    action_roles = {"try_it": MANAGERS}

    @extend_schema(summary="Try the filters on a sample first message", request=s.FilterTrySerializer, responses={200: dict})
    @action(detail=False, methods=["post"], url_path="try", filter_backends=[])
    def try_it(self, request):
        data = s.FilterTrySerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        tenant = request.user.tenant
        if tenant is None:
            return Response({"detail": "Try the filters as a user of a company."}, status=status.HTTP_400_BAD_REQUEST)
        poc = v.get("point_of_contact")
        return Response(selectors.filters_try(tenant, body=v["body"], poc_id=poc.pk if poc else None,
                                              contact_number=v.get("contact_number") or "", at=v.get("at")))


@crud_schema("contacts")
class ContactViewSet(ConfigViewSet):
    """Contact cards: name, tags and notes that persist across cases."""
    queryset = Contact.objects.none()
    serializer_class = s.DigitalContactSerializer
    selector = selectors.contacts_for
    write_roles = ACTORS  # agents keep the card of the contact they are talking to
    action_roles = {"destroy": CONFIGURERS}
    ordering_fields = ["id", "number"]


class StatesFilter(df.BaseInFilter, df.ChoiceFilter):
    """`state=open` or several, comma-separated: `state=new,open`."""


class CaseFilterSet(df.FilterSet):
    state = StatesFilter(choices=CaseState.choices, field_name="state", lookup_expr="in")
    queue = df.ModelChoiceFilter(queryset=Queue.objects.all())
    assigned = df.ChoiceFilter(choices=[("me", "Assigned to me"), ("unassigned", "Unassigned"), ("all", "All")], method="filter_assigned")
    q = df.CharFilter(method="filter_search", max_length=100)

    class Meta:
        model = Case
        fields = ["state", "queue", "agent", "contact_number"]

    def filter_assigned(self, qs, name, value):
        if value == "me":
            return qs.filter(agent=self.request.user)
        if value == "unassigned":
            return qs.filter(agent__isnull=True)
        return qs

    def filter_search(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        tagged = Contact.objects.filter(tenant_id__in=qs.values("tenant_id"), tags__icontains=value).values("number")
        digits = "".join(ch for ch in value if ch.isdigit())
        match = Q(first_body__icontains=value) | Q(contact_number__in=tagged) | Q(contact_number__in=Contact.objects.filter(
            name__icontains=value).values("number"))
        if len(digits) >= 3:
            match |= Q(contact_number__contains=digits)
        return qs.filter(match)


class CaseViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Cases of the Digital inbox. Agents act on their own cases; supervisors on any of their tenant's."""
    queryset = Case.objects.none()
    serializer_class = s.CaseSerializer
    lookup_value_regex = "[^/]+"
    filter_backends = [df.DjangoFilterBackend]
    filterset_class = scoped_filterset(CaseFilterSet)
    read_roles = EVERYONE
    write_roles = frozenset()
    action_roles = {"accept": AGENT_ONLY, "reject": AGENT_ONLY, "assign": ACTORS, "state": ACTORS,
                    "messages": {"GET": EVERYONE, "POST": AGENT_ONLY}, "notes": {"GET": EVERYONE, "POST": ACTORS},
                    "history": EVERYONE, "outbound": AGENT_ONLY, "pull": AGENT_ONLY, "counts": EVERYONE,
                    "overview": MANAGERS}

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:
            return self.queryset.none()
        return selectors.cases_for(user).order_by("-last_message_at", "-id")

    def _case(self, case, code=status.HTTP_200_OK):
        return Response(selectors.case_payload(selectors.cases_for(self.request.user).get(pk=case.pk), detail=True), status=code)

    @extend_schema(summary="A case with its thread, contact card and history (marked read for its agent)", responses={200: dict})
    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        if case.agent_id == request.user.pk and case.unread:
            services.case_mark_read(case=case, agent=request.user)
        return self._case(case)

    @extend_schema(summary="Accept a case offered to you", request=None, responses={200: dict})
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request, pk=None):
        return self._case(services.case_accept(case=self.get_object(), agent=request.user))

    @extend_schema(summary="Reject a case offered to you", request=None, responses={200: dict})
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        return self._case(services.case_reject(case=self.get_object(), agent=request.user))

    @extend_schema(summary="Assign or transfer a case to an agent or a queue", request=s.CaseAssignSerializer, responses={200: dict})
    @action(detail=True, methods=["post"], filter_backends=[])
    def assign(self, request, pk=None):
        case = self.get_object()
        data = s.CaseAssignSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return self._case(services.case_assign(case=case, actor=request.user, agent=v.get("agent"), queue=v.get("queue"),
                                               note=v.get("note", "")))

    @extend_schema(summary="Change a case's state", request=s.CaseStateSerializer, responses={200: dict})
    @action(detail=True, methods=["post"], filter_backends=[])
    def state(self, request, pk=None):
        case = self.get_object()
        data = s.CaseStateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._case(services.case_set_state(case=case, actor=request.user, state=data.validated_data["state"]))

    @extend_schema(methods=["GET"], summary="The case's texts", responses={200: s.CaseMessageSerializer(many=True)})
    @extend_schema(methods=["POST"], summary="Text the contact", request=s.CaseBodySerializer, responses={201: s.CaseMessageSerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def messages(self, request, pk=None):
        case = self.get_object()
        if request.method == "POST":
            data = s.CaseBodySerializer(data=request.data)
            data.is_valid(raise_exception=True)
            message = services.case_reply(case=case, author=request.user, body=data.validated_data["body"])
            return Response(message_payload(message), status=status.HTTP_201_CREATED)
        return Response([message_payload(m) for m in selectors.case_messages(case)])

    @extend_schema(methods=["GET"], summary="The case's history and notes", responses={200: s.CaseEntrySerializer(many=True)})
    @extend_schema(methods=["POST"], summary="Add an internal note (never sent)", request=s.CaseBodySerializer,
                   responses={201: s.CaseEntrySerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def notes(self, request, pk=None):
        case = self.get_object()
        if request.method == "POST":
            data = s.CaseBodySerializer(data=request.data)
            data.is_valid(raise_exception=True)
            entry = services.case_note(case=case, author=request.user, body=data.validated_data["body"])
            return Response(selectors.entry_payload(entry), status=status.HTTP_201_CREATED)
        return Response([selectors.entry_payload(e) for e in selectors.case_entries(case)])

    @extend_schema(summary="The last ten cases of this contact or number, newest first, with their texts",
                   responses={200: s.PreviousCaseSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, pk=None):
        case = self.get_object()
        return Response([dict(selectors.case_payload(c), messages=[message_payload(m) for m in selectors.case_messages(c)])
                         for c in selectors.previous_cases(case)])

    @extend_schema(summary="Start a case by texting a number", request=s.CaseOutboundSerializer, responses={201: dict})
    @action(detail=False, methods=["post"], filter_backends=[])
    def outbound(self, request):
        data = s.CaseOutboundSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        case = services.case_outbound(agent=request.user, point_of_contact=v["point_of_contact"], contact_number=v["contact_number"],
                                      body=v["body"])
        return self._case(case, status.HTTP_201_CREATED)

    @extend_schema(summary="Give me more: take the next waiting case of your queues", request=None, responses={200: dict})
    @action(detail=False, methods=["post"], filter_backends=[])
    def pull(self, request):
        case = services.case_pull(agent=request.user)
        if case is None:
            return Response({"detail": "No case is waiting in your queues."}, status=status.HTTP_200_OK)
        return self._case(case)

    @extend_schema(summary="Counts of the tenant's cases by state", responses={200: dict})
    @action(detail=False, methods=["get"], filter_backends=[])
    def counts(self, request):
        qs = selectors.cases_for(request.user)
        return Response({"states": selectors.state_counts(qs), "mine": selectors.state_counts(qs.filter(agent=request.user)),
                         "unread": qs.filter(agent=request.user, unread__gt=0).count()})

    @extend_schema(summary="Supervisor overview: queues, agents' load, cases by state", responses={200: dict})
    @action(detail=False, methods=["get"], filter_backends=[])
    def overview(self, request):
        if request.user.tenant_id is None:
            return Response({"detail": "The overview is per company."}, status=status.HTTP_400_BAD_REQUEST)
        return Response(selectors.supervisor_overview(request.user.tenant_id))
