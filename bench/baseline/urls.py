from django.urls import path

from . import views

urlpatterns = [
    path("hooks/twilio/sms/", views.inbound),
    path("login/", views.ready),
]
