"""`/api/v1/reports/interactions/` and `/api/v1/reports/agents/`: the report rows, paginated, for
tenant administrators and supervisors (their own tenant's figures only)."""
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.views import APIView

from routing.api.base import ApiViewMixin, PageNumberPagination
from routing.api.permissions import ADMIN, SUPERVISOR

from . import selectors
from .query import ReportQueryForm

REPORT_ROLES = frozenset({ADMIN, SUPERVISOR})


def _params(group_by=True):
    params = [
        OpenApiParameter("start", OpenApiTypes.DATE, description="First day, in the tenant's time zone (default: today)."),
        OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included (default: the start day)."),
        OpenApiParameter("preset", str, enum=["today", "yesterday", "last_7_days", "this_month"],
                         description="A named range, used when neither start nor end is given."),
        OpenApiParameter("interval", str, enum=["15m", "hour", "day", "week"], description="Default: hour (interactions), day (agents)."),
        OpenApiParameter("skill", int), OpenApiParameter("agent", int), OpenApiParameter("team", int),
        OpenApiParameter("point_of_contact", int), OpenApiParameter("channel", str, enum=["sms", "chat"]),
        OpenApiParameter("page", int), OpenApiParameter("page_size", int, description="Rows per page, at most 1000 (default 50)."),
    ]
    params.append(OpenApiParameter("group_by", str, enum=["skill", "agent", "team", "point_of_contact", "channel"] if group_by else
                                   ["agent", "team"], description="Rows per group as well as per interval."))
    return params


class InteractionRowSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="The interval's start: an ISO 8601 time with the tenant's UTC offset, or a date (day, week).")
    skill = serializers.IntegerField(required=False, allow_null=True, help_text="With group_by=skill (likewise agent, team, "
                                     "point_of_contact, channel), with its name in skill_name.")
    offered = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    lapsed = serializers.IntegerField()
    abandoned = serializers.IntegerField()
    transferred = serializers.IntegerField(help_text="Transfers of these rooms to another agent or skill.")
    asa_seconds = serializers.FloatField(allow_null=True, help_text="Average speed of answer: queued → accepted.")
    asa_p90_seconds = serializers.FloatField(allow_null=True)
    first_response_seconds = serializers.FloatField(allow_null=True, help_text="The contact's first text → the agent's first reply.")
    first_response_p90_seconds = serializers.FloatField(allow_null=True)
    handle_seconds = serializers.FloatField(allow_null=True, help_text="Accepted → closed.")
    handle_p90_seconds = serializers.FloatField(allow_null=True)
    messages_in = serializers.IntegerField()
    messages_out = serializers.IntegerField()
    segments_out = serializers.IntegerField(help_text="SMS segments sent (what the carrier bills); chat is not counted.")
    opt_outs = serializers.IntegerField()
    service_level = serializers.FloatField(allow_null=True, help_text="Accepted within the skill's target ÷ (accepted + abandoned).")
    first_response_level = serializers.FloatField(allow_null=True, help_text="First replies within the skill's target ÷ rooms due one.")


class AgentRowSerializer(serializers.Serializer):
    period = serializers.CharField()
    agent = serializers.IntegerField(required=False)
    agent_username = serializers.CharField(required=False)
    team = serializers.IntegerField(allow_null=True)
    team_name = serializers.CharField()
    agents = serializers.IntegerField(required=False, help_text="group_by=team: agents of the team in the row.")
    available_seconds = serializers.IntegerField()
    unavailable_seconds = serializers.IntegerField()
    logged_out_seconds = serializers.IntegerField()
    unavailable_reasons = serializers.DictField(child=serializers.IntegerField(), help_text="Unavailable seconds by reason, e.g. "
                                                "{\"Lunch\": 1800, \"No reason\": 60}; together unavailable_seconds (to the second).")
    occupancy = serializers.FloatField(allow_null=True, help_text="Time in handled rooms ÷ Σ(session limit in force × time logged in).")
    handled = serializers.IntegerField()
    handle_seconds = serializers.FloatField(allow_null=True)
    first_response_seconds = serializers.FloatField(allow_null=True)


class ReportPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        values = request.query_params.getlist(self.page_size_query_param)
        if values and (len(values) > 1 or not values[0].isdigit() or int(values[0]) < 1):
            raise ValidationError({"page_size": ["Give one whole number of rows per page, 1 or more."]})
        return super().get_page_size(request)


class _ReportView(ApiViewMixin, APIView):
    method_roles = {"GET": REPORT_ROLES}
    pagination_class = ReportPagination
    default_interval = "hour"

    def query(self, request):
        # The page's form leaves a date empty to mean "the default"; an integration must leave it out.
        empty = {name: ["Give a date (YYYY-MM-DD) or leave the parameter out."] for name in ("start", "end")
                 if name in request.query_params and request.query_params[name].strip() == ""}
        if empty:
            raise ValidationError(empty)
        form = ReportQueryForm(request.query_params, user=request.user, default_interval=self.default_interval)
        if not form.is_valid():
            raise ValidationError({name: [str(e) for e in errors] for name, errors in form.errors.items()})
        return form.query()

    def respond(self, request, rows):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(page)


class InteractionsReportView(_ReportView):
    @extend_schema(summary="Interaction figures per interval", parameters=_params(), responses={200: InteractionRowSerializer(many=True)},
                   description="Rooms counted in the interval they opened in, in the tenant's time zone. "
                               "docs/reporting.md defines each figure.")
    def get(self, request):
        return self.respond(request, selectors.interactions(request.user, self.query(request)))


class AgentsReportView(_ReportView):
    default_interval = "day"

    @extend_schema(summary="Agent figures per interval", parameters=_params(group_by=False), responses={200: AgentRowSerializer(many=True)},
                   description="Seconds in each state, occupancy, rooms handled; per agent, or per team with group_by=team.")
    def get(self, request):
        query = self.query(request)
        if query.group_by not in ("", "agent", "team"):
            raise ValidationError({"group_by": ["Agent figures group by agent or team."]})
        return self.respond(request, selectors.agents(request.user, query))


app_name = "reports-api"
urlpatterns = [
    path("reports/interactions/", InteractionsReportView.as_view(), name="interactions"),
    path("reports/agents/", AgentsReportView.as_view(), name="agents"),
]
