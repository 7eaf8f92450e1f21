from rest_framework.routers import DefaultRouter

from . import views

app_name = "campaigns-api"

router = DefaultRouter()
router.include_format_suffixes = False
router.include_root_view = False
router.register("contact-lists", views.ContactListViewSet, basename="contact-list")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("send-rates", views.SendRateViewSet, basename="send-rate")
urlpatterns = router.urls
