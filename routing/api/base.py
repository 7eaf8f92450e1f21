"""The REST API's building blocks, public: any app's endpoints are made of these (docs/architecture.md).

- ServiceModelSerializer: builds the model instance and saves it through a service (full_clean()
  there), so the API refuses what the console and the admin refuse, with the same messages.
- ScopedPrimaryKeyRelatedField: a reference by id among the caller's tenant's objects only.
- ApiViewMixin / ConfigViewSet: token or session auth, role permissions, JSON bodies, strict
  pagination, a service's ValidationError answered 400 with field errors, a delete refused 409.
- scoped_filterset: a django-filter FilterSet whose choices are the caller's own, strict about values.
"""
import re

from django.core.exceptions import FieldDoesNotExist, ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import IntegerField
from django_filters import BooleanFilter, CharFilter, ModelChoiceFilter, ModelMultipleChoiceFilter, NumberFilter
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import pagination, serializers, status, viewsets
from rest_framework.exceptions import APIException, NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.settings import api_settings
from rest_framework.validators import UniqueValidator

from .. import selectors, services
from ..models import CarrierAccount, Disposition, PointOfContact, Skill, Team, Tenant, User
from .parsers import JSONParser
from .permissions import CONFIGURERS, EVERYONE, RolePermission
from .schema import ApiAutoSchema


def drf_error_detail(exc):
    """A django ValidationError as DRF's error shape: {field: [messages]}, `__all__` as non_field_errors."""
    if hasattr(exc, "error_dict"):
        return {(api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
                for field, messages in exc.message_dict.items()}
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}


def as_drf_validation_error(exc):
    return serializers.ValidationError(drf_error_detail(exc))


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id, looked up only among the caller's tenant's objects (a selector), so another
    tenant's id is refused exactly like an id that does not exist."""

    def __init__(self, selector=None, **kwargs):
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self):
        user = _user(self.context)
        if user is None or not user.is_authenticated:
            return self.queryset.none()
        return self.selector(user)


class ServiceModelSerializer(serializers.ModelSerializer):
    # The one base serializer: builds the model instance and saves it through routing.services.
    #
    # DRF's own uniqueness validators are dropped (full_clean() checks uniqueness and constraints with
    # the model's messages) and range errors use the model validators' messages, so the console, the
    # admin and the API say the same thing. Objects of a tenant get `tenant` from the caller; the
    # operator names it on create. A tenant never changes after create.

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        kwargs["validators"] = [v for v in kwargs.get("validators", []) if not isinstance(v, UniqueValidator)]
        if not kwargs["validators"]:
            del kwargs["validators"]
        messages = {}
        for v in model_field.validators:
            if isinstance(v, MinValueValidator) and "min_value" in kwargs:
                messages["min_value"] = v.message
            elif isinstance(v, MaxValueValidator) and "max_value" in kwargs:
                messages["max_value"] = v.message
        if messages:
            kwargs["error_messages"] = {**kwargs.get("error_messages", {}), **messages}
        return field_class, kwargs

    def get_validators(self):
        return []  # unique-together and constraints: full_clean() in the service

    # --- tenant -------------------------------------------------------------------------------

    @property
    def has_tenant(self):
        return any(f.name == "tenant" for f in self.Meta.model._meta.fields)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not self.has_tenant:
            return attrs
        user = _user(self.context)
        tenant = attrs.get("tenant")
        if self.instance is None:
            if user is not None and user.is_superuser:
                if tenant is None:
                    raise serializers.ValidationError({"tenant": ["The operator names the tenant of a new object."]})
            else:
                attrs["tenant"] = user.tenant
        elif tenant is not None and tenant.pk != self.instance.tenant_id:
            raise serializers.ValidationError({"tenant": ["An object cannot move to another tenant."]})
        return attrs

    # --- writes through the services -----------------------------------------------------------

    #: validated fields that are not model fields; popped and given to `save_instance`
    extra_write_fields = ()

    def _split(self, validated_data):
        extra = {name: validated_data.pop(name) for name in self.extra_write_fields if name in validated_data}
        return validated_data, extra

    def create(self, validated_data):
        data, extra = self._split(validated_data)
        return self._save(self.Meta.model(**data), extra)

    def update(self, instance, validated_data):
        data, extra = self._split(validated_data)
        for name, value in data.items():
            setattr(instance, name, value)
        return self._save(instance, extra)

    def _save(self, instance, extra):
        try:
            return self.save_instance(instance, **extra)
        except DjangoValidationError as exc:
            raise as_drf_validation_error(exc)

    def save_instance(self, instance, **extra):
        return services.object_save(instance=instance)


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
    Disposition: selectors.dispositions_for,
}


def filter_selector_add(model, selector):
    """Another app's model that filters may reference, with its tenant-scoped selector."""
    FILTER_SELECTORS[model] = selector


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
            exc = as_drf_validation_error(exc)
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
