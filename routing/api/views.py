"""REST API v1 views: declarative viewsets over tenant-scoped selectors; writes go to routing.services
(configuration, via the serializers) and routing.hub and routing.acd (interactions)."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as InvalidInput
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import filtersets, selectors, services
from ..acd import agents, declines, offers, transfer
from ..acd import outbound as acd_outbound
from ..hub import outbound, rooms
from ..models import (CannedResponse, CarrierAccount, Contact, Country, Disposition, PointOfContact, Room, RoutingRule, Skill, Team, Tenant,
                      UnavailableReason, User)
from ..workspace import snapshots
from . import serializers as s
from .base import ApiViewMixin, ConfigViewSet, Conflict, PageNumberPagination, crud_schema, scoped_filterset  # noqa: F401
from .permissions import ADMIN, ADMIN_ONLY, AGENT, AGENT_ONLY, CONFIGURERS, EVERYONE, MANAGERS, OPERATOR, OPERATOR_ONLY, SUPERVISOR

TENANT_MANAGERS = frozenset({ADMIN, SUPERVISOR})  # a tenant's people who watch and steer its agents


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

    action_roles = {"state": TENANT_MANAGERS}

    def get_queryset(self):
        qs = super().get_queryset().prefetch_related("agent_skills")
        user = self.request.user
        if user.is_authenticated and not user.is_superuser and user.role == AGENT:
            qs = qs.filter(pk=user.pk)
        return qs

    @extend_schema(summary="Set an agent's availability (supervisors and administrators)",
                   description="As the agent's own switch (`me/state/`): available agents receive offers; unavailable "
                               "agents keep their rooms but get no new ones; logged out agents get nothing new either.",
                   request=s.AgentStateInputSerializer, responses={200: s.AgentStateSerializer})
    @action(detail=True, methods=["put"], filter_backends=[], pagination_class=None)
    def state(self, request, pk=None):
        return state_set(request, self.get_object())


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
    """The ordered rules of a point of contact's routing script."""

    queryset = RoutingRule.objects.none()
    selector = selectors.routing_rules_for
    serializer_class = s.RoutingRuleSerializer
    filterset_class = scoped_filterset(filtersets.RoutingRuleFilterSet)
    ordering_fields = ["id", "point_of_contact", "position", "priority"]
    read_roles = MANAGERS


@crud_schema("countries")
class CountryViewSet(ConfigViewSet):
    """The country table: which code types a country allows. The operator edits it; everyone reads it."""

    queryset = Country.objects.none()
    selector = selectors.countries_for
    serializer_class = s.CountrySerializer
    filterset_class = scoped_filterset(filtersets.CountryFilterSet)
    ordering_fields = ["id", "code", "name"]
    write_roles = OPERATOR_ONLY


# --- interactions ---------------------------------------------------------------------------

ROOM_ACTION = dict(request=None, responses={200: s.RoomSerializer})


