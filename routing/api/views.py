"""REST API v1 views: declarative viewsets over tenant-scoped selectors; writes go to routing.services
(configuration, via the serializers) and routing.texthub (interactions)."""
import re

from django.core.exceptions import FieldDoesNotExist, ValidationError as DjangoValidationError
from django.db.models import IntegerField
from django_filters import BooleanFilter, CharFilter, ModelChoiceFilter, ModelMultipleChoiceFilter, NumberFilter
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import pagination, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import filtersets, selectors, services
from ..models import CarrierAccount, Country, PointOfContact, Room, RoutingRule, Skill, Team, Tenant, User
from . import serializers as s
from .parsers import JSONParser
from .permissions import (ADMIN, ADMIN_ONLY, AGENT, AGENT_ONLY, CONFIGURERS, EVERYONE, MANAGERS, OPERATOR, OPERATOR_ONLY,
                          RolePermission)
from .schema import ApiAutoSchema


class PageNumberPagination(pagination.PageNumberPagination):
    """The global page-number pagination, strict about `page`: empty or given twice is an invalid page (404)."""

    def get_page_number(self, request, paginator):
        values = request.query_params.getlist(self.page_query_param)
        if len(values) > 1 or values == [""]:
            raise NotFound(self.invalid_page_message)
        return super().get_page_number(request, paginator)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is still in use."
    default_code = "conflict"


# A filter that references a tenant's objects only accepts the caller's own (another tenant's id is "not a valid choice").
FILTER_SELECTORS = {
    Team: selectors.teams_for,
    Skill: selectors.skills_for,
    User: selectors.users_for,
    CarrierAccount: selectors.carrier_accounts_for,
    PointOfContact: selectors.points_of_contact_for,
    Tenant: selectors.tenants_for,
}


def scoped_filterset(base):
    """`base` for the API: model-choice filters limited to what the requesting user may see, and query
    values checked strictly (a filter given twice, an empty choice, `null` for a boolean are refused
    with 400 instead of being ignored, so a client's typo never silently widens a list)."""

    class Scoped(base):
        def __init__(self, *args, request=None, **kwargs):
            super().__init__(*args, request=request, **kwargs)
            user = getattr(request, "user", None)
            for f in self.filters.values():
                if isinstance(f, (ModelChoiceFilter, ModelMultipleChoiceFilter)):
                    selector = FILTER_SELECTORS.get(f.queryset.model if f.queryset is not None else None)
                    if selector is not None:
                        f.queryset = selector(user) if user is not None and user.is_authenticated else f.queryset.none()

        def is_valid(self):
            valid = super().is_valid()
            for name, f in self.filters.items():
                values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
                values = [v for v in values if v is not None]
                if not values or isinstance(f, ModelMultipleChoiceFilter):
                    continue
                if len(values) > 1:
                    self.form.add_error(name, "Give this filter once.")
                elif values[0] == "" and not isinstance(f, CharFilter):
                    self.form.add_error(name, "Give a value or leave the filter out.")
                elif isinstance(f, BooleanFilter) and values[0] not in ("true", "false", "True", "False", "1", "0"):
                    self.form.add_error(name, "Use true or false.")
                elif isinstance(f, NumberFilter) and self._is_integer(f) and not re.fullmatch(r"-?\d+", values[0]):
                    self.form.add_error(name, "Enter a whole number.")
                else:
                    continue
                valid = False
            return valid

        def _is_integer(self, f):
            try:
                return isinstance(self._meta.model._meta.get_field(f.field_name), IntegerField)
            except FieldDoesNotExist:
                return False

    Scoped.__name__ = Scoped.__qualname__ = base.__name__
    Scoped.__module__ = base.__module__
    return Scoped


class ApiViewMixin:
    """Shared by every view: token/session auth (settings), role permissions, JSON bodies, strict pagination,
    the error-aware schema, and django ValidationError from a service answered as 400 with field errors."""

    permission_classes = [IsAuthenticated, RolePermission]
    parser_classes = [JSONParser]  # integrations send JSON; forms would turn an empty field into "use the default"
    pagination_class = PageNumberPagination
    schema = ApiAutoSchema()

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = s.as_drf_validation_error(exc)
        return super().handle_exception(exc)


class ConfigViewSet(ApiViewMixin, viewsets.ModelViewSet):
    """CRUD of one kind of configuration object of the caller's tenant(s)."""

    lookup_value_regex = "[^/]+"  # any id reaches the view and gets a JSON 404, not Django's HTML one

    selector = None  # routing.selectors.<things>_for
    read_roles = EVERYONE
    write_roles = CONFIGURERS
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["id"]

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:
            return self.queryset.none()
        return type(self).selector(user)

    def perform_destroy(self, instance):
        try:
            services.object_delete(instance=instance)
        except DjangoValidationError as exc:
            raise Conflict(" ".join(exc.messages))


