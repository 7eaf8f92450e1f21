from django.urls import path

from . import views

urlpatterns = [
    path("agent/", views.agent_workspace, name="agent"),
    path("supervisor/", views.supervisor_view, name="supervisor"),
]
