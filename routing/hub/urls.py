"""The text hub's HTTP entry points: carrier webhooks, the phone simulator, web chat for contacts."""
from django.urls import path

from . import webhooks

urlpatterns = [
    path("hooks/twilio/sms/", webhooks.twilio_sms, name="twilio-sms"),
    path("hooks/twilio/status/", webhooks.twilio_status, name="twilio-status"),
    path("simulator/", webhooks.simulator, name="simulator"),
    path("simulator/send/", webhooks.simulator_send, name="simulator-send"),
    path("chat/<slug:slug>/", webhooks.chat_entry, name="chat"),
    path("chat/<slug:slug>/<str:token>/messages/", webhooks.chat_messages, name="chat-messages"),
]
