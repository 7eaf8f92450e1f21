"""The text hub's HTTP entry points: carrier webhooks, the phone simulator, web chat for contacts."""
from django.urls import path

urlpatterns = []
