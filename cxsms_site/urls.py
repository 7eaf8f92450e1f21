from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# The split view serves Swagger UI's start-up script as a file: the Content-Security-Policy allows
# no inline script. Its page keeps one inline <style> block, allowed on that page only.
_docs_styles = {"style-src": ["'unsafe-inline'"]}
api_docs = csp_update(_docs_styles)(csp_update(_docs_styles, REPORT_ONLY=True)(SpectacularSwaggerSplitView.as_view(url_name="schema")))

urlpatterns = [
    path("", include("routing.ops.urls")),  # /healthz, /readyz, /metrics
    path("admin/", admin.site.urls),
    path("api/v1/", include("routing.api.urls")),
    path("api/v1/", include("digital.api.urls")),
    path("api/v1/", include("routing.audit.api")),
    path("api/v1/", include("routing.reports.api")),
    path("api/v1/", include("campaigns.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("console/audit-log/", include(("routing.audit.views", "audit"))),
    path("console/reports/", include("routing.reports.urls")),
    path("console/", include("campaigns.urls")),
    path("console/", include("routing.console.urls")),
    path("", include("digital.urls")),
    path("", include("routing.workspace.urls")),
    path("", include("routing.hub.urls")),
    path("", include("routing.urls")),
]
