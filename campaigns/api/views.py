"""REST: contact-lists/ and campaigns/ (docs/campaigns.md, DESIGN.md "Proactive SMS campaigns")."""
from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from routing import selectors as routing_selectors
from routing.api.base import ApiViewMixin, ConfigViewSet, Conflict, as_drf_validation_error, crud_schema, scoped_filterset
from routing.api.permissions import ADMIN_ONLY, MANAGERS
from routing.choices import Channel
from routing.models import PointOfContact

from .. import exports, rules, selectors, services
from ..models import Campaign, ContactList
from . import serializers as s


class ContactListFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = ContactList
        fields = ["state"]


class CampaignFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Campaign
        fields = ["state", "point_of_contact", "contact_list"]


class RecipientFilterSet(filters.FilterSet):
    state = filters.ChoiceFilter(field_name="status", choices=[(v, v) for v in selectors.RECIPIENT_STATES])
    number = filters.CharFilter(field_name="number", lookup_expr="icontains")


class EntryFilterSet(filters.FilterSet):
    opted_out = filters.BooleanFilter()
    number = filters.CharFilter(field_name="number", lookup_expr="icontains")


CSV = extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
_PREVIEW_TEXT = inline_serializer("CampaignPreviewText", fields={
    "number": serializers.CharField(), "body": serializers.CharField(), "encoding": serializers.CharField(),
    "segments": serializers.IntegerField(), "characters": serializers.IntegerField()})
_PREVIEW = inline_serializer("CampaignPreview", fields={"texts": serializers.ListField(child=_PREVIEW_TEXT)})
_CONFLICT = inline_serializer("CampaignStateConflict", fields={"detail": serializers.CharField()})


def _action_schema(summary):
    """A state change: the campaign, or 409 with the reason when its state does not allow it."""
    return extend_schema(summary=summary, request=None, responses={
        200: s.CampaignSerializer,
        409: OpenApiResponse(_CONFLICT, description="The campaign's state does not allow this (the reason is given).")})


def _raise_400(exc):
    raise as_drf_validation_error(exc)


@crud_schema("contact lists")
class ContactListViewSet(ConfigViewSet):
    """Contact lists: upload a CSV (multipart), append to it, read its rows, download it again."""

    queryset = ContactList.objects.none()
    selector = selectors.contact_lists_for
    serializer_class = s.ContactListSerializer
    filterset_class = scoped_filterset(ContactListFilterSet)
    ordering_fields = ["id", "name", "created_at"]
    read_roles = MANAGERS
    write_roles = ADMIN_ONLY
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    http_method_names = ["get", "post", "delete", "head", "options"]

    @extend_schema(request={"multipart/form-data": s.ContactListUploadSerializer}, responses={201: s.ContactListSerializer})
    def create(self, request, *args, **kwargs):
        form = s.ContactListUploadSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        d = form.validated_data
        poc = d.get("point_of_contact")
        try:
            contact_list = services.contact_list_import(tenant=request.user.tenant, name=d["name"], file=d["file"].file,
                                                       phone_column=d.get("phone_column") or "phone",
                                                       country=services.default_country(request.user.tenant, poc))
        except ValidationError as exc:
            _raise_400(exc)
        return Response(s.ContactListSerializer(contact_list).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": s.ContactListAppendSerializer}, responses=s.ContactListSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def append(self, request, pk=None):
        contact_list = self.get_object()
        form = s.ContactListAppendSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            contact_list = services.contact_list_append(contact_list=contact_list, file=form.validated_data["file"].file)
        except ValidationError as exc:
            _raise_400(exc)
        return Response(s.ContactListSerializer(contact_list).data)

    @extend_schema(responses=s.EntrySerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], serializer_class=s.EntrySerializer)
    def entries(self, request, pk=None):
        contact_list = self.get_object()
        fs = scoped_filterset(EntryFilterSet)(request.query_params, queryset=selectors.entries_of(contact_list), request=request)
        if not fs.is_valid():
            return Response(fs.errors, status=status.HTTP_400_BAD_REQUEST)
        page = self.paginate_queryset(fs.qs)
        return self.get_paginated_response(s.EntrySerializer(page, many=True).data)

    @CSV
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def download(self, request, pk=None):
        return exports.contact_list_response(self.get_object())

    def perform_destroy(self, instance):
        try:
            services.contact_list_delete(contact_list=instance)
        except ValidationError as exc:
            raise Conflict(" ".join(exc.messages))


