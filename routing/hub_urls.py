"""The text hub's HTTP entry points: carrier webhooks, the phone simulator, web chat for contacts."""
from django.urls import path

from . import hub_views

urlpatterns = [
    path("hooks/twilio/sms/", hub_views.twilio_sms, name="twilio-sms"),
    path("hooks/twilio/status/", hub_views.twilio_status, name="twilio-status"),
    path("simulator/", hub_views.simulator, name="simulator"),
    path("simulator/send/", hub_views.simulator_send, name="simulator-send"),
    path("chat/<slug:slug>/", hub_views.chat_entry, name="chat"),
    path("chat/<slug:slug>/<str:token>/messages/", hub_views.chat_messages, name="chat-messages"),
]