def crud_schema(name):
    """Summaries for the six operations of a configuration viewset."""
    return extend_schema_view(
        list=extend_schema(summary=f"List {name}"),
        create=extend_schema(summary=f"Create a {name[:-1] if name.endswith('s') else name}"),
        retrieve=extend_schema(summary=f"Get one of the {name}"),
        update=extend_schema(summary=f"Replace one of the {name}"),
        partial_update=extend_schema(summary=f"Change fields of one of the {name}"),
        destroy=extend_schema(summary=f"Delete one of the {name}",
                              description="Refused with 409 while other objects still use it."),
    )


@crud_schema("tenants")
class TenantViewSet(ConfigViewSet):
    """Tenants. The operator creates and changes them; every tenant user reads their own tenant."""

    queryset = Tenant.objects.none()
    selector = selectors.tenants_for
    serializer_class = s.TenantSerializer
    filterset_class = scoped_filterset(filtersets.TenantFilterSet)
    ordering_fields = ["id", "name", "slug", "created_at"]
    write_roles = OPERATOR_ONLY


@crud_schema("users")
class UserViewSet(ConfigViewSet):
    """Administrators, supervisors and agents of a tenant. An agent sees only themself."""

    queryset = User.objects.none()
    selector = selectors.users_for
    serializer_class = s.UserSerializer
    filterset_class = scoped_filterset(filtersets.UserFilterSet)
    ordering_fields = ["id", "username", "role", "team", "state"]

    def get_queryset(self):
        qs = super().get_queryset().prefetch_related("agent_skills")
        user = self.request.user
        if user.is_authenticated and not user.is_superuser and user.role == AGENT:
            qs = qs.filter(pk=user.pk)
        return qs


@crud_schema("teams")
class TeamViewSet(ConfigViewSet):
    queryset = Team.objects.none()
    selector = selectors.teams_for
    serializer_class = s.TeamSerializer
    filterset_class = scoped_filterset(filtersets.TeamFilterSet)
    ordering_fields = ["id", "name", "session_limit"]


@crud_schema("skills")
class SkillViewSet(ConfigViewSet):
    queryset = Skill.objects.none()
    selector = selectors.skills_for
    serializer_class = s.SkillSerializer
    filterset_class = scoped_filterset(filtersets.SkillFilterSet)
    ordering_fields = ["id", "name", "channel", "direction"]


@crud_schema("carrier accounts")
class CarrierAccountViewSet(ConfigViewSet):
    """Carrier accounts; `auth_token` is write-only."""

    queryset = CarrierAccount.objects.none()
    selector = selectors.carrier_accounts_for
    serializer_class = s.CarrierAccountSerializer
    filterset_class = scoped_filterset(filtersets.CarrierAccountFilterSet)
    ordering_fields = ["id", "name", "provider", "account_sid"]
    read_roles = MANAGERS


@crud_schema("points of contact")
class PointOfContactViewSet(ConfigViewSet):
    queryset = PointOfContact.objects.none()
    selector = selectors.points_of_contact_for
    serializer_class = s.PointOfContactSerializer
    filterset_class = scoped_filterset(filtersets.PointOfContactFilterSet)
    ordering_fields = ["id", "name", "channel", "number", "slug", "country", "code_type"]


@crud_schema("routing rules")
class RoutingRuleViewSet(ConfigViewSet):
    """The ordered rules of a point of contact's routing script (R12)."""

    queryset = RoutingRule.objects.none()
    selector = selectors.routing_rules_for
    serializer_class = s.RoutingRuleSerializer
    filterset_class = scoped_filterset(filtersets.RoutingRuleFilterSet)
    ordering_fields = ["id", "point_of_contact", "position", "priority"]
    read_roles = MANAGERS


@crud_schema("countries")
class CountryViewSet(ConfigViewSet):
    """The country table (R5): which code types a country allows. The operator edits it; everyone reads it."""

    queryset = Country.objects.none()
    selector = selectors.countries_for
    serializer_class = s.CountrySerializer
    filterset_class = scoped_filterset(filtersets.CountryFilterSet)
    ordering_fields = ["id", "code", "name"]
    write_roles = OPERATOR_ONLY


# --- interactions ---------------------------------------------------------------------------

def _texthub():
    # Imported late: the text hub imports the engine, carriers and events, none of which the schema needs.
    from .. import texthub

    return texthub


ROOM_ACTION = dict(request=None, responses={200: s.RoomSerializer})