@crud_schema("campaigns")
class CampaignViewSet(ConfigViewSet):
    """Campaigns: a template sent to a contact list from an SMS point of contact, inside recipient-local windows."""

    queryset = Campaign.objects.none()
    selector = selectors.campaigns_for
    serializer_class = s.CampaignSerializer
    filterset_class = scoped_filterset(CampaignFilterSet)
    ordering_fields = ["id", "name", "created_at", "state"]
    read_roles = MANAGERS
    write_roles = ADMIN_ONLY

    def _do(self, service):
        campaign = self.get_object()
        try:
            campaign = service(campaign=campaign)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                _raise_400(exc)
            raise Conflict(" ".join(exc.messages))
        return Response(s.CampaignSerializer(selectors.campaigns_for(self.request.user).get(pk=campaign.pk),
                                             context={"request": self.request}).data)

    @_action_schema("Start a draft campaign (scheduled when its start is in the future)")
    @action(detail=True, methods=["post"], filter_backends=[])
    def start(self, request, pk=None):
        return self._do(services.campaign_start)

    @_action_schema("Pause a running or scheduled campaign")
    @action(detail=True, methods=["post"], filter_backends=[])
    def pause(self, request, pk=None):
        return self._do(services.campaign_pause)

    @_action_schema("Resume a paused campaign")
    @action(detail=True, methods=["post"], filter_backends=[])
    def resume(self, request, pk=None):
        return self._do(services.campaign_resume)

    @_action_schema("Cancel a campaign: the texts still to go are never sent")
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        return self._do(services.campaign_cancel)

    @extend_schema(responses=s.RecipientSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], serializer_class=s.RecipientSerializer)
    def recipients(self, request, pk=None):
        campaign = self.get_object()
        fs = scoped_filterset(RecipientFilterSet)(request.query_params, queryset=selectors.recipients_of(campaign), request=request)
        if not fs.is_valid():
            return Response(fs.errors, status=status.HTTP_400_BAD_REQUEST)
        page = self.paginate_queryset(fs.qs)
        return self.get_paginated_response(s.RecipientSerializer(page, many=True).data)

    @CSV
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def results(self, request, pk=None):
        return exports.results_response(self.get_object())

    @extend_schema(request=s.PreviewSerializer, responses=_PREVIEW)
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def preview(self, request):
        """The first recipients' texts with encoding and segments; a template with an unknown field is a 400."""
        form = s.PreviewSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        d = form.validated_data
        try:
            rules.template_check(d["template"], d["contact_list"].columns)
        except ValidationError as exc:
            raise as_drf_validation_error(ValidationError({"template": exc.messages}))
        return Response({"texts": selectors.preview(d["template"], d["contact_list"], d["append_opt_out"])})

    def perform_destroy(self, instance):
        try:
            services.campaign_delete(campaign=instance)
        except ValidationError as exc:
            raise Conflict(" ".join(exc.messages))




class SendRateViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The send rate of each SMS point of contact (texts per second, shared by every campaign on the number):
    its code type's default, or its own `rate` (PUT/PATCH `send-rates/{point of contact id}/`, null: the default)."""

    serializer_class = s.SendRateSerializer
    read_roles = MANAGERS
    write_roles = ADMIN_ONLY
    lookup_value_regex = "[^/]+"
    pagination_class = None

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:
            return PointOfContact.objects.none()
        return routing_selectors.points_of_contact_for(user).filter(channel=Channel.SMS).select_related("send_rate").order_by("pk")

    @extend_schema(request=s.SendRateWriteSerializer, responses=s.SendRateSerializer)
    def update(self, request, *args, **kwargs):
        poc = self.get_object()
        form = s.SendRateWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            services.send_rate_set(point_of_contact=poc, rate=form.validated_data["rate"])
        except ValidationError as exc:
            _raise_400(exc)
        return Response(s.SendRateSerializer(self.get_queryset().get(pk=poc.pk)).data)

    @extend_schema(request=s.SendRateWriteSerializer, responses=s.SendRateSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)
