"""REST: POST /api/v1/contacts/erase/ (administrators of the tenant)."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ..api.base import ApiViewMixin, Conflict
from ..api.permissions import ADMIN_ONLY
from ..api.schema import ErrorSerializer
from .erasure import ContactHasLiveRoom, contact_erase


class ContactEraseInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40, help_text="The contact's phone number, E.164 or a usual national format (US).")


class ContactErasedSerializer(serializers.Serializer):
    erased = serializers.DictField(child=serializers.IntegerField(),
                                   help_text="How many of each kind were erased: messages, rooms, contacts (and what other apps hold).")


class ContactEraseView(ApiViewMixin, APIView):
    """Erase everything the tenant holds about a phone number; only an opt-out is kept, as a hash."""

    method_roles = {"POST": ADMIN_ONLY}

    @extend_schema(summary="Erase a contact", request=ContactEraseInputSerializer,
                   responses={200: ContactErasedSerializer,
                              409: OpenApiResponse(ErrorSerializer, description="The contact has a conversation that has not ended.")})
    def post(self, request):
        data = ContactEraseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            erased = contact_erase(tenant=request.user.tenant, number=data.validated_data["number"], actor=request.user)
        except ContactHasLiveRoom as exc:
            raise Conflict(str(exc)) from exc
        return Response({"erased": erased})
