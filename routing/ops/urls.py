"""Operations endpoints at the root: /healthz and /readyz (load balancers), /metrics (Prometheus)."""
from django.urls import path

from . import health, metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
]
