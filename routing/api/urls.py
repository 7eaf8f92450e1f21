"""REST API v1, mounted at /api/v1/ by the root urls (schema at /api/schema/, docs at /api/docs/)."""
from django.urls import path
from rest_framework.routers import DefaultRouter

from ..ops.api import ContactEraseView
from . import views

app_name = "api"

router = DefaultRouter()
router.include_format_suffixes = False
router.register("tenants", views.TenantViewSet, basename="tenant")
router.register("users", views.UserViewSet, basename="user")
router.register("teams", views.TeamViewSet, basename="team")
router.register("skills", views.SkillViewSet, basename="skill")
router.register("carrier-accounts", views.CarrierAccountViewSet, basename="carrier-account")
router.register("points-of-contact", views.PointOfContactViewSet, basename="point-of-contact")
router.register("routing-rules", views.RoutingRuleViewSet, basename="routing-rule")
router.register("countries", views.CountryViewSet, basename="country")
router.register("rooms", views.RoomViewSet, basename="room")
router.register("canned-responses", views.CannedResponseViewSet, basename="canned-response")
router.register("dispositions", views.DispositionViewSet, basename="disposition")
router.register("unavailable-reasons", views.UnavailableReasonViewSet, basename="unavailable-reason")
router.register("contacts", views.ContactViewSet, basename="contact")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("me/state/", views.MeStateView.as_view(), name="me-state"),
    path("activity/", views.ActivityView.as_view(), name="activity"),
    path("forced-disconnect/", views.ForcedDisconnectView.as_view(), name="forced-disconnect"),
    path("contacts/erase/", ContactEraseView.as_view(), name="contact-erase"),
    *router.urls,
]
