from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("routing.api.urls")),
    path("api/v1/", include("audit.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("console/audit-log/", include(("audit.views", "audit"))),
    path("console/", include("routing.console.urls")),
    path("", include("routing.workspace.urls")),
    path("", include("routing.hub_urls")),
    path("", include("routing.urls")),
]
