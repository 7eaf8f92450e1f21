from rest_framework.routers import SimpleRouter

from routing.api.base import filter_selector_add

from .. import selectors
from ..models import Queue
from . import views

app_name = "digital-api"
filter_selector_add(Queue, selectors.queues_for)

router = SimpleRouter()
router.include_format_suffixes = False
router.register("digital/queues", views.QueueViewSet, basename="queue")
router.register("digital/filters", views.FilterViewSet, basename="filter")
router.register("digital/contacts", views.ContactViewSet, basename="contact")
router.register("digital/cases", views.CaseViewSet, basename="case")
urlpatterns = router.urls