@extend_schema_view(
    list=extend_schema(summary="List rooms",
                       description="Administrators and supervisors see the tenant's rooms; an agent the rooms offered or assigned to them."),
    retrieve=extend_schema(summary="Get a room"),
)
class RoomViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """SMS and chat interactions (R6)."""

    queryset = Room.objects.none()
    serializer_class = s.RoomSerializer
    lookup_value_regex = "[^/]+"
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = scoped_filterset(filtersets.RoomFilterSet)
    ordering_fields = ["id", "opened_at", "closed_at", "state", "priority", "expires_at"]
    read_roles = EVERYONE
    write_roles = frozenset()
    action_roles = {
        "accept": AGENT_ONLY,
        "reject": AGENT_ONLY,
        "end": frozenset({OPERATOR, ADMIN, AGENT}),
        "messages": {"GET": EVERYONE, "POST": AGENT_ONLY},
        "history": EVERYONE,
        "decisions": MANAGERS,
        "outbound": AGENT_ONLY,
    }

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:
            return self.queryset.none()
        return selectors.rooms_for(user)

    def _room_response(self, room, code=status.HTTP_200_OK):
        return Response(s.RoomSerializer(room).data, status=code)

    @extend_schema(summary="Accept an offered room", description="The agent takes the offer; the inactivity timer starts (R7).", **ROOM_ACTION)
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request, pk=None):
        return self._room_response(_texthub().room_accept(room=self.get_object(), agent=request.user))

    @extend_schema(summary="Reject an offered room", description="The room goes to the next agent (R13).", **ROOM_ACTION)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        return self._room_response(_texthub().room_reject(room=self.get_object(), agent=request.user))

    @extend_schema(summary="End a room", description="Closes the session; the transcript is kept.", **ROOM_ACTION)
    @action(detail=True, methods=["post"], filter_backends=[])
    def end(self, request, pk=None):
        return self._room_response(_texthub().room_end(room=self.get_object(), actor=request.user))

    @extend_schema(methods=["GET"], summary="The room's messages", description="In order, oldest first.",
                   responses={200: s.MessageSerializer(many=True)})
    @extend_schema(methods=["POST"], summary="Send a message", description="Stored, then sent to the contact through the carrier.",
                   request=s.MessageSendSerializer, responses={201: s.MessageSerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def messages(self, request, pk=None):
        room = self.get_object()
        if request.method == "POST":
            data = s.MessageSendSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            message = _texthub().message_send(room=room, author=request.user, body=data.validated_data["body"])
            return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.messages_for_room(room))
        return self.get_paginated_response(s.MessageSerializer(page, many=True).data)

    @extend_schema(summary="Past sessions of this contact or number (R9)",
                   description="The last ten closed sessions sharing the room's contact number (ANI) or point-of-contact number "
                               "(DNIS), newest first, each with its messages.",
                   responses={200: s.RoomTranscriptSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, pk=None):
        return Response(s.RoomTranscriptSerializer(selectors.room_history(self.get_object()), many=True).data)

    @extend_schema(summary="Routing decisions of the room",
                   description="Why the room went where it went: the chosen agent and why each other agent was skipped. "
                               "Administrators and supervisors.",
                   responses={200: s.RoutingDecisionSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def decisions(self, request, pk=None):
        return Response(s.RoutingDecisionSerializer(selectors.decisions_for_room(self.get_object()), many=True).data)

    @extend_schema(summary="Start an outbound text (R11)",
                   description="Opens a room assigned to the calling agent (needs an outbound SMS skill), sends the first "
                               "message and starts the inactivity timer.",
                   request=s.OutboundSerializer, responses={201: s.RoomSerializer})
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def outbound(self, request):
        data = s.OutboundSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        room = _texthub().room_open_outbound(agent=request.user, point_of_contact=data.validated_data["point_of_contact"],
                                             contact_number=data.validated_data["contact_number"], body=data.validated_data["body"])
        return self._room_response(room, status.HTTP_201_CREATED)


class MeView(ApiViewMixin, APIView):
    method_roles = {"GET": EVERYONE}

    @extend_schema(summary="The calling user", description="Role (`operator` for the platform operator), tenant and effective "
                   "session limit.", responses={200: s.MeSerializer})
    def get(self, request):
        user = User.objects.select_related("tenant", "team").get(pk=request.user.pk)
        return Response(s.MeSerializer(user).data)


class MeStateView(ApiViewMixin, APIView):
    method_roles = {"GET": AGENT_ONLY, "PUT": AGENT_ONLY}

    @extend_schema(summary="The calling agent's availability", responses={200: s.AgentStateSerializer})
    def get(self, request):
        return Response({"state": User.objects.filter(pk=request.user.pk).values_list("state", flat=True).get()})

    @extend_schema(summary="Set the calling agent's availability",
                   description="Available agents receive offers; unavailable agents keep their rooms but get no new ones.",
                   request=s.AgentStateInputSerializer, responses={200: s.AgentStateSerializer})
    def put(self, request):
        data = s.AgentStateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent = services.agent_set_state(agent=request.user, state=data.validated_data["state"])
        return Response({"state": agent.state})


class ForcedDisconnectView(ApiViewMixin, APIView):
    """R10: end every open SMS interaction of the tenant at once. No transcript is lost."""

    method_roles = {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY}

    @extend_schema(summary="How many SMS interactions a forced disconnect would end",
                   description="The number to confirm before the POST.", responses={200: s.ActiveCountSerializer})
    def get(self, request):
        return Response({"active": _texthub().forced_disconnect_count(request.user.tenant)})

    @extend_schema(summary="Force-disconnect all SMS interactions of the tenant", request=None,
                   responses={200: s.EndedCountSerializer})
    def post(self, request):
        n = _texthub().forced_disconnect(tenant=request.user.tenant, actor=request.user)
        return Response({"ended": n})