@extend_schema_view(
    list=extend_schema(summary="List rooms",
                       description="Administrators and supervisors see the tenant's rooms; "
                                   "an agent the rooms offered or assigned to them."),
    retrieve=extend_schema(summary="Get a room"),
)
class RoomViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """SMS and chat interactions."""

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
        "notes": {"GET": EVERYONE, "POST": frozenset({ADMIN, SUPERVISOR, AGENT})},
        "decisions": MANAGERS,
        "transfer": EVERYONE,
        "outbound": AGENT_ONLY,
    }

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:
            return self.queryset.none()
        return selectors.rooms_for(user)

    def _room_response(self, room, code=status.HTTP_200_OK):
        return Response(s.RoomSerializer(room).data, status=code)

    @extend_schema(summary="Accept an offered room", description="The agent takes the offer; the inactivity timer starts.",
                   **ROOM_ACTION)
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request, pk=None):
        return self._room_response(offers.room_accept(room=self.get_object(), agent=request.user))

    @extend_schema(summary="Reject an offered room", description="The room goes to the next agent.", **ROOM_ACTION)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        return self._room_response(declines.room_reject(room=self.get_object(), agent=request.user))

    @extend_schema(summary="End a room",
                   description="Closes the session; the transcript is kept. Optional wrap-up: `disposition` (id; required when a "
                               "required disposition applies to the room's skill and its agent ends it) and `summary`.",
                   request=s.RoomEndSerializer, responses={200: s.RoomSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def end(self, request, pk=None):
        room = self.get_object()
        data = s.RoomEndSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        return self._room_response(rooms.room_end(room=room, actor=request.user, disposition=data.validated_data.get("disposition"),
                                                  summary=data.validated_data.get("summary", "")))

    @extend_schema(methods=["GET"], summary="Where a room can be transferred",
                   description="The tenant's agents (with whether each can take it now, and why not) and the skills of its channel.",
                   responses={200: OpenApiTypes.OBJECT})
    @extend_schema(methods=["POST"], summary="Transfer a room",
                   description="To an `agent` (who gets it as an offer) or to a `skill` (its queue), with an optional `note` the "
                               "receiver reads. The agent who holds the room, or a supervisor or administrator (who may also "
                               "assign a queued room). The receiver's session limit holds; the inactivity timer keeps running.",
                   request=s.RoomTransferSerializer, responses={200: s.RoomSerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def transfer(self, request, pk=None):
        room = self.get_object()
        if request.method == "GET":
            return Response(transfer.transfer_targets(room))
        data = s.RoomTransferSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return self._room_response(transfer.room_transfer(room=room, actor=request.user, agent=v.get("agent"), skill=v.get("skill"),
                                                          note=v.get("note", "")))

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
            message = outbound.message_send(room=room, author=request.user, body=data.validated_data["body"])
            return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.messages_for_room(room))
        return self.get_paginated_response(s.MessageSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], summary="Internal notes of the room", responses={200: s.RoomNoteSerializer(many=True)})
    @extend_schema(methods=["POST"], summary="Add an internal note", description="For the tenant's agents and supervisors; never sent "
                   "to the contact. The room's agent, or a supervisor or administrator.",
                   request=s.RoomNoteSerializer, responses={201: s.RoomNoteSerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def notes(self, request, pk=None):
        room = self.get_object()
        if request.method == "POST":
            data = s.RoomNoteSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            note = services.room_note_add(room=room, author=request.user, body=data.validated_data["body"])
            return Response(selectors.note_payload(note), status=status.HTTP_201_CREATED)
        return Response([selectors.note_payload(n) for n in selectors.notes_for_room(room)])

    @extend_schema(summary="Past sessions of this contact or number",
                   description="The last ten closed sessions sharing the room's contact number (ANI) or point-of-contact number "
                               "(DNIS), newest first, each with its messages. `by=contact`: this contact's only; `by=number`: "
                               "the business number's (other contacts too); `by=any` (the default): either.",
                   parameters=[OpenApiParameter("by", str, enum=list(selectors.HISTORY_BY), required=False)],
                   responses={200: s.RoomTranscriptSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, pk=None):
        by = request.query_params.get("by", "any")
        if by not in selectors.HISTORY_BY:
            raise InvalidInput({"by": "Choose contact, number or any."})
        return Response(s.RoomTranscriptSerializer(selectors.room_history(self.get_object(), by), many=True).data)

    @extend_schema(summary="Routing decisions of the room",
                   description="Why the room went where it went: the chosen agent and why each other agent was skipped. "
                               "Administrators and supervisors.",
                   responses={200: s.RoutingDecisionSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def decisions(self, request, pk=None):
        return Response(s.RoutingDecisionSerializer(selectors.decisions_for_room(self.get_object()), many=True).data)

    @extend_schema(summary="Start an outbound text",
                   description="Opens a room assigned to the calling agent (needs an outbound SMS skill), sends the first "
                               "message and starts the inactivity timer.",
                   request=s.OutboundSerializer, responses={201: s.RoomSerializer})
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def outbound(self, request):
        data = s.OutboundSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        room = acd_outbound.room_open_outbound(agent=request.user, point_of_contact=data.validated_data["point_of_contact"],
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
        state, reason = User.objects.filter(pk=request.user.pk).values_list("state", "state_reason").get()
        return Response({"state": state, "reason": reason})

    @extend_schema(summary="Set the calling agent's availability",
                   description="Available agents receive offers; unavailable agents keep their rooms but get no new ones. "
                               "With unavailable, `reason` may name one of the tenant's unavailable reasons (by id); "
                               "choosing another reason while unavailable is recorded as a change.",
                   request=s.AgentStateInputSerializer, responses={200: s.AgentStateSerializer})
    def put(self, request):
        return state_set(request, request.user)


class ActivityView(ApiViewMixin, APIView):
    """The supervisor's activity feed as it stood before the page (re)loaded."""

    method_roles = {"GET": TENANT_MANAGERS}

    @extend_schema(summary="Recent activity of the tenant",
                   description="The latest routing decisions, accepts, ends and agent state changes of the last day, newest first, "
                               "shaped like the supervisor socket's events, each with `at`. Supervisors and administrators.",
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"results": snapshots.supervisor_activity(request.user.tenant_id)})


class ForcedDisconnectView(ApiViewMixin, APIView):
    """End every open SMS interaction of the tenant at once. No transcript is lost."""

    method_roles = {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY}

    @extend_schema(summary="How many SMS interactions a forced disconnect would end",
                   description="The number to confirm before the POST.", responses={200: s.ActiveCountSerializer})
    def get(self, request):
        return Response({"active": rooms.forced_disconnect_count(request.user.tenant)})

    @extend_schema(summary="Force-disconnect all SMS interactions of the tenant", request=None,
                   responses={200: s.EndedCountSerializer})
    def post(self, request):
        n = rooms.forced_disconnect(tenant=request.user.tenant, actor=request.user)
        return Response({"ended": n})



@crud_schema("canned responses")
class CannedResponseViewSet(ConfigViewSet):
    """Canned responses: the tenant's (administrators write them) and the caller's own (anyone writes those)."""

    queryset = CannedResponse.objects.none()
    selector = selectors.canned_responses_for
    serializer_class = s.CannedResponseSerializer
    write_roles = EVERYONE
    ordering_fields = ["id", "name", "shortcut"]

    def perform_destroy(self, instance):
        services.canned_response_delete(response=instance, actor=self.request.user)


@crud_schema("unavailable reasons")
class UnavailableReasonViewSet(ConfigViewSet):
    """Why agents are unavailable (break, lunch, …); administrators write them, everyone reads them."""

    queryset = UnavailableReason.objects.none()
    selector = selectors.unavailable_reasons_for
    serializer_class = s.UnavailableReasonSerializer
    filterset_class = scoped_filterset(filtersets.UnavailableReasonFilterSet)
    ordering_fields = ["id", "name"]


@crud_schema("contacts")
class ContactViewSet(ConfigViewSet):
    """Contact cards: name, tags and notes that persist across rooms and cases (agents keep the card of
    the contact they are talking to; deleting a card is for administrators). `?number=` finds a number's card."""

    queryset = Contact.objects.none()
    selector = selectors.contacts_for
    serializer_class = s.ContactSerializer
    filterset_class = scoped_filterset(filtersets.ContactFilterSet)
    write_roles = EVERYONE  # agents keep the card of the contact they are talking to
    action_roles = {"destroy": CONFIGURERS}
    ordering_fields = ["id", "number", "name"]


@crud_schema("dispositions")
class DispositionViewSet(ConfigViewSet):
    """Wrap-up codes per skill; administrators write them, everyone reads them."""

    queryset = Disposition.objects.none()
    selector = selectors.dispositions_for
    serializer_class = s.DispositionSerializer
    ordering_fields = ["id", "name"]


def state_set(request, agent):
    """PUT me/state/ and users/{id}/state/: the state and (with unavailable) a reason of the tenant's; answers both."""
    data = s.AgentStateInputSerializer(data=request.data, context={"request": request})
    data.is_valid(raise_exception=True)
    agent = agents.agent_set_state(agent=agent, state=data.validated_data["state"], reason=data.validated_data.get("reason"))
    return Response({"state": agent.state, "reason": agent.state_reason})
