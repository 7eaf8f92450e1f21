from django.urls import path

from . import views

urlpatterns = [
    path("agent/", views.agent_workspace, name="agent"),
    path("supervisor/", views.supervisor_view, name="supervisor"),
    path("conversations/", views.conversation_search, name="conversation-search"),
    path("conversations/<int:room_id>/", views.conversation_transcript, name="conversation-transcript"),
    path("canned-responses/", views.own_canned_responses, name="own-canned"),
    path("canned-responses/<int:pk>/", views.own_canned_responses, name="own-canned-edit"),
]
